"""Features and frame sequences of many clips: cached per clip, computed in one decode per clip.

:class:`FeatureRows` and :class:`FrameSequences` are representations for
``helpers.inputs.representations.compute``: a pass asks each one for its cached value and
decodes a clip only when one misses, so computing both in one pass decodes each
clip once, and a second pass decodes nothing::

    rows, seqs = FeatureRows(params), FrameSequences(pool=8)
    result = representations.compute(tracks, [rows, seqs], jobs=4)
    table, sequence_set = rows.collect(tracks, result), seqs.collect(tracks, result)

:func:`extract` and :func:`sequences` do exactly this for one representation.

Cache entries (``helpers.data.cache``, key = file content + parameters + library
versions) are checked when read: an entry that does not hold what this module
writes is removed with one ``CacheWarning`` and recomputed.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from ...data import cache
from ...runtime import CACHE_DIR
from .. import representations
from .clip import (
    KAGGLE_COLUMNS,
    SEQUENCE_FEATURES,
    FeatureParams,
    clip_features,
    defined,
    feature_columns,
    frame_sequence,
    pieces,
    sequence_steps,
)
from .long import long_feature_rows

# What the cached numbers depend on besides the file and the parameters.
LIBRARIES = ("librosa", "numpy", "scipy", "soundfile", "soxr")


def unreadable(tracks: pd.DataFrame) -> list[str]:
    """``"path: reason"`` of every row of the tracks table marked unreadable (``ok`` False)."""
    if "ok" not in tracks:
        return []
    bad = tracks[~tracks["ok"].astype(bool)]
    errors = bad["error"] if "error" in bad else pd.Series("", index=bad.index)
    return [str(error) if str(error).strip() else f"{path}: unreadable" for path, error in zip(bad["path"], errors)]


def _entry(kind: str, suffix: str, parts: tuple, track: Mapping, root: Path | None) -> Path | None:
    """The cache file of ``track``, or ``None`` without a cache or when the file cannot be read now
    (the decode then fails and reports why)."""
    if root is None:
        return None
    try:
        entry_key = cache.key(*parts, files=[track["path"]], libraries=LIBRARIES)
    except OSError:
        return None
    return cache.entry(kind, entry_key, suffix, root=root)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


@dataclass(frozen=True)
class FeatureTable:
    """What :func:`extract` produced."""

    table: pd.DataFrame  # track_id, genre, then the Kaggle columns; one row per clip or segment
    skipped: tuple[str, ...]  # "path: reason" of every clip left out as unreadable (in the table or at decoding)
    silent: tuple[str, ...]  # the `filename` of every all-zero clip or segment (defined row, zeros where undefined)
    too_short: tuple[str, ...]  # track ids of readable clips that gave no row (shorter than n_fft or one segment)
    params: FeatureParams


@dataclass(frozen=True)
class FrameSequenceSet:
    """What :func:`sequences` produced."""

    X: np.ndarray  # (clips, steps, len(SEQUENCE_FEATURES)) float32, cut to the shortest clip
    rows: pd.DataFrame  # track_id and genre, aligned with X
    skipped: tuple[str, ...]  # "path: reason" of every clip left out as unreadable
    too_short: tuple[str, ...]  # track ids of readable clips too short for one step


@dataclass(frozen=True)
class FeatureRows:
    """Representation: a clip's feature rows, one per segment (``segment`` 0, 1, ...) or one for the clip (-1).

    Each row holds ``segment``, ``length`` (samples), ``silent`` and the features.
    A clip shorter than the minimum (``helpers.inputs.features.clip``) gives no row.
    ``cache_dir``: the cache's root folder (entries under ``cache_dir/features/``); None: no cache.
    """

    params: FeatureParams = FeatureParams()
    cache_dir: Path | None = CACHE_DIR
    name: ClassVar[str] = "features"

    @property
    def sample_rate(self) -> int:
        return self.params.sample_rate

    def _path(self, track: Mapping) -> Path | None:
        return _entry("features", ".json", ("features", self.params), track, self.cache_dir)

    def cached(self, track: Mapping) -> list[dict] | None:
        path = self._path(track)
        return None if path is None else cache.read_json(path, check=self.is_valid)

    def compute(self, samples: np.ndarray, sr: int, track: Mapping) -> list[dict]:
        return [
            {"segment": index, "length": len(piece), "silent": not np.any(piece),
             **defined(clip_features(piece, sr, self.params))}
            for index, piece in pieces(samples, self.params)
        ]

    def compute_blocks(self, blocks: Callable[[], Iterable[np.ndarray]], sr: int, track: Mapping) -> list[dict]:
        """:meth:`compute` of a long file read block by block (``helpers.inputs.features.long``): the same rows."""
        return [{"segment": index, "length": length, "silent": silent, **defined(row)}
                for index, length, silent, row in long_feature_rows(blocks, sr, self.params)]

    def store(self, track: Mapping, value: list[dict]) -> None:
        path = self._path(track)
        if path is not None:
            cache.write_json(path, value)

    def is_valid(self, value: Any) -> bool:
        """Whether ``value`` is what :meth:`compute` returns for these parameters (the cache check)."""
        if not isinstance(value, list):
            return False
        expected_keys = {"segment", "length", "silent", *feature_columns(self.params.n_mfcc)}
        whole = self.params.segment_seconds is None
        if whole and len(value) > 1:
            return False
        for position, row in enumerate(value):
            if not isinstance(row, dict) or set(row) != expected_keys or not isinstance(row["silent"], bool):
                return False
            if row["segment"] != (-1 if whole else position) or not isinstance(row["length"], int):
                return False
            if row["length"] < self.params.n_fft or (not whole and row["length"] != self.params.segment_samples):
                return False
            if not all(_is_number(row[column]) for column in expected_keys - {"segment", "length", "silent"}):
                return False
        return True

    def collect(self, tracks: pd.DataFrame, result: representations.PassResult) -> FeatureTable:
        """The feature table of a pass that computed this representation over ``tracks``."""
        columns = ["track_id", "genre", "filename", "length", *feature_columns(self.params.n_mfcc), "label"]
        rows, silent, too_short = [], [], []
        for track, clip_rows in zip(result.tracks.to_dict("records"), result.values[self.name]):
            if clip_rows is None:  # failed to decode: listed in result.failed
                continue
            if not clip_rows:
                too_short.append(track["track_id"])
            path = Path(track["path"])
            for row in clip_rows:
                name = path.name if row["segment"] < 0 else f"{path.stem}.{row['segment']}{path.suffix}"
                if row["silent"]:
                    silent.append(name)
                rows.append({**row, "track_id": track["track_id"], "genre": track["genre"], "filename": name,
                             "label": track["genre"]})
        table = pd.DataFrame(rows, columns=columns)
        return FeatureTable(table, tuple(unreadable(tracks) + result.failed), tuple(silent), tuple(too_short), self.params)


@dataclass(frozen=True)
class FrameSequences:
    """Representation: a clip's per-frame descriptors pooled over ``pool`` frames, float32 ``(steps, 37)``.

    A clip too short for one step gives ``(0, 37)``. ``cache_dir``: the cache's root folder
    (entries under ``cache_dir/sequences/``); None: no cache.
    """

    pool: int = 8
    params: FeatureParams = FeatureParams()
    cache_dir: Path | None = CACHE_DIR
    name: ClassVar[str] = "frame sequences"

    def __post_init__(self) -> None:
        if isinstance(self.pool, bool) or not isinstance(self.pool, (int, np.integer)) or self.pool < 1:
            raise ValueError(f"pool must be a whole number of frames of at least 1, got {self.pool!r}")

    @property
    def sample_rate(self) -> int:
        return self.params.sample_rate

    def _path(self, track: Mapping) -> Path | None:
        return _entry("sequences", ".npz", ("frame-sequences", self.pool, self.params), track, self.cache_dir)

    def cached(self, track: Mapping) -> np.ndarray | None:
        path = self._path(track)
        if path is None:
            return None
        stored = cache.read_arrays(path, ["sequence"])
        if stored is None:
            return None
        sequence = stored["sequence"]
        if not self.is_valid(sequence):
            cache.discard(path, f"an array of shape {sequence.shape} and type {sequence.dtype}")
            return None
        return sequence

    def compute(self, samples: np.ndarray, sr: int, track: Mapping) -> np.ndarray:
        if sequence_steps(len(samples), self.pool, self.params) == 0:
            return np.zeros((0, len(SEQUENCE_FEATURES)), np.float32)
        return frame_sequence(samples, sr, self.pool, self.params)

    def store(self, track: Mapping, value: np.ndarray) -> None:
        path = self._path(track)
        if path is not None:
            cache.write_arrays(path, sequence=value)

    @staticmethod
    def is_valid(value: Any) -> bool:
        """Whether ``value`` is what :meth:`compute` returns (the cache check)."""
        return (isinstance(value, np.ndarray) and value.dtype == np.float32 and value.ndim == 2
                and value.shape[1] == len(SEQUENCE_FEATURES) and bool(np.isfinite(value).all()))

    def collect(self, tracks: pd.DataFrame, result: representations.PassResult) -> FrameSequenceSet:
        """The sequences of a pass that computed this representation over ``tracks``, cut to the shortest."""
        arrays, keep, too_short = [], [], []
        for i, (track_id, sequence) in enumerate(zip(result.tracks["track_id"], result.values[self.name])):
            if sequence is None:
                continue
            if len(sequence) == 0:
                too_short.append(track_id)
                continue
            arrays.append(sequence)
            keep.append(i)
        steps = min((len(a) for a in arrays), default=0)
        X = np.stack([a[:steps] for a in arrays]) if arrays else np.zeros((0, 0, len(SEQUENCE_FEATURES)), np.float32)
        rows = result.tracks.loc[keep, ["track_id", "genre"]].reset_index(drop=True)
        return FrameSequenceSet(X, rows, tuple(unreadable(tracks) + result.failed), tuple(too_short))


def extract(
    tracks: pd.DataFrame,
    segment_seconds: float | None = None,
    jobs: int = 1,
    cache_dir: Path | None = CACHE_DIR,
    params: FeatureParams | None = None,
    progress: bool = True,
) -> FeatureTable:
    """Features of every readable track in the Kaggle CSV format (plus ``track_id`` and ``genre`` first).

    Give ``segment_seconds`` or ``params`` (whose ``segment_seconds`` then applies).
    Nothing is left out silently: unreadable clips are listed in ``skipped``, silent
    clips or segments get a defined row and are listed in ``silent``, clips too short
    for a row in ``too_short``. ``cache_dir``: the cache's root folder (``helpers.data.cache``); None: no cache.
    """
    if params is None:
        params = FeatureParams(segment_seconds=segment_seconds)
    elif segment_seconds is not None and segment_seconds != params.segment_seconds:
        raise ValueError(f"segment_seconds={segment_seconds} contradicts params.segment_seconds={params.segment_seconds}")
    rows = FeatureRows(params, cache_dir)
    return rows.collect(tracks, representations.compute(tracks, [rows], jobs=jobs, progress=progress))


def sequences(
    tracks: pd.DataFrame,
    pool: int = 8,
    jobs: int = 1,
    progress: bool = True,
    cache_dir: Path | None = CACHE_DIR,
    params: FeatureParams = FeatureParams(),
) -> FrameSequenceSet:
    """Per-frame sequences of every readable track, cut to the shortest (see :class:`FrameSequenceSet`)."""
    frames = FrameSequences(pool, params, cache_dir)
    return frames.collect(tracks, representations.compute(tracks, [frames], jobs=jobs, progress=progress))


def to_kaggle_csv(table: pd.DataFrame | FeatureTable, path: str | Path) -> Path:
    """Write the Kaggle columns (``filename, length, ..., label``), in order; ``OSError`` if that fails."""
    if isinstance(table, FeatureTable):
        table = table.table
    columns = [column for column in table.columns if column not in ("track_id", "genre")]
    if columns[:2] != list(KAGGLE_COLUMNS[:2]) or columns[-1] != "label":
        raise ValueError(f"not a feature table: columns {columns[:3]}...")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(path, table[columns].to_csv(index=False))
    return path
