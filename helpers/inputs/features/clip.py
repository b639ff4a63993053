"""The 57 Kaggle features of one signal, and per-frame descriptor sequences, from a single STFT.

Minimum length: a signal (a whole clip or one segment) needs at least ``n_fft``
samples, one full analysis frame (2048 samples, 93 ms at 22050 Hz). Shorter
signals have no meaningful spectrum (librosa pads them and warns), so
:func:`pieces` gives no piece for them, and the functions here refuse them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from ...data import audio
from .hpss import hpss_masks

_STATS = ("chroma_stft", "rms", "spectral_centroid", "spectral_bandwidth", "rolloff", "zero_crossing_rate", "harmony", "perceptr")


def feature_columns(n_mfcc: int = 20) -> tuple[str, ...]:
    """The names :func:`clip_features` gives, in order (the Kaggle set has 20 MFCCs)."""
    return (
        *(f"{name}_{stat}" for name in _STATS for stat in ("mean", "var")),
        "tempo",
        *(f"mfcc{i}_{stat}" for i in range(1, n_mfcc + 1) for stat in ("mean", "var")),
    )


FEATURE_COLUMNS: tuple[str, ...] = feature_columns(20)
KAGGLE_COLUMNS: tuple[str, ...] = ("filename", "length", *FEATURE_COLUMNS, "label")
SEQUENCE_FEATURES: tuple[str, ...] = (
    *(f"mfcc{i}" for i in range(1, 21)), *(f"chroma{i}" for i in range(1, 13)),
    "spectral_centroid", "spectral_bandwidth", "rolloff", "zero_crossing_rate", "rms",
)


MAX_SEGMENT_SECONDS = 24 * 3600.0  # a day: longer segments are a typing mistake (1e308 would overflow)


def _whole(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


@dataclass(frozen=True)
class FeatureParams:
    """Everything that shapes the numbers; part of the cache key. Invalid values raise ``ValueError``."""

    sample_rate: int = audio.DEFAULT_SAMPLE_RATE
    n_fft: int = 2048
    hop_length: int = 512
    n_mfcc: int = 20
    hpss_kernel: int = 31
    segment_seconds: float | None = None  # None: whole clip
    version: int = 2  # bump when the computation changes (2: clips shorter than n_fft give no row)

    def __post_init__(self) -> None:
        for name in ("sample_rate", "n_fft", "hop_length", "n_mfcc", "hpss_kernel"):
            value = getattr(self, name)
            if not _whole(value) or value < 1:
                raise ValueError(f"FeatureParams.{name} must be a whole number of at least 1, got {value!r}")
        if self.segment_seconds is not None:
            seconds = self.segment_seconds
            if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds <= 0:
                raise ValueError(f"segment length must be a finite number of seconds above 0, got {seconds!r}")
            if seconds > MAX_SEGMENT_SECONDS:
                raise ValueError(f"segments of {seconds:g} s are longer than any file read here; give at most "
                                 f"{MAX_SEGMENT_SECONDS:g} s")
            if self.segment_samples < self.n_fft:
                raise ValueError(f"segments of {seconds:g} s hold {self.segment_samples} samples, fewer than one "
                                 f"analysis frame ({self.n_fft}); give at least {self.n_fft / self.sample_rate:.3f} s")

    @property
    def segment_samples(self) -> int | None:
        """Samples per segment (as ``audio.segment`` cuts them), ``None`` for whole clips."""
        return None if self.segment_seconds is None else int(round(self.segment_seconds * self.sample_rate))


def pieces(samples: np.ndarray, params: FeatureParams) -> list[tuple[int, np.ndarray]]:
    """``(segment index, signal)`` pairs: the whole clip as index -1, or its whole segments 0, 1, ...

    Empty when the clip is too short (module docstring); the tail shorter than a segment is dropped.
    """
    if params.segment_seconds is None:
        return [(-1, samples)] if len(samples) >= params.n_fft else []
    return list(enumerate(audio.segment(samples, params.sample_rate, params.segment_seconds)))


def _check_length(samples: np.ndarray, n_fft: int) -> None:
    if len(samples) < n_fft:
        raise ValueError(f"a signal of {len(samples)} samples is shorter than one analysis frame ({n_fft} samples)")


def _mean_var(name: str, values: np.ndarray) -> dict[str, float]:
    return {f"{name}_mean": float(np.mean(values)), f"{name}_var": float(np.var(values))}


def clip_features(samples: np.ndarray, sr: int = audio.DEFAULT_SAMPLE_RATE,
                  params: FeatureParams = FeatureParams()) -> dict[str, float]:
    """The 57 Kaggle features of one mono signal (``FEATURE_COLUMNS`` order) from a single STFT.

    One STFT feeds chroma, centroid, bandwidth, rolloff, the mel spectrogram (MFCC,
    tempo) and the HPSS masks; one inverse STFT gives the harmonic waveform. Raises
    ``ValueError`` for a signal shorter than ``params.n_fft``.
    """
    _check_length(samples, params.n_fft)
    with warnings.catch_warnings():
        # Silence and pure tones have no pitch to estimate tuning from; librosa then uses 0.
        warnings.filterwarnings("ignore", message="Trying to estimate tuning")
        return _clip_features(samples, sr, params)


def _clip_features(samples: np.ndarray, sr: int, params: FeatureParams) -> dict[str, float]:
    import librosa

    n_fft, hop = params.n_fft, params.hop_length
    D = librosa.stft(samples, n_fft=n_fft, hop_length=hop)
    magnitude = np.abs(D)
    power = magnitude**2
    row: dict[str, float] = {}
    row |= _mean_var("chroma_stft", librosa.feature.chroma_stft(S=power, sr=sr, n_fft=n_fft, hop_length=hop))
    row |= _mean_var("rms", librosa.feature.rms(y=samples, frame_length=n_fft, hop_length=hop))
    centroid = librosa.feature.spectral_centroid(S=magnitude, sr=sr, n_fft=n_fft, hop_length=hop)
    row |= _mean_var("spectral_centroid", centroid)
    bandwidth = librosa.feature.spectral_bandwidth(S=magnitude, sr=sr, n_fft=n_fft, hop_length=hop, centroid=centroid)
    row |= _mean_var("spectral_bandwidth", bandwidth)
    row |= _mean_var("rolloff", librosa.feature.spectral_rolloff(S=magnitude, sr=sr, n_fft=n_fft, hop_length=hop))
    row |= _mean_var("zero_crossing_rate", librosa.feature.zero_crossing_rate(samples, frame_length=n_fft, hop_length=hop))
    mask_harm, _ = hpss_masks(magnitude, params.hpss_kernel)
    harmonic = librosa.istft(D * mask_harm, hop_length=hop, n_fft=n_fft, length=len(samples), dtype=samples.dtype)
    row |= _mean_var("harmony", harmonic)
    # The masks sum to one and the STFT inverts exactly, so the percussive waveform is the
    # rest of the signal: one inverse STFT instead of two, same numbers up to float rounding.
    row |= _mean_var("perceptr", samples - harmonic)
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sr, n_fft=n_fft, hop_length=hop))
    # librosa.beat.beat_track (used for the Kaggle CSV) reports this same estimate from the
    # median-aggregated onset envelope; the beat tracker itself is not needed.
    envelope = librosa.onset.onset_strength(S=mel_db, sr=sr, hop_length=hop, aggregate=np.median)
    row["tempo"] = float(librosa.feature.tempo(onset_envelope=envelope, sr=sr, hop_length=hop)[0])
    mfcc = librosa.feature.mfcc(S=mel_db, sr=sr, n_mfcc=params.n_mfcc)
    for i, coefficient in enumerate(mfcc, start=1):
        row |= _mean_var(f"mfcc{i}", coefficient)
    return row


def clip_features_reference(samples: np.ndarray, sr: int = audio.DEFAULT_SAMPLE_RATE) -> dict[str, float]:
    """The straightforward computation: one librosa call per feature, each from the waveform."""
    import librosa

    _check_length(samples, 2048)
    row: dict[str, float] = {}
    row |= _mean_var("chroma_stft", librosa.feature.chroma_stft(y=samples, sr=sr))
    row |= _mean_var("rms", librosa.feature.rms(y=samples))
    row |= _mean_var("spectral_centroid", librosa.feature.spectral_centroid(y=samples, sr=sr))
    row |= _mean_var("spectral_bandwidth", librosa.feature.spectral_bandwidth(y=samples, sr=sr))
    row |= _mean_var("rolloff", librosa.feature.spectral_rolloff(y=samples, sr=sr))
    row |= _mean_var("zero_crossing_rate", librosa.feature.zero_crossing_rate(samples))
    harmonic, percussive = librosa.effects.hpss(samples)
    row |= _mean_var("harmony", harmonic)
    row |= _mean_var("perceptr", percussive)
    tempo, _ = librosa.beat.beat_track(y=samples, sr=sr)
    row["tempo"] = float(np.atleast_1d(tempo)[0])
    for i, coefficient in enumerate(librosa.feature.mfcc(y=samples, sr=sr, n_mfcc=20), start=1):
        row |= _mean_var(f"mfcc{i}", coefficient)
    return row


def defined(row: dict[str, float]) -> dict[str, float]:
    """NaN/inf (a silent clip has no centroid, no tempo) replaced by 0, so that no NaN reaches a CSV."""
    return {k: (v if np.isfinite(v) else 0.0) for k, v in row.items()}


# ----------------------------------------------------------------------------- per-frame sequences (LSTM input)


def sequence_steps(n_samples: int, pool: int, params: FeatureParams = FeatureParams()) -> int:
    """Steps :func:`frame_sequence` gives for ``n_samples`` (0 when the signal is too short)."""
    if n_samples < params.n_fft:
        return 0
    # librosa's centred frames: the signal is padded by n_fft // 2 on both sides.
    frames = 1 + (n_samples + 2 * (params.n_fft // 2) - params.n_fft) // params.hop_length
    return frames // pool


def frame_sequence(samples: np.ndarray, sr: int = audio.DEFAULT_SAMPLE_RATE, pool: int = 8,
                   params: FeatureParams = FeatureParams()) -> np.ndarray:
    """Per-frame descriptors (``SEQUENCE_FEATURES``) averaged over ``pool`` frames: shape ``(steps, 37)``.

    The same STFT-derived features as the clip summary, kept in time order for a
    recurrent model; pooling 8 frames of 23 ms gives one step per 0.19 s. Raises
    ``ValueError`` for a signal shorter than ``params.n_fft``; a signal of fewer
    than ``pool`` frames gives 0 steps.
    """
    import librosa

    _check_length(samples, params.n_fft)
    n_fft, hop = params.n_fft, params.hop_length
    D = np.abs(librosa.stft(samples, n_fft=n_fft, hop_length=hop))
    power = D**2
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Trying to estimate tuning")
        chroma = librosa.feature.chroma_stft(S=power, sr=sr, n_fft=n_fft, hop_length=hop)
    mel_db = librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=sr, n_fft=n_fft, hop_length=hop))
    centroid = librosa.feature.spectral_centroid(S=D, sr=sr, n_fft=n_fft, hop_length=hop)
    frames = np.vstack([
        librosa.feature.mfcc(S=mel_db, sr=sr, n_mfcc=20),
        chroma,
        centroid,
        librosa.feature.spectral_bandwidth(S=D, sr=sr, n_fft=n_fft, hop_length=hop, centroid=centroid),
        librosa.feature.spectral_rolloff(S=D, sr=sr, n_fft=n_fft, hop_length=hop),
        librosa.feature.zero_crossing_rate(samples, frame_length=n_fft, hop_length=hop),
        librosa.feature.rms(y=samples, frame_length=n_fft, hop_length=hop),
    ])
    steps = frames.shape[1] // pool
    pooled = frames[:, : steps * pool].reshape(frames.shape[0], steps, pool).mean(axis=2)
    return np.nan_to_num(pooled.T.astype(np.float32))
