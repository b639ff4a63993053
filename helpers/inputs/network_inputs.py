"""The networks' input arrays: stacks of PNG images, and log-mel arrays of audio segments.

Both are cached through ``helpers.data.cache``, keyed by the *content* of the files they
come from, their parameters and the versions of the libraries that compute them
(``spectrograms.LIBRARIES``); a truncated or corrupt entry is recomputed with one
``CacheWarning``.

* :func:`image_arrays` stacks PNGs (this repository's or the Kaggle images) into
  ``(n, size, size, channels)``; one cache entry per list of files.
* :class:`LogMelSegments` is a representation (``helpers.inputs.representations``): the
  normalised log-mel arrays of a clip's segments, cached per clip, so it can share
  one decode per clip with the PNGs (``spectrograms.MelImages``) and the features.
  :func:`log_mel_segments` runs it over a tracks table and stacks the result.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..data import audio, cache
from ..runtime import progress as progress_bar
from . import representations
from .spectrograms import LIBRARIES, MelParams, crop_kaggle_image, log_mel, normalize

if TYPE_CHECKING:  # PIL is imported where it is used: it is slow to import
    from PIL import Image

IMAGE_COLORS: tuple[str, ...] = ("grayscale", "rgb")


def image_to_array(image: Image.Image, size: int, color: str = "grayscale") -> np.ndarray:
    """A PIL image as ``(size, size, channels)`` float32 in [0, 1]: 1 channel for grayscale, 3 for RGB."""
    from PIL import Image

    if color not in IMAGE_COLORS:
        raise ValueError(f"unknown color mode {color!r}; valid: {', '.join(IMAGE_COLORS)}")
    image = image.convert("L" if color == "grayscale" else "RGB")
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR)
    pixels = np.asarray(image, dtype=np.float32) / 255.0
    return pixels[..., None] if pixels.ndim == 2 else pixels


def load_image(path: str | Path, size: int, color: str = "grayscale", crop_border: bool = False) -> np.ndarray:
    """One PNG as a network input (see :func:`image_to_array`); ``crop_border`` removes the Kaggle white frame."""
    from PIL import Image

    with Image.open(path) as image:
        return image_to_array(crop_kaggle_image(image) if crop_border else image, size, color)


def image_arrays(
    paths: Sequence[str | Path], size: int, color: str = "grayscale", crop_border: bool = False,
    cache_dir: str | Path | None = None, progress: bool = True,
) -> np.ndarray:
    """Stack PNGs into ``(n, size, size, channels)`` float32 in [0, 1], cached under ``cache_dir`` (``None``: not cached)."""
    if color not in IMAGE_COLORS:
        raise ValueError(f"unknown color mode {color!r}; valid: {', '.join(IMAGE_COLORS)}")
    paths = [str(p) for p in paths]
    shape = (len(paths), size, size, 1 if color == "grayscale" else 3)
    entry = None
    if cache_dir is not None:
        key = cache.key("image-stack", size, color, crop_border, files=paths, libraries=LIBRARIES)
        entry = cache.entry("image-stacks", key, ".npz", root=cache_dir)
        stored = cache.read_arrays(entry, ["X"])
        if stored is not None and stored["X"].shape == shape and stored["X"].dtype == np.float32:
            return stored["X"]
        if stored is not None:
            cache.discard(entry, f"it holds an array of shape {stored['X'].shape}, not {shape}")
    arrays = [load_image(p, size, color, crop_border)
              for p in progress_bar(paths, desc="loading images", unit="image", disable=not progress)]
    stacked = np.stack(arrays) if arrays else np.zeros(shape, np.float32)
    if entry is not None:
        cache.write_arrays(entry, X=stacked)
    return stacked


def pick_segments(count: int, per_clip: int | None) -> list[int]:
    """``per_clip`` evenly spaced segment numbers out of ``count`` (all when ``None``)."""
    if per_clip is None or per_clip >= count:
        return list(range(count))
    return sorted(set(np.linspace(0, count - 1, per_clip).round().astype(int).tolist()))


@dataclass(frozen=True, eq=False)
class ClipSegments:
    """The log-mel arrays of one clip's picked segments, ``(k, n_mels, frames)``, and their segment numbers."""

    arrays: np.ndarray
    segments: np.ndarray


@dataclass(frozen=True)
class LogMelSegments:
    """Normalised log-mel arrays of ``seconds``-long segments of a clip (``per_clip`` evenly spaced ones,
    all when ``None``); its value is a :class:`ClipSegments`, cached per clip under ``cache_dir``
    (``None``: not cached)."""

    seconds: float
    params: MelParams = MelParams(n_mels=64)
    per_clip: int | None = None
    cache_dir: Path | None = None
    name: str = "log-mel segments"

    def __post_init__(self) -> None:
        if not (math.isfinite(self.seconds) and self.seconds > 0):
            raise ValueError(f"segment length must be a finite number of seconds above 0, got {self.seconds}")
        if self.per_clip is not None and self.per_clip < 1:
            raise ValueError(f"per_clip must be 1 or more (or None for all segments), got {self.per_clip}")

    @property
    def sample_rate(self) -> int:
        return self.params.sample_rate

    @property
    def frames(self) -> int:
        return 1 + int(self.seconds * self.params.sample_rate) // self.params.hop_length

    def _entry(self, track: Mapping) -> Path:
        key = cache.key("log-mel-segments", self.seconds, self.params, self.per_clip, files=[track["path"]],
                        libraries=LIBRARIES)
        return cache.entry("log-mel-segments", key, ".npz", root=self.cache_dir)

    def cached(self, track: Mapping) -> ClipSegments | None:
        if self.cache_dir is None:
            return None
        try:
            entry = self._entry(track)
        except OSError:
            return None  # the decode reports the missing file
        stored = cache.read_arrays(entry, ["X", "segment"])
        if stored is None:
            return None
        X, segments = stored["X"], stored["segment"]
        if X.ndim != 3 or X.shape[1] != self.params.n_mels or len(X) != len(segments):
            cache.discard(entry, f"it holds arrays of shapes {X.shape} and {segments.shape}")
            return None
        return ClipSegments(X, segments)

    def compute(self, samples: np.ndarray, sr: int, track: Mapping) -> ClipSegments:
        picks = pick_segments(audio.segment_count(float(track["duration"]), self.seconds), self.per_clip)
        pieces = audio.segment(samples, self.params.sample_rate, self.seconds)
        kept = [i for i in picks if i < len(pieces)]  # the header may promise more audio than decodes
        arrays = [normalize(log_mel(pieces[i], self.params)) for i in kept]
        X = np.stack(arrays) if arrays else np.zeros((0, self.params.n_mels, self.frames), np.float32)
        return ClipSegments(X, np.array(kept, dtype=np.int64))

    def store(self, track: Mapping, value: ClipSegments) -> None:
        if self.cache_dir is not None:
            cache.write_arrays(self._entry(track), X=value.arrays, segment=value.segments)


@dataclass(frozen=True, eq=False)
class SegmentArrays:
    """What :func:`log_mel_segments` returns: ``X`` ``(n, n_mels, frames, 1)`` in [0, 1], the aligned
    ``table`` (``track_id, genre, segment``) and the clips that could not be decoded (``"path: reason"``)."""

    X: np.ndarray
    table: pd.DataFrame
    failed: list[str]


def log_mel_segments(
    tracks: pd.DataFrame, seconds: float, params: MelParams = MelParams(n_mels=64), per_clip: int | None = None,
    cache_dir: str | Path | None = None, jobs: int = 1, progress: bool = True,
) -> SegmentArrays:
    """The :class:`LogMelSegments` of every readable track, stacked (the small CNN's input)."""
    rep = LogMelSegments(float(seconds), params, per_clip, None if cache_dir is None else Path(cache_dir))
    result = representations.compute(tracks, [rep], jobs=jobs, progress=progress, desc=f"log-mel {seconds:g}-s segments")
    arrays, rows = [], []
    for track, clip in zip(result.tracks.to_dict("records"), result.values[rep.name]):
        if clip is None:
            continue
        arrays.append(clip.arrays)
        rows += [dict(track_id=track["track_id"], genre=track["genre"], segment=int(s)) for s in clip.segments]
    X = np.concatenate(arrays)[..., None] if rows else np.zeros((0, params.n_mels, rep.frames, 1), np.float32)
    return SegmentArrays(X, pd.DataFrame(rows, columns=["track_id", "genre", "segment"]), list(result.failed))
