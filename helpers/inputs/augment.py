"""Augmentation of training data: spectrogram layers on training batches, and cached waveform copies.

* :func:`spectrogram_augmenter` (time shift, zoom) and :func:`spectrogram_masker` (time and
  frequency masks): Keras layers applied to training batches only;
* :class:`WaveformPolicy`: the seeds' offline copies of a training clip (six-fold: four time
  stretches and a 5-s shift; or gaussian noise and a time mask), made with ``audiomentations``
  before the log-mel; ``helpers.studies.augmentation_segments`` caches them per clip and asserts
  (:func:`assert_training_only`) that no validation or test track, nor a copy of one, is trained on.

Spectrogram layers, in detail:

The main seed report augmented its PNGs with Keras' ``ImageDataGenerator``
(now deprecated). Here the same idea uses preprocessing layers inside the
``tf.data`` pipeline of the *training* set only (see
``helpers.models.networks.network_dataset``); validation and test images are never
altered.

A spectrogram is not a photograph: a horizontal flip plays the music backwards
and a vertical flip or rotation swaps bass and treble. The defaults therefore
only shift in time (a different start of the excerpt) and zoom slightly;
``freq_shift`` (a pitch shift, in image terms) is available but off.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import cli
from ..data import audio, splits
from ..runtime import quiet_tensorflow

# Fractions of the image size.
AUGMENT: dict[str, float] = dict(time_shift=0.1, freq_shift=0.0, zoom=0.05)


def spectrogram_augmenter(time_shift: float = 0.1, freq_shift: float = 0.0, zoom: float = 0.0, seed: int = 42) -> Any:
    """A ``keras.Sequential`` of random translation/zoom layers, or ``None`` when every setting is 0.

    Images are ``(frequency, time, channels)``: ``time_shift`` moves along the
    width, ``freq_shift`` along the height; uncovered pixels are filled with 0
    (silence in a min-max normalised spectrogram).
    """
    quiet_tensorflow()
    import keras

    for name, value in (("time_shift", time_shift), ("freq_shift", freq_shift), ("zoom", zoom)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be a fraction in [0, 1), got {value}")
    layers = []
    if time_shift or freq_shift:
        layers.append(keras.layers.RandomTranslation(freq_shift, time_shift, fill_mode="constant", fill_value=0.0, seed=seed))
    if zoom:
        layers.append(keras.layers.RandomZoom(zoom, fill_mode="constant", fill_value=0.0, seed=seed + 1))
    return keras.Sequential(layers, name="augment") if layers else None


# --- Spectrogram masks (SpecAugment-style), on training batches ---------------------------------

def spectrogram_masker(time_mask: float = 0.15, freq_mask: float = 0.15, seed: int = 42) -> Any:
    """A Keras layer that zeroes one random band of up to ``time_mask`` of the frames and one of up to
    ``freq_mask`` of the mel bands in each training image (``(batch, bands, frames, channels)``); identity
    when called with ``training=False``. The seeds' time and frequency masking."""
    quiet_tensorflow()
    import keras
    import tensorflow as tf

    for name, value in (("time_mask", time_mask), ("freq_mask", freq_mask)):
        if not 0.0 <= value < 1.0:
            raise ValueError(f"{name} must be a fraction in [0, 1), got {value}")

    class SpectrogramMask(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.generator = tf.random.Generator.from_seed(seed)

        def _band(self, batch, length, fraction):
            width = tf.cast(tf.floor(self.generator.uniform([batch]) * fraction * tf.cast(length, tf.float32)), tf.int32)
            start = tf.cast(self.generator.uniform([batch]) * tf.cast(length - width, tf.float32), tf.int32)
            positions = tf.range(length)[None, :]
            return (positions >= start[:, None]) & (positions < (start + width)[:, None])  # (batch, length)

        def call(self, images, training=None):
            if not training:
                return images
            shape = tf.shape(images)
            bands = self._band(shape[0], shape[1], freq_mask)[:, :, None, None]
            frames = self._band(shape[0], shape[2], time_mask)[:, None, :, None]
            masked = bands | frames
            return tf.where(masked, tf.zeros_like(images), images)

    return SpectrogramMask(name="spectrogram_mask")


# --- Waveform copies (the seeds' offline augmentation), made before the log-mel ------------------

STRETCH_FACTORS: tuple[float, ...] = (0.81, 0.93, 1.07, 1.23)  # the augmentation report's four time stretches
SHIFT_SECONDS = 5.0  # and its circular shift
NOISE = dict(min_amplitude=0.001, max_amplitude=0.015, p=0.5)  # the 1D report's gaussian noise
TIME_MASK = dict(min_band_part=0.10, max_band_part=0.15, p=0.5)  # and its time mask (10-15 % of the clip)


@dataclass(frozen=True)
class WaveformPolicy:
    """How a training clip is copied before its log-mel is computed.

    ``six-fold``: the augmentation report's set: the original plus a time stretch by each of
    ``STRETCH_FACTORS`` (tempo changes, pitch kept, length changes) and a circular shift by
    ``SHIFT_SECONDS``; ``noise-mask``: ``copies`` copies, each with gaussian noise and a silenced
    time band, each with probability ``p`` (the 1D report's waveform augmentation, drawn once per copy
    and cached rather than per epoch). The original is always kept (copy ``original``).
    """

    name: str
    copies: int = 2  # noise-mask only
    stretch_method: str = "signalsmith_stretch"  # audiomentations' default; "librosa_phase_vocoder" is the seeds' librosa

    def __post_init__(self) -> None:
        if self.name not in WAVEFORM_POLICIES:
            raise ValueError(f"unknown waveform augmentation {self.name!r}; valid: {', '.join(WAVEFORM_POLICIES)}")
        if self.copies < 1:
            raise ValueError(f"copies must be 1 or more, got {self.copies}")

    @property
    def variants(self) -> tuple[str, ...]:
        """The copy names, ``original`` first."""
        if self.name == "six-fold":
            return ("original", *(f"stretch-{f:g}" for f in STRETCH_FACTORS), f"shift-{SHIFT_SECONDS:g}s")
        return ("original", *(f"noise-mask-{i + 1}" for i in range(self.copies)))

    @property
    def params(self) -> dict:
        """What shapes the copies (part of every cache key and of the records)."""
        import audiomentations

        common = dict(policy=self.name, variants=list(self.variants), audiomentations=audiomentations.__version__)
        if self.name == "six-fold":
            return dict(common, stretch_factors=list(STRETCH_FACTORS), shift_seconds=SHIFT_SECONDS, stretch_method=self.stretch_method)
        return dict(common, noise=NOISE, time_mask=TIME_MASK)

    def apply(self, samples: np.ndarray, sr: int, variant: str, seed: int = 0) -> np.ndarray:
        """One copy of a mono waveform (``seed``: drawn per clip and copy, so a copy is the same every run)."""
        import audiomentations as A

        if variant not in self.variants:
            raise ValueError(f"unknown copy {variant!r} of {self.name}; valid: {', '.join(self.variants)}")
        samples = np.asarray(samples, np.float32)
        if variant == "original":
            return samples
        rate = _stretch_rate(variant)
        if rate is not None:
            transform = A.TimeStretch(min_rate=rate, max_rate=rate, leave_length_unchanged=False, method=self.stretch_method, p=1.0)
        elif variant.startswith("shift-"):
            transform = A.Shift(min_shift=SHIFT_SECONDS, max_shift=SHIFT_SECONDS, shift_unit="seconds", rollover=True,
                                fade_duration=0.0, p=1.0)
        else:
            transform = A.Compose([A.AddGaussianNoise(**NOISE), A.TimeMask(**TIME_MASK)])
        # audiomentations draws from Python's and NumPy's global generators: seed both per copy.
        random.seed(seed)
        np.random.seed(seed % 2**32)
        return np.asarray(transform(samples=samples, sample_rate=sr), np.float32)


WAVEFORM_POLICIES: tuple[str, ...] = ("six-fold", "noise-mask")


def _stretch_rate(variant: str) -> float | None:
    """The time-stretch rate of a copy name (``stretch-0.81``: 0.81; a slower copy is longer), else ``None``."""
    return float(variant.split("-", 1)[1]) if variant.startswith("stretch-") else None


def copy_seed(track_id: str, variant: str, seed: int) -> int:
    """A stable seed per clip and copy (independent of the order clips are processed in)."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{track_id}:{variant}".encode()).digest()[:4], "little")


def assert_training_only(table: pd.DataFrame, split_column: str = "split") -> None:
    """Raise ``AssertionError`` unless every augmented copy is a training row and no track has rows in two splits.

    ``table`` has ``track_id``, ``copy`` (``original`` or a copy name) and the split column:
    no validation or test track, nor any copy of one, may enter training.
    """
    splits.assert_no_leakage(table, split_column)
    copies = table[table["copy"] != "original"]
    outside = copies[copies[split_column] != "train"]
    if len(outside):
        raise AssertionError(f"{outside['track_id'].nunique()} track(s) have augmented copies outside training "
                             f"(parts: {sorted(set(outside[split_column]))}), e.g. {list(outside['track_id'].unique()[:5])}")


SHIFT_KEYS = ("time_shift", "freq_shift", "zoom")
MASK_KEYS = ("time_mask", "freq_mask")
SPEC_MASKS: dict[str, float] = dict(time_mask=0.15, freq_mask=0.15)  # up to 15 % of the frames and of the bands


def training_augmenter(settings: dict | None, seed: int = 42) -> Any:
    """The layer(s) a training pipeline applies, from one settings dict (keys of ``SHIFT_KEYS`` and ``MASK_KEYS``), or ``None``."""
    quiet_tensorflow()
    import keras

    settings = dict(settings or {})
    unknown = set(settings) - set(SHIFT_KEYS + MASK_KEYS)
    if unknown:
        raise ValueError(f"unknown augmentation setting(s) {sorted(unknown)}; valid: {', '.join(SHIFT_KEYS + MASK_KEYS)}")
    layers = [spectrogram_augmenter(**{k: settings.get(k, 0.0) for k in SHIFT_KEYS}, seed=seed)]
    if any(settings.get(k) for k in MASK_KEYS):
        layers.append(spectrogram_masker(**{k: settings.get(k, 0.0) for k in MASK_KEYS}, seed=seed + 2))
    layers = [layer for layer in layers if layer is not None]
    return keras.Sequential(layers, name="training_augmentation") if layers else None


# ----------------------------------------------------------------------------- command line

MAX_COPIES = 100  # noise-mask copies per file on the command line: each is a full-length WAV


def copy_path(path: str | Path, variant: str, out_dir: str | Path) -> Path:
    """Where :func:`write_copies` writes copy ``variant`` of ``path``: ``out_dir/<stem>.<variant>.wav``."""
    return Path(out_dir) / f"{Path(path).stem}.{variant}.wav"


def estimated_bytes(paths: Sequence[str | Path], policy: WaveformPolicy, sr: int = audio.DEFAULT_SAMPLE_RATE) -> int:
    """About how many bytes :func:`write_copies` writes for ``paths`` (16-bit mono WAVs at ``sr``; a file whose
    header cannot be read counts 0: it is skipped)."""
    lengths = sum(1 / (_stretch_rate(variant) or 1.0) for variant in policy.variants)
    seconds = 0.0
    for path in paths:
        try:
            seconds += audio.info(path).duration
        except audio.AudioError:
            continue
    return int(seconds * sr * 2 * lengths)


def write_copies(path: str | Path, policy: WaveformPolicy, out_dir: str | Path, seed: int = 42,
                 sr: int = audio.DEFAULT_SAMPLE_RATE) -> list[Path]:
    """Write every copy of one audio file as :func:`copy_path` (mono, ``sr``): to listen to what training sees.

    Raises ``audio.AudioError`` when the file cannot be decoded. Each WAV is written under a
    temporary name and renamed, so an interrupted run leaves no half-written file.
    """
    import soundfile as sf

    samples, sr = audio.load(path, sr=sr)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for variant in policy.variants:
        copy = policy.apply(samples, sr, variant, copy_seed(Path(path).stem, variant, seed))
        target = copy_path(path, variant, out_dir)
        partial = target.with_name(f".{target.name}.partial")
        sf.write(str(partial), np.clip(copy, -1.0, 1.0), sr, subtype="PCM_16", format="WAV")
        partial.replace(target)
        written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.inputs.augment",
                                     description="Write the augmented copies of whole audio files as WAVs, to listen to "
                                                 "what notebook 07's policies do (the notebook cuts its copies into segments).")
    parser.add_argument("files", nargs="+", type=Path, metavar="AUDIO_FILE")
    parser.add_argument("--policy", choices=WAVEFORM_POLICIES, default="six-fold",
                        help="six-fold: four time stretches and a 5-s shift; noise-mask: gaussian noise and a time mask "
                             "(default six-fold)")
    parser.add_argument("--copies", type=cli.positive_int, default=None,
                        help=f"noise-mask copies per file (default 2, at most {MAX_COPIES})")
    parser.add_argument("--seed", type=int, default=42, help="seed of the random copies (default 42)")
    parser.add_argument("--out", type=Path, default=Path("augmented"),
                        help="folder for the WAVs (default ./augmented); files already in it are never replaced")
    args = parser.parse_args(argv)
    if args.copies is not None and args.policy != "noise-mask":
        made = len(WaveformPolicy(args.policy).variants)
        raise cli.UserError(f"--copies applies to --policy noise-mask only; {args.policy} makes {made} files per input")
    if args.copies is not None and args.copies > MAX_COPIES:
        raise cli.UserError(f"--copies {args.copies}: at most {MAX_COPIES} copies per file (each is a full-length WAV); "
                            f"give --copies {MAX_COPIES} or fewer")
    cli.check_output(args.out, folder=True)
    stems = pd.Series([path.stem for path in args.files])
    if stems.duplicated().any():
        raise cli.UserError(f"two inputs share the name {stems[stems.duplicated()].iloc[0]!r}: their copies would overwrite each "
                            "other in --out; run them separately with different --out folders")
    policy = WaveformPolicy(args.policy, copies=args.copies or 2)
    _check_room(args.files, policy, args.out)
    skipped = []
    for path in args.files:
        try:
            written = write_copies(path, policy, args.out, args.seed)
        except audio.AudioError as error:
            skipped.append(str(error))
            continue
        print(f"{path}: {len(written)} file(s) in {args.out}: {', '.join(w.name for w in written)}")
    for reason in skipped:
        print(f"skipped: {reason}", file=sys.stderr)
    if skipped:
        print(f"{len(skipped)} of {len(args.files)} file(s) skipped: give audio files (wav, flac, ogg, mp3, au); "
              "`python -m helpers.data.audio info FILE` says what is wrong with one", file=sys.stderr)
    return 1 if skipped else 0


def _check_room(files: Sequence[Path], policy: WaveformPolicy, out: Path) -> None:
    """Refuse, before writing anything, copies that would replace files already in ``out`` or not fit on its disk."""
    targets = [copy_path(path, variant, out) for path in files for variant in policy.variants]
    present = [target for target in targets if target.exists()]
    if present:
        raise cli.UserError(f"--out {out} already holds {len(present)} of the {len(targets)} files this would write "
                            f"(e.g. {present[0].name}); give another --out, or move those files away first")
    needed = estimated_bytes(files, policy)
    free = shutil.disk_usage(next(place for place in [out, *out.parents] if place.exists())).free
    if needed > free:
        raise cli.UserError(f"--out {out}: the copies need about {needed / 1e6:,.0f} MB, the disk has {free / 1e6:,.0f} MB free; "
                            "give fewer files or copies, or another --out")


if __name__ == "__main__":
    sys.exit(cli.run(main))
