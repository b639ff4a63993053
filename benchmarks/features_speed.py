"""Feature extraction speed: this repository's single-STFT pipeline vs straightforward librosa calls.

    python benchmarks/features_speed.py [--clips 12] [--jobs 2] [--dataset DIR]

Both run on the same clips in one run, with the same number of worker
processes and no cache; the script prints seconds per clip, the speed ratio
and the largest relative difference between the two results (same numbers
expected). Default data: $GTZAN_DIR, else data/gtzan, else the synthetic set.
A benchmark, not a test: timing on shared machines is noisy.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
from joblib import Parallel, delayed

from helpers import audio, config, data, features


def _fast(path: str) -> dict:
    samples, sr = audio.load(path)
    return features.clip_features(samples, sr)


def _reference(path: str) -> dict:
    samples, sr = audio.load(path)
    return features.clip_features_reference(samples, sr)


def timed(function, paths: list[str], jobs: int) -> tuple[float, list[dict]]:
    Parallel(n_jobs=jobs)(delayed(function)(p) for p in paths[:jobs])  # warm-up: imports, numba cache
    start = time.perf_counter()
    rows = Parallel(n_jobs=jobs)(delayed(function)(p) for p in paths)
    return time.perf_counter() - start, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dataset", default=None)
    args = parser.parse_args()
    choice = config.resolve_dataset(args.dataset)
    tracks = data.readable(data.load_tracks(choice.root))
    paths = tracks.groupby("genre").head(max(1, args.clips // tracks["genre"].nunique() + 1))["path"].tolist()[: args.clips]
    print(f"{len(paths)} clips of {choice.name} ({config.display_path(choice.root)}), {args.jobs} worker(s)")
    t_ref, ref_rows = timed(_reference, paths, args.jobs)
    t_fast, fast_rows = timed(_fast, paths, args.jobs)
    worst = max(
        abs(f[k] - r[k]) / (abs(r[k]) + 1e-12) for f, r in zip(fast_rows, ref_rows) for k in features.FEATURE_COLUMNS
    )
    print(f"straightforward librosa: {t_ref / len(paths):.3f} s per clip")
    print(f"this repository:         {t_fast / len(paths):.3f} s per clip")
    print(f"speed ratio: {t_ref / t_fast:.1f}x; largest relative difference between the two: {worst:.2e}")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
