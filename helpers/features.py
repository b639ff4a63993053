"""Handcrafted audio descriptors with librosa, named as in the Kaggle GTZAN features CSV.

This module holds the descriptors the exploratory notebook plots (spectral
centroid and tempo per clip); the full 57-feature Kaggle set builds on it.

Command line::

    python -m helpers.features eda DATASET_DIR --out FILE.csv [--jobs N]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from . import audio
from .config import progress as progress_bar

EDA_COLUMNS = ("spectral_centroid_mean", "tempo")


def tempo(samples: np.ndarray, sr: int) -> float:
    """Global tempo estimate in BPM (librosa's default onset-autocorrelation estimator)."""
    import librosa

    if not np.any(samples):
        return float("nan")
    return float(librosa.feature.tempo(y=samples, sr=sr)[0])


def spectral_centroid_mean(samples: np.ndarray, sr: int) -> float:
    import librosa

    if not np.any(samples):
        return float("nan")
    return float(np.mean(librosa.feature.spectral_centroid(y=samples, sr=sr)))


def eta_squared(table: pd.DataFrame, column: str, by: str = "genre") -> float:
    """Share of a descriptor's variance explained by genre (between-group / total sum of squares)."""
    values = table[[by, column]].dropna()
    grand = values[column].mean()
    total = ((values[column] - grand) ** 2).sum()
    groups = values.groupby(by)[column]
    between = (groups.count() * (groups.mean() - grand) ** 2).sum()
    return float(between / total) if total > 0 else float("nan")


def compare_with_reference(ours: pd.DataFrame, reference: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> pd.DataFrame:
    """Per descriptor, on the tracks both tables share: count, median relative difference, share within 1 %."""
    both = ours.merge(reference, on="track_id", suffixes=("_ours", "_reference"))
    rows = {}
    for column in columns:
        a, b = both[f"{column}_ours"], both[f"{column}_reference"]
        relative = ((a - b).abs() / b.abs().where(b != 0)).dropna()
        rows[column] = {
            "clips": int(len(relative)),
            "median relative difference": float(relative.median()) if len(relative) else float("nan"),
            "share within 1 %": float((relative <= 0.01).mean()) if len(relative) else float("nan"),
        }
    return pd.DataFrame(rows).T


def _eda_row(path: str) -> dict[str, float] | str:
    try:
        samples, sr = audio.load(path)
    except audio.AudioError as error:
        return str(error)
    return {"spectral_centroid_mean": spectral_centroid_mean(samples, sr), "tempo": tempo(samples, sr)}


def eda_table(tracks: pd.DataFrame, jobs: int = 1, progress: bool = True) -> pd.DataFrame:
    """``track_id, genre, spectral_centroid_mean, tempo`` for every readable track.

    Unreadable tracks are left out and listed in ``attrs["skipped"]``; a
    silent clip gets NaN (no centroid, no tempo), never a made-up number.
    """
    from joblib import Parallel, delayed
    usable = tracks[tracks["ok"]]
    results = Parallel(n_jobs=jobs, return_as="generator")(delayed(_eda_row)(p) for p in usable["path"])
    rows, skipped = [], []
    for (_, track), result in zip(usable.iterrows(), progress_bar(results, total=len(usable), desc="EDA features", unit="clip", disable=not progress)):
        if isinstance(result, str):
            skipped.append(result)
        else:
            rows.append({"track_id": track["track_id"], "genre": track["genre"], **result})
    table = pd.DataFrame(rows, columns=["track_id", "genre", *EDA_COLUMNS])
    table.attrs["skipped"] = skipped
    return table


def main(argv: list[str] | None = None) -> int:
    from . import data

    parser = argparse.ArgumentParser(prog="python -m helpers.features", description="Compute audio descriptors.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_eda = sub.add_parser("eda", help="spectral centroid mean and tempo per clip")
    p_eda.add_argument("root", type=Path)
    p_eda.add_argument("--out", type=Path, required=True)
    p_eda.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    tracks = data.tracks_for_cli(args.root)
    if tracks is None:
        return 2
    table = eda_table(tracks, jobs=args.jobs)
    table.to_csv(args.out, index=False)
    print(f"wrote {len(table)} rows to {args.out}; skipped {len(table.attrs['skipped'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
