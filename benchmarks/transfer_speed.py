"""What one epoch of each transfer network costs on this machine, per image, by recipe and image size.

    python benchmarks/transfer_speed.py [--sizes 64 128] [--networks vgg16 resnet50 resnet18 alexnet msd-vgg]
        [--images 64] [--out benchmarks/results/transfer_speed.json]

For each network and image side it builds the network from ``helpers.models.transfer_nets`` (random
weights: the cost does not depend on them), warms it up (one step traces the graph), then
times, on the same ``--images`` random inputs in batches of 32:

* ``train`` (the ``fine-tune`` recipe: every weight updated; ImageNet bases get stand-in weights written
  here, so that batch normalisation is frozen as in a run with real ones), seconds per image per epoch;
* ``frozen features``: one forward pass of the base, seconds per image; the frozen recipe
  computes it once per image (``transfer_nets.base_features``, cached), after which only the
  head trains, which costs next to nothing.

``msd-vgg`` takes musicnn's 3-s windows (187 x 96) whatever ``--sizes`` says. It prints a
table and writes JSON with the machine and its load average. Notebook 06 chooses its image
size and epochs from these numbers (``helpers.config.TRANSFER``). A benchmark, not a test:
timings on shared machines are noisy, so compare numbers from one run only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.models import transfer_nets  # noqa: E402
from helpers.runtime import quiet_tensorflow  # noqa: E402

BATCH = 32


def _time(step, batches: int) -> float:
    start = time.perf_counter()
    for i in range(batches):
        step(i)
    return time.perf_counter() - start


def measure(network: str, size: int, images: int) -> dict:
    quiet_tensorflow()
    import keras

    shape = (187, 96) if network in transfer_nets.MUSIC_NETWORKS else (size, size, 1)
    kind = "msd" if network in transfer_nets.MUSIC_NETWORKS else "imagenet"
    rng = np.random.default_rng(0)
    X = rng.random((images, *shape), dtype=np.float32)
    y = keras.utils.to_categorical(rng.integers(0, 10, images), 10)
    weights = None
    if network in transfer_nets.IMAGENET_NETWORKS:  # stand-in "ImageNet" weights (random, saved here): BN frozen as in a real run
        app = next(layer for layer in transfer_nets.base_model(network, shape).layers if layer.name == network)
        weights = str(Path(tempfile.mkdtemp()) / f"{network}.weights.h5")
        app.save_weights(weights)
    elif network in transfer_nets.SCRATCH_NETWORKS:
        kind = "scratch"
    model = transfer_nets.build(network, shape, 10, weights=weights, weights_kind=kind, recipe="fine-tune")
    batches = max(1, images // BATCH)
    model.train_on_batch(X[:BATCH], y[:BATCH])  # trace once, untimed
    train = _time(lambda i: model.train_on_batch(X[i * BATCH:(i + 1) * BATCH], y[i * BATCH:(i + 1) * BATCH]), batches)
    base = transfer_nets.base_model(network, shape)
    base.predict_on_batch(X[:BATCH])
    forward = _time(lambda i: base.predict_on_batch(X[i * BATCH:(i + 1) * BATCH]), batches)
    seen = batches * BATCH
    return {"network": network, "input": "x".join(map(str, shape)), "parameters": int(model.count_params()),
            "train_seconds_per_image_epoch": train / seen, "frozen_features_seconds_per_image": forward / seen}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--networks", nargs="+", default=list(transfer_nets.IMAGENET_NETWORKS + transfer_nets.SCRATCH_NETWORKS)
                        + ["msd-vgg"])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/transfer_speed.json"))
    args = parser.parse_args(argv)
    rows = []
    for network in args.networks:
        for size in ([args.sizes[0]] if network in transfer_nets.MUSIC_NETWORKS else args.sizes):
            row = measure(network, size, args.images)
            rows.append(row)
            print(f"{row['network']:<9} {row['input']:<9} train {row['train_seconds_per_image_epoch']:.4f} s/image/epoch   "
                  f"frozen features {row['frozen_features_seconds_per_image']:.4f} s/image", flush=True)
    result = {"created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
              "cpus": os.cpu_count(), "load_average": os.getloadavg(), "images": args.images, "batch": BATCH, "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
