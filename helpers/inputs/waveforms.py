"""Input steps on the raw waveform, for networks that read samples rather than a spectrogram.

:func:`track_waveforms` decodes every track of a tracks table once, at one sample rate, into a mapping from track
id to samples (the waveform networks crop it anew each epoch). With a cache folder each clip's samples are kept as
a ``.npy`` entry keyed by the file's content and the rate, and read memory-mapped, so that a dataset larger than
memory (FMA-small: 8000 clips, about 21 GB of float32 at 22050 Hz) costs only the crops a batch reads.

wav2vec 2.0 and HuBERT (``helpers.models.wav2vec2``) read 16-kHz samples as their
``transformers`` feature extractor hands them over: for wav2vec2-base, each clip
normalised to zero mean and unit variance (``Wav2Vec2FeatureExtractor`` with
``do_normalize``). That step belongs to the input, not to the model, so a model's
reference outputs are computed on the values the model itself receives.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..data import audio, cache
from ..runtime import progress

# Wav2Vec2FeatureExtractor.zero_mean_unit_var_norm adds it to the variance, so a silent clip stays zeros
VARIANCE_EPSILON = 1e-7


def zero_mean_unit_variance(samples: np.ndarray) -> np.ndarray:
    """One clip's samples minus their mean, divided by ``sqrt(variance + 1e-7)``, as float32: what
    ``Wav2Vec2FeatureExtractor(do_normalize=True)`` does to an unpadded clip. The statistics are taken in float64,
    so a long clip's sums lose nothing."""
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim != 1 or not samples.size:
        raise ValueError(f"expected the samples of one mono clip (1-D, not empty), got shape {samples.shape}")
    centred = samples - samples.mean()
    return (centred / np.sqrt(centred.var() + VARIANCE_EPSILON)).astype(np.float32)


WAVEFORM_CACHE = "waveforms"


class TrackWaveforms(Mapping):
    """Track id to its mono float32 samples at ``sample_rate``: arrays held in memory, or ``.npy`` cache entries read
    memory-mapped on each access."""

    def __init__(self, sample_rate: int, arrays: dict[str, np.ndarray] | None = None, files: dict[str, Path] | None = None):
        self.sample_rate, self._arrays, self._files = sample_rate, dict(arrays or {}), dict(files or {})

    def __getitem__(self, track_id: str) -> np.ndarray:
        if track_id in self._arrays:
            return self._arrays[track_id]
        return np.load(self._files[track_id], mmap_mode="r")

    def __iter__(self) -> Iterator[str]:
        yield from self._arrays
        yield from self._files

    def __len__(self) -> int:
        return len(self._arrays) + len(self._files)


def _cached_samples(path: str, sample_rate: int, cache_dir: str | os.PathLike) -> Path:
    entry = cache.entry(WAVEFORM_CACHE, cache.key("mono float32 samples", sample_rate, files=[path],
                                                  libraries=("soundfile", "soxr")), ".npy", cache_dir)
    if entry.is_file():
        try:
            np.load(entry, mmap_mode="r")
            return entry
        except (ValueError, OSError) as error:
            cache.discard(entry, f"unreadable samples ({error})")
    samples, _ = audio.load(path, sr=sample_rate)
    cache.atomic_write(entry, lambda handle: np.save(handle, np.asarray(samples, np.float32)))
    return entry


def track_waveforms(tracks: pd.DataFrame, sample_rate: int = audio.DEFAULT_SAMPLE_RATE,
                    cache_dir: str | os.PathLike | None = None, show_progress: bool = True) -> tuple[TrackWaveforms, list[str]]:
    """The samples of every track of ``tracks`` (``track_id``, ``path``) at ``sample_rate``, and the tracks that could
    not be decoded (``"<path>: <reason>"``, left out). ``cache_dir``: keep each clip's samples there (see the module
    docstring); ``None``: decode into memory."""
    arrays: dict[str, np.ndarray] = {}
    files: dict[str, Path] = {}
    failed: list[str] = []
    rows = list(zip(tracks["track_id"], tracks["path"]))
    for track_id, path in progress(rows, desc="decoding clips", disable=not show_progress):
        try:
            if cache_dir is None:
                arrays[track_id] = audio.load(path, sr=sample_rate)[0]
            else:
                files[track_id] = _cached_samples(str(path), sample_rate, cache_dir)
        except audio.AudioError as error:
            failed.append(str(error))
    return TrackWaveforms(sample_rate, arrays, files), failed
