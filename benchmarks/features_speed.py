"""Feature extraction speed: this repository's single-STFT pipeline vs straightforward librosa calls.

    python benchmarks/features_speed.py [--clips 12] [--jobs 2] [--dataset DIR]

Both run on the same clips in one run, with the same number of worker
processes and no cache (each decodes its clip, then computes
``helpers.inputs.features.clip_features`` or ``clip_features_reference``); the script
prints seconds per clip, the speed ratio and the largest relative difference
between the two results (same numbers expected). Default data: the dataset
``helpers.config.resolve_dataset`` picks ($MGC_DATASET, data/gtzan, else the
synthetic set). A benchmark, not a test: timing on shared machines is noisy.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from joblib import Parallel, delayed

from helpers import cli, config, data
from helpers.data import audio
from helpers.inputs import features
from helpers.runtime import display_path


def _fast(path: str) -> dict:
    samples, sr = audio.load(path)
    return features.clip_features(samples, sr)


def _reference(path: str) -> dict:
    samples, sr = audio.load(path)
    return features.clip_features_reference(samples, sr)


def timed(function, paths: list[str], jobs: int) -> tuple[float, list[dict]]:
    Parallel(n_jobs=jobs)(delayed(function)(p) for p in paths[:jobs])  # warm-up: worker start, imports
    start = time.perf_counter()
    rows = Parallel(n_jobs=jobs)(delayed(function)(p) for p in paths)
    return time.perf_counter() - start, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=cli.positive_int, default=12)
    parser.add_argument("--jobs", type=cli.positive_int, default=os.cpu_count() or 1)
    parser.add_argument("--dataset", default=None, help="dataset name or folder")
    args = parser.parse_args(argv)
    choice = config.resolve_dataset(args.dataset)
    tracks = data.readable(data.load_tracks(choice.root))
    tracks = tracks[tracks["duration"] >= 1.0]  # the features need at least one 2048-sample frame
    if tracks.empty:
        raise cli.UserError(f"{display_path(choice.root)} has no readable audio clip of 1 s or more to time")
    paths = tracks.groupby("genre").head(max(1, args.clips // tracks["genre"].nunique() + 1))["path"].tolist()[: args.clips]
    print(f"{len(paths)} clips of {choice.name} ({display_path(choice.root)}), {args.jobs} worker(s)")
    t_ref, ref_rows = timed(_reference, paths, args.jobs)
    t_fast, fast_rows = timed(_fast, paths, args.jobs)
    worst = max(
        abs(f[k] - r[k]) / (abs(r[k]) + 1e-12) for f, r in zip(fast_rows, ref_rows) for k in features.FEATURE_COLUMNS
    )
    print(f"straightforward librosa: {t_ref / len(paths):.3f} s per clip")
    print(f"this repository:         {t_fast / len(paths):.3f} s per clip")
    print(f"speed ratio: {t_ref / t_fast:.1f}x; largest relative difference between the two: {worst:.2e}")
    return 0


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.exit(cli.run(main))
