"""Our features next to a reference table (the Kaggle CSV), and the two exploratory descriptors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ...runtime import CACHE_DIR
from .clip import FEATURE_COLUMNS
from .extract import extract

EDA_COLUMNS: tuple[str, ...] = ("spectral_centroid_mean", "tempo")


@dataclass(frozen=True)
class Parity:
    """What :func:`parity` measured."""

    table: pd.DataFrame  # per feature: clips, median |deviation| / std
    tempo_within_1pct: float  # share of shared clips whose tempo is within 1 % of the reference (NaN if none)
    clips: int  # clips present in both tables


def parity(ours: pd.DataFrame, reference: pd.DataFrame) -> Parity:
    """Per feature: median |ours - reference| on shared tracks, divided by the feature's std over all reference rows.

    The scale (std across the whole reference table) also works for features
    whose mean is near zero (harmony_mean), where relative errors explode.
    """
    both = ours.merge(reference, on="track_id", suffixes=("_ours", "_ref"))
    rows = {}
    for column in FEATURE_COLUMNS:
        deviation = (both[f"{column}_ours"] - both[f"{column}_ref"]).abs()
        scale = reference[column].std()
        relative = float(deviation.median() / scale) if scale > 0 else float("nan")
        rows[column] = {"clips": len(both), "median |deviation| / std": relative}
    tempo_rel = (both["tempo_ours"] - both["tempo_ref"]).abs() / both["tempo_ref"]
    within = float((tempo_rel <= 0.01).mean()) if len(both) else float("nan")
    return Parity(pd.DataFrame(rows).T, within, len(both))


def eta_squared(table: pd.DataFrame, column: str, by: str = "genre") -> float:
    """Share of a descriptor's variance explained by genre (between-group / total sum of squares)."""
    values = table[[by, column]].dropna()
    grand = values[column].mean()
    total = ((values[column] - grand) ** 2).sum()
    groups = values.groupby(by)[column]
    between = (groups.count() * (groups.mean() - grand) ** 2).sum()
    return float(between / total) if total > 0 else float("nan")


def compare_with_reference(ours: pd.DataFrame, reference: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
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


@dataclass(frozen=True)
class EdaTable:
    """What :func:`eda_table` produced."""

    table: pd.DataFrame  # track_id, genre, *EDA_COLUMNS; NaN for silent clips
    skipped: tuple[str, ...]  # "path: reason" of every unreadable clip
    too_short: tuple[str, ...]  # track ids of clips too short for features


def eda_table(tracks: pd.DataFrame, jobs: int = 1, progress: bool = True, cache_dir: Path | None = CACHE_DIR) -> EdaTable:
    """``track_id, genre, spectral_centroid_mean, tempo`` for every readable track (from :func:`extract`).

    A silent clip gets NaN here (no brightness, no tempo), not a made-up number.
    """
    features = extract(tracks, jobs=jobs, cache_dir=cache_dir, progress=progress)
    eda = features.table[["track_id", "genre", *EDA_COLUMNS]].copy()
    eda.loc[features.table["filename"].isin(features.silent), list(EDA_COLUMNS)] = np.nan
    return EdaTable(eda, features.skipped, features.too_short)
