"""Crops of a track for the waveform networks: random training crops drawn anew each epoch, the mid-track crop, and
what each network reads from a crop.

The FMA report trained NNET1, NNET2 and MixNet on random 6-s crops (2^18 samples at 44.1 kHz) drawn anew each epoch,
and always tested on the crop that starts at the middle of the track. Here the crop length is a :class:`CropRecipe`
parameter in seconds at the rate the audio is read at (the seed's 2^18 / 44100 s by default: 2^17 samples at
22050 Hz), training crops are random and drawn anew each epoch from training tracks only, and validation and test
use the mid-track crop, so that early stopping and the Optuna pruner judge the same examples every epoch.

What a network reads from a crop (``INPUT_KINDS``; :meth:`CropRecipe.shape` gives each shape):

``waveform``        the crop itself, ``(samples, 1)`` (NNET1);
``mfcc``            20 MFCCs per frame, ``(frames, 20, 1)`` (NNET2); ``log-mel``: 128 log-mel bands, ``(frames, 128, 1)``.
                    Frames of 2048 samples at 44.1 kHz with 50 % overlap, scaled to the rate read (1024 / 512 at
                    22050 Hz), so a seed-length crop gives the seed's 256 frames; each coefficient standardised with
                    the mean and deviation of the training tracks' mid-track crops (:func:`fit_standardiser`);
``mel-image``       the seed recipe's mel PNG of the crop (``helpers.inputs.spectrograms``), ``(size, size, 1)`` in [0, 1];
``waveform-image``  the crop drawn as a waveform plot (:func:`waveform_image`), ``(size, size, 1)`` in [0, 1].

Augmentation, training crops only, seeded per crop: NNET1's waveform gets audiomentations' gaussian noise
(p 0.5, amplitude 0.001-0.015) and a time mask (p 1, 10-15 % of the crop); NNET2's MFCC or log-mel gets, each with
p 0.5, a time mask of up to 30 frames, a coefficient mask of up to 2 coefficients and gaussian noise of sigma 0.015
(after standardisation); images are not augmented (the slides name no augmentation).

:class:`CropBatches` makes the batches in NumPy, random crops for the ``train`` part only, and refuses
(``AssertionError``) any batch holding a track outside its part; :func:`crop_dataset` wraps it in a ``keras.utils.PyDataset``.
"""

from __future__ import annotations

import functools
import math
import random
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..data import audio, splits
from ..inputs import augment
from ..runtime import install_quiet_tensorflow

SEED_SAMPLE_RATE = 44100
SEED_CROP_SAMPLES = 2**18  # the FMA report's crop: 5.94 s
SEED_FRAME_SAMPLES = 2048  # its MFCC / log-mel frames, hop half a frame
INPUT_KINDS: tuple[str, ...] = ("waveform", "mfcc", "log-mel", "mel-image", "waveform-image")
STANDARDISED_KINDS: tuple[str, ...] = ("mfcc", "log-mel")
WAVEFORM_AUGMENT: dict[str, dict] = dict(noise=dict(augment.NOISE), time_mask=dict(augment.TIME_MASK, p=1.0))
FEATURE_AUGMENT: dict[str, float] = dict(time_mask_frames=30, coefficient_mask=2, noise_sigma=0.015, p=0.5)
# audiomentations draws from Python's and NumPy's global generators: a crop's transform seeds them and runs under this
# lock, so that PyDataset worker threads cannot interleave their draws and every crop stays reproducible.
_GLOBAL_RNG = threading.Lock()


@dataclass(frozen=True)
class CropRecipe:
    """How long a crop is and how its inputs are computed, at the rate the audio is read at (``sample_rate``)."""

    sample_rate: int = audio.DEFAULT_SAMPLE_RATE
    seconds: float = SEED_CROP_SAMPLES / SEED_SAMPLE_RATE
    n_mfcc: int = 20
    n_mels: int = 128
    image_size: int = 128

    def __post_init__(self) -> None:
        if not (math.isfinite(self.seconds) and self.seconds > 0) or self.sample_rate < 1:
            raise ValueError(f"a crop needs a length above 0 s and a sample rate of 1 Hz or more, got {self.seconds} s "
                             f"at {self.sample_rate} Hz")
        if self.length < self.n_fft:
            raise ValueError(f"a crop of {self.length} samples is shorter than one frame ({self.n_fft} samples)")

    @classmethod
    def of_samples(cls, samples: int, sample_rate: int = audio.DEFAULT_SAMPLE_RATE, **settings) -> CropRecipe:
        """A recipe whose crops hold exactly ``samples`` samples at ``sample_rate``."""
        return cls(sample_rate=sample_rate, seconds=samples / sample_rate, **settings)

    @property
    def length(self) -> int:
        """Samples per crop."""
        return int(round(self.seconds * self.sample_rate))

    @property
    def n_fft(self) -> int:
        """The seed's 2048-sample frame at 44.1 kHz, as many seconds at this rate."""
        return max(2, int(round(SEED_FRAME_SAMPLES * self.sample_rate / SEED_SAMPLE_RATE)))

    @property
    def hop_length(self) -> int:
        return self.n_fft // 2  # 50 % overlap

    @property
    def frames(self) -> int:
        return self.length // self.hop_length

    def shape(self, kind: str) -> tuple[int, ...]:
        """The array shape of input ``kind`` of one crop (without the batch axis)."""
        shapes = {"waveform": (self.length, 1), "mfcc": (self.frames, self.n_mfcc, 1), "log-mel": (self.frames, self.n_mels, 1),
                  "mel-image": (self.image_size, self.image_size, 1), "waveform-image": (self.image_size, self.image_size, 1)}
        if kind not in shapes:
            raise ValueError(f"unknown crop input {kind!r}; valid: {', '.join(INPUT_KINDS)}")
        return shapes[kind]


def mid_start(n_samples: int, length: int) -> int:
    """The seed's test crop starts at the middle of the track; moved back when the track ends before the crop does."""
    return max(0, min(n_samples // 2, n_samples - length))


def random_start(n_samples: int, length: int, rng: np.random.Generator) -> int:
    """A start drawn uniformly among those whose crop lies inside the track (0 for a track no longer than a crop)."""
    return int(rng.integers(0, max(0, n_samples - length) + 1))


def crop(samples: np.ndarray, start: int, length: int) -> np.ndarray:
    """``length`` samples from ``start`` as float32; a track that ends first is padded with silence (zeros)."""
    piece = np.asarray(samples[start:start + length], np.float32)
    return piece if len(piece) == length else np.pad(piece, (0, length - len(piece)))


def mid_crop(samples: np.ndarray, length: int) -> np.ndarray:
    """The deterministic validation and test crop (:func:`mid_start`)."""
    return crop(samples, mid_start(len(samples), length), length)


def waveform_image(samples: np.ndarray, size: int = 128) -> np.ndarray:
    """The crop drawn as a waveform plot, ``(size, size, 1)`` float32, white trace (1) on black (0).

    The slides' fusion network read "an image of the waveform"; the recipe here is the plot a reader would draw
    (``librosa.display.waveshow`` without axes): time runs left to right over ``size`` columns of equal length; the
    amplitude axis runs from +peak (top row) to -peak (bottom row), peak being the crop's largest absolute sample
    (autoscaled, as matplotlib scales a plot to its data); a column lights every row between its lowest and highest
    sample, so the image is the crop's amplitude envelope. Digital silence draws the zero line.
    """
    samples = np.asarray(samples, np.float32)
    if len(samples) < size:
        raise ValueError(f"a waveform image of {size} columns needs {size} samples or more, got {len(samples)}")
    peak = float(np.max(np.abs(samples))) or 1.0
    scaled = samples / peak
    bounds = np.linspace(0, len(scaled), size + 1).astype(int)[:-1]
    low, high = np.minimum.reduceat(scaled, bounds), np.maximum.reduceat(scaled, bounds)
    edges = 1.0 - 2.0 * np.arange(size + 1) / size  # row r spans amplitudes edges[r + 1] .. edges[r]
    lit = (edges[1:, None] <= high[None, :]) & (edges[:-1, None] >= low[None, :])
    return lit.astype(np.float32)[..., None]


def crop_input(kind: str, samples: np.ndarray, recipe: CropRecipe) -> np.ndarray:
    """Input ``kind`` of one crop, shape ``recipe.shape(kind)``, not yet standardised."""
    shape = recipe.shape(kind)  # an unknown kind fails here
    samples = np.asarray(samples, np.float32)
    if kind == "waveform":
        return samples[:, None]
    if kind == "waveform-image":
        return waveform_image(samples, recipe.image_size)
    if kind == "mel-image":
        from ..inputs.network_inputs import image_to_array
        from ..inputs.spectrograms import MelParams, image_from_audio

        params = MelParams(sample_rate=recipe.sample_rate, fmax=min(MelParams.fmax, recipe.sample_rate / 2),
                           image_size=recipe.image_size)  # the seed's 8 kHz, or the Nyquist frequency of a lower rate
        return image_to_array(image_from_audio(samples, params), recipe.image_size)
    import librosa

    frames = dict(sr=recipe.sample_rate, n_fft=recipe.n_fft, hop_length=recipe.hop_length)
    if kind == "mfcc":
        values = librosa.feature.mfcc(y=samples, n_mfcc=recipe.n_mfcc, n_mels=recipe.n_mels, **frames)
    else:  # librosa's MFCC takes its log-mel the same way: power in dB re 1, floored 80 dB below the crop's peak
        values = librosa.power_to_db(librosa.feature.melspectrogram(y=samples, n_mels=recipe.n_mels, **frames))
    # librosa centres frames, one more than the seed's 256: keep the first ``frames`` (time on the first axis, as the seed)
    return np.ascontiguousarray(values.T[:recipe.frames, :, None], np.float32).reshape(shape)


@dataclass(frozen=True)
class Standardiser:
    """Per-coefficient mean and standard deviation of the MFCC / log-mel inputs, from training tracks only."""

    stats: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # kind: (mean, std), each (coefficients, 1)

    def apply(self, kind: str, values: np.ndarray) -> np.ndarray:
        if kind not in self.stats:
            return values
        mean, std = self.stats[kind]
        return ((values - mean) / std).astype(np.float32)


def fit_standardiser(waveforms: Mapping[str, np.ndarray], table: pd.DataFrame, recipe: CropRecipe,
                     kinds: Sequence[str] = STANDARDISED_KINDS) -> Standardiser:
    """The mean and deviation of each coefficient of ``kinds`` over every frame of the mid-track crops of ``table``'s
    training tracks (``split == "train"``): the seed standardised with statistics of the training data."""
    train = table.loc[table["split"] == "train", "track_id"].drop_duplicates()
    if train.empty:
        raise ValueError("the standardiser needs training tracks, and the table has none (split == 'train')")
    stats = {}
    for kind in (k for k in kinds if k in STANDARDISED_KINDS):
        values = np.concatenate([crop_input(kind, mid_crop(waveforms[t], recipe.length), recipe) for t in train])
        stats[kind] = (values.mean(axis=0), values.std(axis=0) + 1e-6)
    return Standardiser(stats)


def augment_waveform(samples: np.ndarray, sample_rate: int, seed: int) -> np.ndarray:
    """NNET1's augmentation of one training crop with audiomentations (``WAVEFORM_AUGMENT``), drawn from ``seed``."""
    import audiomentations as A

    transform = A.Compose([A.AddGaussianNoise(**WAVEFORM_AUGMENT["noise"]), A.TimeMask(**WAVEFORM_AUGMENT["time_mask"])])
    with _GLOBAL_RNG:
        random.seed(seed)
        np.random.seed(seed % 2**32)
        return np.asarray(transform(samples=np.asarray(samples, np.float32), sample_rate=sample_rate), np.float32)


def augment_features(values: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """NNET2's augmentation of one standardised ``(frames, coefficients, 1)`` input (``FEATURE_AUGMENT``); masks set 0,
    the training mean."""
    values = values.copy()
    frames, coefficients = values.shape[:2]
    p = FEATURE_AUGMENT["p"]
    for axis, (most, size) in enumerate(((FEATURE_AUGMENT["time_mask_frames"], frames),
                                         (FEATURE_AUGMENT["coefficient_mask"], coefficients))):
        if rng.random() < p:
            width = int(rng.integers(0, min(most, size) + 1))
            start = int(rng.integers(0, size - width + 1))
            index = [slice(None)] * values.ndim
            index[axis] = slice(start, start + width)
            values[tuple(index)] = 0.0
    if rng.random() < p:
        values += rng.normal(0.0, FEATURE_AUGMENT["noise_sigma"], values.shape).astype(np.float32)
    return values


class CropBatches:
    """Batches of crops of the tracks of one split part, in NumPy: ``batch(index, epoch) -> (inputs, labels)``.

    ``table`` holds every track with ``track_id``, ``genre`` and ``split`` (all parts: a track listed in two parts
    is refused); ``waveforms`` maps a track id to its mono samples at ``recipe.sample_rate`` (a dict, or any mapping
    that loads lazily). ``inputs`` names what the network reads (``INPUT_KINDS``, in the order of the model's inputs;
    one input gives an array, several a tuple). ``labels`` are the genres in code order (``training.encode_labels``).
    The ``train`` part gets random crops, drawn anew each epoch in a new order, and is augmented unless
    ``augment=False``; any other part gets its mid-track crops, in table order, never augmented. Every draw
    comes from ``seed``, the epoch and the batch index, so a batch is the same whoever asks for it and when.
    ``padded`` lists the tracks shorter than a crop (padded with silence).
    """

    def __init__(self, waveforms: Mapping[str, np.ndarray], table: pd.DataFrame, part: str, inputs: Sequence[str],
                 recipe: CropRecipe, labels: Sequence[str], *, batch_size: int = 64, standardiser: Standardiser | None = None,
                 augment: bool = True, seed: int = 42):
        if part not in splits.SPLITS:
            raise ValueError(f"unknown part {part!r}; valid: {', '.join(splits.SPLITS)}")
        for kind in inputs:
            recipe.shape(kind)
        missing = (set(STANDARDISED_KINDS) & set(inputs)) - set((standardiser or Standardiser()).stats)
        if missing:
            raise ValueError(f"{', '.join(sorted(missing))} must be standardised: pass fit_standardiser(...) of the training tracks")
        splits.assert_no_leakage(table)
        self.split_of = dict(zip(table["track_id"], table["split"]))
        rows = table[table["split"] == part].drop_duplicates("track_id")
        if rows.empty:
            raise ValueError(f"the table has no {part} tracks")
        unknown = sorted(set(rows["genre"]) - set(labels))
        if unknown:
            raise ValueError(f"genres {unknown} of the {part} tracks are not among the labels {list(labels)}")
        self.track_ids = rows["track_id"].tolist()
        self.codes = dict(zip(rows["track_id"], (list(labels).index(g) for g in rows["genre"])))
        self.waveforms, self.part, self.inputs, self.recipe = waveforms, part, tuple(inputs), recipe
        self.batch_size, self.standardiser, self.seed = batch_size, standardiser or Standardiser(), seed
        self.random = part == "train"
        self.augment = augment and self.random
        # tracks shorter than a crop: padded with silence (crop), and listed so that a study can say how many
        self.padded = [t for t in self.track_ids if len(waveforms[t]) < recipe.length]

    def __len__(self) -> int:
        return -(-len(self.track_ids) // self.batch_size)

    def tracks(self, index: int, epoch: int = 0) -> list[str]:
        """The track ids of batch ``index`` in ``epoch`` (training: a new order each epoch)."""
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.track_ids)) if self.random \
            else np.arange(len(self.track_ids))
        return [self.track_ids[i] for i in order[index * self.batch_size:(index + 1) * self.batch_size]]

    def starts(self, index: int, epoch: int = 0) -> list[int]:
        """Where each crop of batch ``index`` starts, in samples."""
        return self._draw(index, epoch)[1]

    def _draw(self, index: int, epoch: int) -> tuple[list[str], list[int], np.random.Generator]:
        tracks = self.tracks(index, epoch)
        self._check(tracks)
        rng = np.random.default_rng([self.seed, epoch, index, 1])
        length = self.recipe.length
        starts = [random_start(len(self.waveforms[t]), length, rng) if self.random else mid_start(len(self.waveforms[t]), length)
                  for t in tracks]
        return tracks, starts, rng

    def _check(self, tracks: Sequence[str]) -> None:
        """No batch may hold a track of another part (so no training crop comes from a validation or test track)."""
        outside = [t for t in tracks if self.split_of.get(t) != self.part]
        if outside:
            raise AssertionError(f"a {self.part} batch holds {len(outside)} track(s) of other parts, e.g. {outside[:3]} "
                                 f"({', '.join(sorted({str(self.split_of.get(t)) for t in outside}))})")

    def batch(self, index: int, epoch: int = 0):
        """``(inputs, labels)`` of batch ``index`` in ``epoch``: inputs float32, labels integer codes."""
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        tracks, starts, rng = self._draw(index, epoch)
        columns: dict[str, list[np.ndarray]] = {kind: [] for kind in self.inputs}
        for track, start in zip(tracks, starts):
            samples = crop(self.waveforms[track], start, self.recipe.length)
            for kind in self.inputs:
                source = samples
                if self.augment and kind == "waveform":
                    source = augment_waveform(samples, self.recipe.sample_rate, int(rng.integers(2**32)))
                values = self.standardiser.apply(kind, crop_input(kind, source, self.recipe))
                if self.augment and kind in STANDARDISED_KINDS:
                    values = augment_features(values, rng)
                columns[kind].append(values)
        arrays = tuple(np.stack(columns[kind]) for kind in self.inputs)
        labels = np.array([self.codes[t] for t in tracks], np.int32)
        return (arrays[0] if len(arrays) == 1 else arrays), labels


def crop_dataset(batches: CropBatches, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10):
    """``batches`` as a ``keras.utils.PyDataset`` whose epoch counter advances at the end of each epoch (new random
    training crops, a new order). Fit with ``shuffle=False``: the order is the dataset's own, seeded."""
    return _py_dataset_class()(batches, workers=workers, use_multiprocessing=use_multiprocessing, max_queue_size=max_queue_size)


@functools.cache
def _py_dataset_class():
    """The PyDataset subclass, made on first use: Keras (and its backend) load only when a network needs them."""
    install_quiet_tensorflow()
    import keras

    class CropDataset(keras.utils.PyDataset):
        def __init__(self, batches: CropBatches, **kwargs):
            super().__init__(**kwargs)
            self.batches, self.epoch = batches, 0

        def __len__(self) -> int:
            return len(self.batches)

        def __getitem__(self, index: int):
            return self.batches.batch(index, self.epoch)

        def on_epoch_end(self) -> None:  # Keras calls it once before the first epoch too: epochs count from 1
            self.epoch += 1

    return CropDataset
