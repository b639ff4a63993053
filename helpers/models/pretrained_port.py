"""The musicnn checkpoints (Pons and Serra, 2019) as Keras 3 models.

The PyPI wheel ``musicnn==0.1.0`` (ISC licence) ships four TensorFlow 1 checkpoints
trained to tag 3-s excerpts: ``MSD_musicnn`` and ``MTT_musicnn`` (the musically
motivated CNN: timbral and temporal filters, dense mid-end, temporal pooling) and
``MSD_vgg`` and ``MTT_vgg`` (a five-layer VGG-like CNN), on Million Song Dataset
(MSD) or MagnaTagATune (MTT) tags. Its own TF1 code does not run on TensorFlow 2
and its metadata pins ``numpy<1.17``, so the wheel is installed without its
dependencies and only its checkpoint files are used here: the architectures are
rebuilt from standard Keras layers (``musicnn/models.py`` as the blueprint) and
every variable is copied from the checkpoint by name; a variable that is missing,
left unused or of the wrong shape stops the load.

The input is musicnn's own: 16 kHz mono, ``n_fft`` 512, hop 256, 96 mel bands,
``log10(10000 x + 1)``, 187-frame (3-s) windows. It is computed in float32 (the
original casts the mel power to float16 first, which overflows to infinity on loud
music and turns every output into NaN).

Layer names follow musicnn's outputs: ``taggram`` (sigmoid of the 50 tags),
``penultimate``, ``mean_pool`` and ``max_pool`` (musicnn), ``pool5`` (VGG).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..inputs.framing import FramedSignal
from ..runtime import quiet_tensorflow

# musicnn/configuration.py
SAMPLE_RATE = 16000
N_FFT = 512
HOP_LENGTH = 256
N_MELS = 96
WINDOW_FRAMES = 187  # librosa.time_to_frames(3 s) + 1, as musicnn's extractor computes it
INSTALL_HINT = "pip install --no-deps -r requirements-nodeps.txt   (the musicnn==0.1.0 wheel, for its checkpoints only)"
# Epsilon of tf.compat.v1.layers.batch_normalization, which musicnn used.
BN_EPSILON = 1e-3

MTT_LABELS = ["guitar", "classical", "slow", "techno", "strings", "drums", "electronic", "rock", "fast", "piano", "ambient",
              "beat", "violin", "vocal", "synth", "female", "indian", "opera", "male", "singing", "vocals", "no vocals",
              "harpsichord", "loud", "quiet", "flute", "woman", "male vocal", "no vocal", "pop", "soft", "sitar", "solo",
              "man", "classic", "choir", "voice", "new age", "dance", "male voice", "female vocal", "beats", "harp", "cello",
              "no voice", "weird", "country", "metal", "female voice", "choral"]
MSD_LABELS = ["rock", "pop", "alternative", "indie", "electronic", "female vocalists", "dance", "00s", "alternative rock", "jazz",
              "beautiful", "metal", "chillout", "male vocalists", "classic rock", "soul", "indie rock", "Mellow", "electronica",
              "80s", "folk", "90s", "chill", "instrumental", "punk", "oldies", "blues", "hard rock", "ambient", "acoustic",
              "experimental", "female vocalist", "guitar", "Hip-Hop", "70s", "party", "country", "easy listening", "sexy",
              "catchy", "funk", "electro", "heavy metal", "Progressive rock", "60s", "rnb", "indie pop", "sad", "House", "happy"]


class PretrainedError(RuntimeError):
    """A checkpoint that is not installed or does not match the architecture; the message says what to do."""


@dataclass(frozen=True)
class Checkpoint:
    """One musicnn checkpoint: its command-line name, folder in the wheel, architecture and tag names."""

    name: str
    folder: str
    architecture: str  # "musicnn" or "vgg"
    tags: tuple[str, ...]

    @property
    def embedding_layers(self) -> tuple[str, ...]:
        """Per-window outputs besides the taggram that make clip embeddings."""
        return ("penultimate", "mean_pool", "max_pool") if self.architecture == "musicnn" else ("pool5", "pool4")


CHECKPOINTS: dict[str, Checkpoint] = {c.name: c for c in (
    Checkpoint("msd-musicnn", "MSD_musicnn", "musicnn", tuple(MSD_LABELS)),
    Checkpoint("mtt-musicnn", "MTT_musicnn", "musicnn", tuple(MTT_LABELS)),
    Checkpoint("msd-vgg", "MSD_vgg", "vgg", tuple(MSD_LABELS)),
    Checkpoint("mtt-vgg", "MTT_vgg", "vgg", tuple(MTT_LABELS)),
)}


def checkpoint(name: str) -> Checkpoint:
    """The checkpoint called ``name`` (``msd-musicnn``, ``mtt-musicnn``, ``msd-vgg``, ``mtt-vgg``)."""
    if name not in CHECKPOINTS:
        raise ValueError(f"unknown model {name!r}; valid: {', '.join(CHECKPOINTS)}")
    return CHECKPOINTS[name]


def checkpoint_prefix(name: str) -> str:
    """The TF1 checkpoint prefix (``.../musicnn/MSD_musicnn/``) inside the installed wheel, found without importing it."""
    spec = importlib.util.find_spec("musicnn")
    if spec is None or not spec.submodule_search_locations:
        raise PretrainedError(f"the musicnn checkpoints are not installed; install them with: {INSTALL_HINT}")
    folder = Path(list(spec.submodule_search_locations)[0]) / checkpoint(name).folder
    if not (folder / ".index").is_file() or not (folder / ".data-00000-of-00001").is_file():
        raise PretrainedError(f"{folder}: the checkpoint files (.index, .data-00000-of-00001) are missing; "
                              f"reinstall with: {INSTALL_HINT}")
    return str(folder) + os.sep


# ---------------------------------------------------------------------------- input

def log_mel(samples: np.ndarray) -> np.ndarray:
    """musicnn's input for a 16 kHz mono waveform: ``(frames, 96)`` float32, ``log10(10000 x + 1)`` of the mel power.

    ``pad_mode="reflect"`` is the STFT padding of the librosa the checkpoints were
    trained and published with (0.7); librosa 0.10 pads with zeros by default.
    """
    import librosa

    mel = librosa.feature.melspectrogram(y=np.asarray(samples, dtype=np.float32), sr=SAMPLE_RATE, hop_length=HOP_LENGTH,
                                         n_fft=N_FFT, n_mels=N_MELS, pad_mode="reflect")
    return np.log10(10000.0 * mel.T.astype(np.float32) + 1.0).astype(np.float32)


def log_mel_window_batches(blocks: Iterable[np.ndarray], hop: int, frames_per_block: int = 4096) -> Iterator[np.ndarray]:
    """``windows(log_mel(signal), hop)`` of the 16-kHz signal that ``blocks`` yields, in batches: memory bounded by a
    block of frames, not by the signal's length. The values are :func:`log_mel`'s (the STFT's frames do not depend on
    one another). A signal shorter than one window yields nothing: :func:`windows` pads such a signal instead."""
    import librosa

    signal = FramedSignal(blocks, N_FFT, HOP_LENGTH)
    kept, kept_from, next_start = np.zeros((0, N_MELS), np.float32), 0, 0  # kept[0] is frame kept_from
    for start, stop, _, _ in signal.frame_blocks(frames_per_block):
        mel = librosa.feature.melspectrogram(y=signal.samples(start, stop, "reflect"), sr=SAMPLE_RATE, hop_length=HOP_LENGTH,
                                             n_fft=N_FFT, n_mels=N_MELS, center=False)
        kept = np.concatenate([kept, np.log10(10000.0 * mel.T.astype(np.float32) + 1.0).astype(np.float32)])
        starts = np.arange(next_start, stop - WINDOW_FRAMES + 1, hop)
        if len(starts):
            yield np.stack([kept[s - kept_from: s - kept_from + WINDOW_FRAMES] for s in starts])
            next_start = int(starts[-1]) + hop
        drop = min(next_start, stop) - kept_from  # kept holds frames [kept_from, stop)
        kept, kept_from = kept[drop:], kept_from + drop


def hop_frames(hop_seconds: float) -> int:
    """Window hop in mel frames, as musicnn's extractor converts ``input_overlap`` (1 s -> 61 frames)."""
    if not (np.isfinite(hop_seconds) and 0 < hop_seconds <= 3600):
        raise ValueError(f"hop must be a positive number of seconds up to an hour, got {hop_seconds!r}")
    frames = int(np.floor((hop_seconds * SAMPLE_RATE - N_FFT // 2) / HOP_LENGTH))  # librosa.time_to_frames
    if frames < 1:
        shortest = (N_FFT // 2 + HOP_LENGTH) / SAMPLE_RATE
        raise ValueError(f"hop of {hop_seconds} s is less than one mel frame; the shortest hop is {shortest:.3f} s")
    return frames


def windows(mel: np.ndarray, hop: int) -> np.ndarray:
    """``(n, 187, 96)`` windows starting every ``hop`` frames, as musicnn batches them (no window past the end).

    A clip shorter than one window is padded by repeating it (musicnn's training
    used ``repeat-pad``), so every readable clip gives at least one window.
    """
    if len(mel) < WINDOW_FRAMES:
        mel = np.resize(mel, (WINDOW_FRAMES, mel.shape[1])) if len(mel) else np.zeros((WINDOW_FRAMES, N_MELS), np.float32)
    starts = np.arange(0, len(mel) - WINDOW_FRAMES + 1, hop)
    view = np.lib.stride_tricks.sliding_window_view(mel, WINDOW_FRAMES, axis=0)  # (positions, 96, 187)
    return np.ascontiguousarray(view[starts].transpose(0, 2, 1))


# ---------------------------------------------------------------------------- models

def _musicnn(keras, ckpt: Checkpoint):
    layers = keras.layers
    inputs = keras.Input((None, N_MELS), name="log_mel")
    x = layers.Reshape((-1, N_MELS, 1))(inputs)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="batch_normalization")(x)
    padded = layers.ZeroPadding2D(((3, 3), (0, 0)))(x)
    branches = []
    # (checkpoint conv, checkpoint bn, filters, kernel, input): musicnn's creation order names the variables
    specs = [("conv2d", "batch_normalization_1", 204, (7, int(0.4 * N_MELS)), padded),
             ("conv2d_1", "batch_normalization_2", 204, (7, int(0.7 * N_MELS)), padded),
             ("conv2d_2", "batch_normalization_3", 51, (128, 1), x),
             ("conv2d_3", "batch_normalization_4", 51, (64, 1), x),
             ("conv2d_4", "batch_normalization_5", 51, (32, 1), x)]
    for conv_name, bn_name, filters, kernel, source in specs:
        padding = "valid" if kernel[1] > 1 else "same"
        y = layers.Conv2D(filters, kernel, padding=padding, activation="relu", name=conv_name)(source)
        y = layers.BatchNormalization(epsilon=BN_EPSILON, name=bn_name)(y)
        y = layers.MaxPooling2D((1, y.shape[2]), name=f"{conv_name}_freq_pool")(y)
        branches.append(layers.Reshape((-1, filters))(y))
    frontend = layers.Concatenate(axis=-1, name="frontend")(branches)  # (time, 561)
    # Mid-end: musicnn's conv2d over the whole feature axis is a Conv1D; the transposes make it residual.
    mid = [frontend]
    current = frontend
    for i, conv_name in enumerate(("conv2d_5", "conv2d_6", "conv2d_7")):
        y = layers.ZeroPadding1D(3)(current)
        y = layers.Conv1D(64, 7, activation="relu", name=conv_name)(y)
        y = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"batch_normalization_{6 + i}")(y)
        current = y if i == 0 else layers.Add()([y, current])
        mid.append(current)
    features = layers.Concatenate(axis=-1, name="midend")(mid)  # (time, 753)
    max_pool = layers.GlobalMaxPooling1D(name="max_pool")(features)
    mean_pool = layers.GlobalAveragePooling1D(name="mean_pool")(features)
    # tf.concat([max, mean], 2) then flatten interleaves them: max0, mean0, max1, mean1, ...
    pooled = layers.Concatenate(axis=-1)([layers.Reshape((-1, 1))(max_pool), layers.Reshape((-1, 1))(mean_pool)])
    pooled = layers.Flatten()(pooled)
    pooled = layers.BatchNormalization(epsilon=BN_EPSILON, name="batch_normalization_9")(pooled)
    pooled = layers.Dropout(0.5)(pooled)
    dense = layers.Dense(200, activation="relu", name="dense")(pooled)
    penultimate = layers.BatchNormalization(epsilon=BN_EPSILON, name="batch_normalization_10")(dense)
    penultimate = layers.Identity(name="penultimate")(penultimate)
    logits = layers.Dense(len(ckpt.tags), name="dense_1")(layers.Dropout(0.5)(penultimate))
    taggram = layers.Activation("sigmoid", name="taggram")(logits)
    return keras.Model(inputs, {"taggram": taggram, "penultimate": penultimate, "mean_pool": mean_pool,
                                "max_pool": max_pool}, name=ckpt.folder)


def _vgg(keras, ckpt: Checkpoint):
    layers = keras.layers
    inputs = keras.Input((WINDOW_FRAMES, N_MELS), name="log_mel")
    x = layers.Reshape((WINDOW_FRAMES, N_MELS, 1))(inputs)
    x = layers.BatchNormalization(epsilon=BN_EPSILON, name="batch_normalization")(x)
    pools = {}
    pool_shapes = [((4, 1), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((2, 2), (2, 2)), ((4, 4), (4, 4))]
    for i, (size, strides) in enumerate(pool_shapes, start=1):
        if i > 1:
            x = layers.Dropout(0.25)(x)
        x = layers.Conv2D(128, 3, padding="same", activation="relu", name=f"{i}CNN")(x)
        x = layers.BatchNormalization(epsilon=BN_EPSILON, name=f"batch_normalization_{i}")(x)
        x = layers.MaxPooling2D(size, strides=strides, name=f"pool{i}_map")(x)
        pools[i] = x
    pool5 = layers.Flatten(name="pool5")(pools[5])  # (2, 1, 128) -> 256
    pool4 = layers.GlobalAveragePooling2D(name="pool4")(pools[4])  # mean of the last full-resolution map
    logits = layers.Dense(len(ckpt.tags), name="dense")(layers.Dropout(0.5)(pool5))
    taggram = layers.Activation("sigmoid", name="taggram")(logits)
    return keras.Model(inputs, {"taggram": taggram, "pool5": pool5, "pool4": pool4}, name=ckpt.folder)


def _checkpoint_arrays(name: str) -> dict[str, np.ndarray]:
    """Every model variable of a checkpoint (optimiser slots and counters left out)."""
    quiet_tensorflow()
    from tensorflow.python.training import py_checkpoint_reader

    reader = py_checkpoint_reader.NewCheckpointReader(checkpoint_prefix(name))
    return {key: reader.get_tensor(key) for key in reader.get_variable_to_shape_map()
            if "Adam" not in key and key not in ("beta1_power", "beta2_power")}


# Keras weight name -> checkpoint variable suffix
_WEIGHT_NAMES = {"kernel": "kernel", "bias": "bias", "gamma": "gamma", "beta": "beta",
                 "moving_mean": "moving_mean", "moving_variance": "moving_variance"}


def load_weights(model, name: str) -> None:
    """Copy every variable of checkpoint ``name`` into ``model`` by layer name.

    Raises :class:`PretrainedError` when a checkpoint variable is unused, a model
    weight has no checkpoint variable, or shapes differ (Conv1D kernels are the
    checkpoint's full-width Conv2D kernels without their width-1 axis).
    """
    arrays = _checkpoint_arrays(name)
    unused = set(arrays)
    problems = []
    for layer in model.layers:
        for weight in layer.weights:
            key = f"{layer.name}/{_WEIGHT_NAMES.get(weight.name, weight.name)}"
            if key not in arrays:
                problems.append(f"no checkpoint variable {key} for weight {weight.path}")
                continue
            value = stored = arrays[key]
            unused.discard(key)
            if tuple(value.shape) != tuple(weight.shape) and value.ndim == 4 and value.shape[2] == 1:
                value = value[:, :, 0, :]  # (7, 561, 1, 64) -> Conv1D (7, 561, 64)
            if tuple(value.shape) != tuple(weight.shape):
                problems.append(f"{key}: checkpoint shape {stored.shape}, model shape {tuple(weight.shape)}")
                continue
            weight.assign(value.astype(np.float32))
    problems += [f"checkpoint variable {key} {arrays[key].shape} is not used by the model" for key in sorted(unused)]
    if problems:
        raise PretrainedError(f"checkpoint {name} does not match the Keras architecture:\n  " + "\n  ".join(problems))


def build(name: str, *, weights: bool = True):
    """The Keras model of checkpoint ``name`` with its weights (``weights=False``: untrained, for tests of shapes).

    Outputs a dict: ``taggram`` and the embedding layers of
    :attr:`Checkpoint.embedding_layers`, each per window.
    """
    ckpt = checkpoint(name)
    quiet_tensorflow()
    import keras

    model = (_musicnn if ckpt.architecture == "musicnn" else _vgg)(keras, ckpt)
    if weights:
        load_weights(model, name)
    return model
