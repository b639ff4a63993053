"""Training seconds per clip per epoch of each waveform and fusion network of notebook 08, on this machine.

    python benchmarks/waveform_training.py [--image-sizes 64 128] [--clips 128] [--batch 64]
        [--out benchmarks/results/waveform_training.json]

For each run of ``helpers.studies.waveform_fusion.RUNS`` (and each ResNet18 image side) it builds the network from
its default parameters, makes ``--clips`` random 30-s clips at 22050 Hz into training batches of the seed's crop
(``helpers.models.crops.CropBatches``: random crop, augmentation, inputs computed in NumPy) and times, per clip:

* ``inputs``: making the batches (the crops, their MFCC / log-mel / images, the augmentation);
* ``train step``: one optimiser step per batch (``train_on_batch``, traced once beforehand, untimed);
* ``epoch``: the two together, what one training epoch costs per training clip (validation adds one
  forward pass per validation clip).

MixNet's encoders come from an untrained NNET1 and NNET2 (the cost does not depend on their weights). It prints a
table and writes JSON with the machine, its load average and the Keras backend. A benchmark, not a test: timings
on shared machines are noisy, so compare numbers from one run only.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.models import crops  # noqa: E402
from helpers.models import waveform_nets as nets  # noqa: E402
from helpers.studies import waveform_fusion  # noqa: E402

GENRES = [f"g{i}" for i in range(10)]
RATE = 22050


def _clips(clips: int) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    rng = np.random.default_rng(0)
    ids = [f"c{i:04d}" for i in range(clips)]
    table = pd.DataFrame({"track_id": ids, "genre": [GENRES[i % 10] for i in range(clips)], "split": "train"})
    waveforms = {t: (0.1 * rng.standard_normal(30 * RATE)).astype(np.float32) for t in ids}
    return table, waveforms


def measure(run: str, image_size: int, clips: int, batch: int) -> dict:
    network, features = waveform_fusion.RUNS[run]
    recipe = crops.CropRecipe(sample_rate=RATE, image_size=image_size)
    kinds = nets.model_inputs(network, features)
    table, waveforms = _clips(clips)
    standardiser = crops.fit_standardiser(waveforms, table, recipe, kinds)
    batches = crops.CropBatches(waveforms, table, "train", kinds, recipe, GENRES, batch_size=batch, standardiser=standardiser)
    if network == "mixnet":
        encoders = [nets.build(n, [recipe.shape(k) for k in nets.model_inputs(n, "mfcc")], len(GENRES)) for n in ("nnet1", "nnet2")]
        model = nets.mixnet(*encoders, len(GENRES))
    else:
        model = nets.build(network, [recipe.shape(k) for k in kinds], len(GENRES))
    start = time.perf_counter()
    made = [batches.batch(i) for i in range(len(batches))]
    inputs = time.perf_counter() - start
    model.train_on_batch(*made[0])  # trace once, untimed
    start = time.perf_counter()
    for x, y in made:
        model.train_on_batch(x, y)
    step = time.perf_counter() - start
    return {"network": run, "inputs": " + ".join(kinds), "image_size": image_size if "image" in " ".join(kinds) else None,
            "parameters": int(model.count_params()), "input_seconds_per_clip": inputs / clips,
            "train_step_seconds_per_clip": step / clips, "epoch_seconds_per_clip": (inputs + step) / clips}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--image-sizes", type=int, nargs="+", default=[64, 128], help="ResNet18 image sides to time")
    parser.add_argument("--clips", type=int, default=128, help="random 30-s clips per measurement")
    parser.add_argument("--batch", type=int, default=64, help="batch size (the seed's 64)")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "waveform_training.json")
    args = parser.parse_args(argv)
    if args.clips < args.batch or min(args.image_sizes) < 32:
        parser.error("--clips must hold at least one batch, and --image-sizes be 32 or more")
    import keras

    rows = []
    for run in waveform_fusion.RUNS:
        sizes = args.image_sizes if "image" in " ".join(nets.model_inputs(*waveform_fusion.RUNS[run])) else [None]
        for size in sizes:
            rows.append(measure(run, size or 128, args.clips, args.batch))
            print(f"{run:14s} {size or '':>4} {rows[-1]['epoch_seconds_per_clip'] * 1000:8.1f} ms per clip per epoch", flush=True)
    result = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load_average": os.getloadavg(),
                          "keras_backend": keras.backend.backend()},
              "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
              "settings": {"clips": args.clips, "batch": args.batch, "crop_samples": crops.CropRecipe(sample_rate=RATE).length,
                           "sample_rate": RATE},
              "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    table = pd.DataFrame(rows)
    for column in ("input_seconds_per_clip", "train_step_seconds_per_clip", "epoch_seconds_per_clip"):
        table[column] = (table[column] * 1000).round(1)
    print(table.rename(columns=lambda c: c.replace("_seconds_per_clip", " ms/clip")).to_string(index=False))
    print(f"written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
