"""What the features report's Wav2Vec2-base costs on this machine: frozen embeddings and fine-tuning, per clip.

    python benchmarks/wav2vec2_cost.py [--clips 2] [--crop-seconds 10] [--batch 2]
        [--out benchmarks/results/wav2vec2_cost.json]

It builds the port (``helpers.models.wav2vec2``) at wav2vec2-base's size (7 feature-encoder convs of 512 channels,
12 post-layer-norm transformer layers of width 768, 12 heads, feed-forward 3072, positional conv of 128 in 16
groups: the published ``config.json``) with random weights (the cost does not depend on them, and no weights are
downloaded), then times, after one untimed call that traces the graph:

* ``frozen``: the last hidden state of a 30-s clip at 16 kHz averaged over time (what notebook 08's frozen runs
  compute once per clip), seconds per clip;
* ``fine-tune``: one optimiser step of the encoder and the report's head on a batch of ``--batch`` crops of
  ``--crop-seconds``, seconds per crop; an epoch costs that times the training tracks (one crop each).

It prints the numbers and writes JSON with the machine and its load average. A benchmark, not a test: timings on
shared machines are noisy, so compare numbers from one run only.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from helpers.models import wav2vec2, wav2vec2_transfer  # noqa: E402

# facebook/wav2vec2-base's config.json, the settings the port reads
BASE = dict(model_type="wav2vec2", conv_dim=[512] * 7, conv_kernel=[10, 3, 3, 3, 3, 2, 2], conv_stride=[5, 2, 2, 2, 2, 2, 2],
            conv_bias=False, feat_extract_norm="group", hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
            intermediate_size=3072, num_conv_pos_embeddings=128, num_conv_pos_embedding_groups=16, do_stable_layer_norm=False,
            layer_norm_eps=1e-5, hidden_dropout=0.1, attention_dropout=0.1, activation_dropout=0.0, feat_proj_dropout=0.1)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=2, help="30-s clips and fine-tuning steps to time")
    parser.add_argument("--crop-seconds", type=float, default=10.0, help="fine-tuning crop length")
    parser.add_argument("--batch", type=int, default=2, help="crops per fine-tuning step")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "wav2vec2_cost.json")
    args = parser.parse_args(argv)
    if args.clips < 1 or args.batch < 1 or not 1 <= args.crop_seconds <= 60:
        parser.error("--clips and --batch must be 1 or more, --crop-seconds between 1 and 60")
    config = wav2vec2.config_from_dict(BASE, "wav2vec2-base config")
    encoder = wav2vec2.Encoder(wav2vec2.build(config), config, [], Path("."))
    weights = wav2vec2_transfer.Weights(encoder, "random weights at wav2vec2-base's size (cost only)")
    rng = np.random.default_rng(0)
    clip = rng.normal(0, 1, 30 * wav2vec2.SAMPLE_RATE).astype(np.float32)
    last = wav2vec2.layer_model(encoder, config.num_hidden_layers)
    wav2vec2.pooled(last, clip)  # trace once, untimed
    start = time.perf_counter()
    for _ in range(args.clips):
        wav2vec2.pooled(last, clip)
    frozen = (time.perf_counter() - start) / args.clips
    samples = int(args.crop_seconds * wav2vec2.SAMPLE_RATE)
    model = wav2vec2_transfer.fine_tune_model(weights, config.num_hidden_layers, samples, 10)
    x = rng.normal(0, 1, (args.batch, samples, 1)).astype(np.float32)
    y = rng.integers(0, 10, args.batch)
    model.train_on_batch(x, y)  # trace once, untimed
    start = time.perf_counter()
    for _ in range(args.clips):
        model.train_on_batch(x, y)
    tune = (time.perf_counter() - start) / (args.clips * args.batch)
    result = {"machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "load_average": os.getloadavg()},
              "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
              "parameters": int(model.count_params()), "frozen_seconds_per_30s_clip": frozen,
              "fine_tune_seconds_per_crop": tune, "crop_seconds": args.crop_seconds, "batch": args.batch}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wav2vec2-base ({result['parameters']:,} parameters with the head), {os.cpu_count()} CPUs:\n"
          f"  frozen: {frozen:.1f} s per 30-s clip\n  fine-tune: {tune:.1f} s per {args.crop_seconds:g}-s crop per epoch "
          f"(batch {args.batch})\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
