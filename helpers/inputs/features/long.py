"""The features of a file of any length in bounded memory: :func:`clip_features` computed block by block.

:func:`clip_features` holds the whole STFT, its HPSS masks, the harmonic waveform and the
tempogram at once: about 8.5 GB for one hour of audio. Here the signal arrives in blocks
(``helpers.data.stream.blocks``) and is read twice:

1. the two quantities that depend on the whole signal: the largest mel power (the 80-dB
   floor of ``librosa.power_to_db``) and the pitch candidates whose median magnitude
   chooses the tuning of the chroma filters (``librosa.estimate_tuning``);
2. blocks of :data:`FRAMES_PER_BLOCK` frames, each with the context its steps need (the
   HPSS median filter and the inverse STFT look a few frames to either side, the onset
   envelope one frame back): each feature's values, summed into running means and
   variances (Chan's pairwise formula, float64), and the onset envelope (one number a
   frame) for the tempo, whose tempogram is then averaged block by block as well.

Memory is then a few blocks plus the onset envelope and the pitch candidates (a few MB
per hour). The numbers are :func:`clip_features`' up to float rounding (a test compares
them). :func:`long_feature_rows` gives a file's feature rows, whole or in segments.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable

import numpy as np

from ..framing import FramedSignal
from .clip import FeatureParams, clip_features, feature_columns
from .hpss import hpss_masks

FRAMES_PER_BLOCK = 2048  # about 48 s at 22050 Hz and hop 512: some 150 MB of working arrays
_TOP_DB = 80.0  # librosa.power_to_db's default floor below the loudest bin
_ONSET_N_FFT = 2048  # librosa.onset.onset_strength's default n_fft, which sets its centring shift
_TUNING_N_FFT = 2048  # librosa.estimate_tuning's default n_fft, as chroma_stft calls it
_TEMPO_SECONDS = 8.0  # librosa.feature.tempo's ac_size


class _Moments:
    """Running mean and variance of all values seen (Chan et al.'s pairwise update, in float64)."""

    def __init__(self) -> None:
        self.n, self.mean, self.m2 = 0, 0.0, 0.0

    def add(self, values: np.ndarray) -> None:
        v = np.asarray(values, dtype=np.float64).ravel()
        if not v.size:
            return
        mean = float(v.mean())
        m2 = float(np.sum((v - mean) ** 2))
        total = self.n + v.size
        delta = mean - self.mean
        self.m2 += m2 + delta * delta * self.n * v.size / total
        self.mean += delta * v.size / total
        self.n = total

    @property
    def var(self) -> float:
        return self.m2 / self.n if self.n else float("nan")


def _global_pass(blocks: Iterable[np.ndarray], sr: int, params: FeatureParams, size: int) -> tuple[np.float32, float, int, float]:
    """``(the mel power spectrogram's largest value, the chroma tuning, samples, peak amplitude)`` of the whole signal."""
    import librosa

    signal = FramedSignal(blocks, params.n_fft, params.hop_length)
    largest = np.float32(0.0)
    pitches, magnitudes = [], []
    for start, stop, _, _ in signal.frame_blocks(size):
        power = np.abs(librosa.stft(signal.samples(start, stop), n_fft=params.n_fft, hop_length=params.hop_length,
                                    center=False)) ** 2
        mel = librosa.feature.melspectrogram(S=power, sr=sr, n_fft=params.n_fft, hop_length=params.hop_length)
        largest = max(largest, mel.max())
        pitch, magnitude = librosa.piptrack(S=power, sr=sr, n_fft=_TUNING_N_FFT)
        candidate = pitch > 0
        pitches.append(pitch[candidate])
        magnitudes.append(magnitude[candidate])
    pitch, magnitude = np.concatenate(pitches), np.concatenate(magnitudes)
    threshold = np.median(magnitude) if magnitude.size else 0.0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Trying to estimate tuning")
        tuning = librosa.pitch_tuning(pitch[magnitude >= threshold], resolution=0.01, bins_per_octave=12)
    if signal.length is None:
        raise AssertionError("the signal was not read to its end")
    return largest, float(tuning), signal.length, signal.peak


def long_clip_features(blocks: Callable[[], Iterable[np.ndarray]], sr: int,
                       params: FeatureParams = FeatureParams(), frames_per_block: int = FRAMES_PER_BLOCK) -> dict[str, float]:
    """:func:`clip_features` of the signal that ``blocks()`` yields (called twice: each call starts it again).

    Raises ``ValueError`` for a signal shorter than ``params.n_fft``."""
    features, length, _ = _long_features(blocks, int(sr), params, frames_per_block)
    if features is None:
        raise ValueError(f"a signal of {length} samples is shorter than one analysis frame ({params.n_fft} samples)")
    return features


def _long_features(blocks: Callable[[], Iterable[np.ndarray]], sr: int, params: FeatureParams,
                   frames_per_block: int) -> tuple[dict[str, float] | None, int, float]:
    """``(features, samples, peak amplitude)``; no features (``None``) for a signal shorter than ``params.n_fft``."""
    import librosa

    n_fft, hop = params.n_fft, params.hop_length
    largest, tuning, length, peak = _global_pass(blocks(), sr, params, frames_per_block)
    if length < n_fft:
        return None, length, peak
    # power_to_db's floor, computed as it computes it (float32) from the loudest mel bin of the whole signal.
    floor = librosa.power_to_db(np.array([[largest]], dtype=np.float32), top_db=None)[0, 0] - _TOP_DB
    istft_context = math.ceil(n_fft / hop)
    context = istft_context + params.hpss_kernel // 2 + 1
    moments = {name: _Moments() for name in ("chroma_stft", "rms", "spectral_centroid", "spectral_bandwidth", "rolloff",
                                              "zero_crossing_rate", "harmony", "perceptr",
                                              *(f"mfcc{i}" for i in range(1, params.n_mfcc + 1)))}
    onset_steps = []
    signal = FramedSignal(blocks(), n_fft, hop)
    for start, stop, first, last in signal.frame_blocks(frames_per_block, context):
        D = librosa.stft(signal.samples(first, last), n_fft=n_fft, hop_length=hop, center=False)
        magnitude = np.abs(D)
        power = magnitude**2
        core = slice(start - first, stop - first)
        spectral = dict(sr=sr, n_fft=n_fft, hop_length=hop)
        moments["chroma_stft"].add(librosa.feature.chroma_stft(S=power[:, core], tuning=tuning, **spectral))
        framed = dict(frame_length=n_fft, hop_length=hop, center=False)
        moments["rms"].add(librosa.feature.rms(y=signal.samples(start, stop), **framed))
        centroid = librosa.feature.spectral_centroid(S=magnitude[:, core], **spectral)
        moments["spectral_centroid"].add(centroid)
        moments["spectral_bandwidth"].add(librosa.feature.spectral_bandwidth(S=magnitude[:, core], centroid=centroid, **spectral))
        moments["rolloff"].add(librosa.feature.spectral_rolloff(S=magnitude[:, core], **spectral))
        moments["zero_crossing_rate"].add(librosa.feature.zero_crossing_rate(signal.samples(start, stop, "edge"), **framed))
        # The harmonic waveform of the samples this block owns: the inverse STFT of the frames around them.
        mask_harm, _ = hpss_masks(magnitude, params.hpss_kernel)
        lo, hi = max(first, start - istft_context), min(last, stop + istft_context)
        harmonic = librosa.istft((D * mask_harm)[:, lo - first:hi - first], hop_length=hop, n_fft=n_fft, center=False,
                                 dtype=np.float32)
        owned_from = max(0, start * hop - signal.centre)
        owned_to = length if stop == signal.frames else stop * hop - signal.centre
        offset = lo * hop - signal.centre  # the signal position of harmonic[0]
        harmonic = harmonic[owned_from - offset: owned_to - offset]
        samples = signal.signal(owned_from, owned_to)
        moments["harmony"].add(harmonic)
        moments["perceptr"].add(samples - harmonic)
        # Mel in dB from one frame back (the onset envelope's difference), with the whole signal's floor.
        back = max(first, start - 1)
        mel = librosa.feature.melspectrogram(S=power[:, back - first:stop - first], **spectral)
        mel_db = np.maximum(librosa.power_to_db(mel, top_db=None), floor)
        for i, coefficient in enumerate(librosa.feature.mfcc(S=mel_db[:, start - back:], sr=sr, n_mfcc=params.n_mfcc), 1):
            moments[f"mfcc{i}"].add(coefficient)
        onset_steps.append(np.median(np.maximum(0.0, mel_db[:, 1:] - mel_db[:, :-1]), axis=0))
    row = {"tempo": _tempo(np.concatenate(onset_steps), signal.frames, sr, hop, frames_per_block)}
    for name, m in moments.items():
        row |= {f"{name}_mean": m.mean, f"{name}_var": m.var}
    return {column: float(row[column]) for column in feature_columns(params.n_mfcc)}, length, peak


def _tempo(onset_steps: np.ndarray, frames: int, sr: int, hop: int, size: int) -> float:
    """librosa.feature.tempo of the onset envelope (``onset_strength(S=mel_db, aggregate=np.median)`` from its
    per-frame steps), with the tempogram averaged block by block."""
    import librosa

    shift = 1 + _ONSET_N_FFT // (2 * hop)  # onset_strength's lag plus its centring
    envelope = np.zeros(frames, dtype=onset_steps.dtype)
    envelope[shift:] = onset_steps[: max(0, frames - shift)]
    win = librosa.time_to_frames(_TEMPO_SECONDS, sr=sr, hop_length=hop).item()
    padded = np.pad(envelope, win // 2, mode="linear_ramp", end_values=[0, 0])  # tempogram's centring
    total = np.zeros(win, dtype=np.float64)
    for a in range(0, frames, size):
        b = min(frames, a + size)
        tempogram = librosa.feature.tempogram(onset_envelope=padded[a: b + win - 1], sr=sr, hop_length=hop, win_length=win,
                                              center=False)
        total += tempogram.sum(axis=-1, dtype=np.float64)
    return float(librosa.feature.tempo(tg=(total / frames)[:, None], sr=sr, hop_length=hop, aggregate=None)[0])


def long_feature_rows(blocks: Callable[[], Iterable[np.ndarray]], sr: int, params: FeatureParams = FeatureParams(),
                      frames_per_block: int = FRAMES_PER_BLOCK) -> list[tuple[int, int, bool, dict[str, float]]]:
    """``(segment, length, silent, features)`` per row of the signal ``blocks()`` yields, as
    ``helpers.inputs.features.FeatureRows`` computes them from the whole signal: one row (segment -1) for the whole
    signal, or one per whole segment of ``params.segment_seconds`` (each segment is one :func:`clip_features`)."""
    if params.segment_seconds is None:
        features, length, peak = _long_features(blocks, int(sr), params, frames_per_block)
        return [] if features is None else [(-1, length, peak == 0.0, features)]
    rows, size, buffer, index = [], params.segment_samples, np.zeros(0, np.float32), 0
    for block in blocks():
        buffer = np.concatenate([buffer, block])
        while len(buffer) >= size:
            piece, buffer = buffer[:size], buffer[size:]
            rows.append((index, size, not np.any(piece), clip_features(piece, sr, params)))
            index += 1
    return rows
