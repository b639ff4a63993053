"""The features report's two Wav2Vec2 experiments on the port (``helpers.models.wav2vec2``), with real weights only.

``frozen``      the encoder's hidden state ``layer`` averaged over time for each clip (:func:`clip_embeddings`), then
                the report's head: dense 128 with ReLU, dropout 0.3, a softmax layer, Adam at a constant 1e-3 for
                10 epochs (:func:`frozen_head`; the epoch with the lowest validation loss is kept);
``fine-tune``   the encoder up to ``layer`` and the same head trained together at a low learning rate on random
                16-kHz crops of the training tracks, the mid-track crop for validation and test, early-stopped on
                the validation loss (:func:`fine_tune_model`, fitted with ``waveform_nets.fit`` on
                ``crops.CropBatches``).

Each clip or crop is normalised to zero mean and unit variance first when the model's feature extractor does so
(``wav2vec2.normalises_input``): in NumPy for the frozen embeddings, as a layer of the fine-tuned model (the same
arithmetic, so that both read what the model was trained on). :func:`weights` resolves the weights and never falls
back on a randomly initialised encoder: without weights there is no run and no record.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..inputs.waveforms import VARIANCE_EPSILON, zero_mean_unit_variance
from ..runtime import install_quiet_tensorflow, progress
from . import wav2vec2

HEAD: dict = dict(units=128, dropout=0.3, learning_rate=1e-3, epochs=10)  # the features report's head and schedule


@dataclass(frozen=True)
class Weights:
    """Loaded weights and where they came from (what a record names), or why there are none (``encoder`` None)."""

    encoder: wav2vec2.Encoder | None
    origin: str
    normalise: bool = True
    message: str = ""


def weights(name_or_folder: str | os.PathLike | None = None, *, hub: bool = True) -> Weights:
    """The encoder of ``name_or_folder`` (else ``$MGC_WAV2VEC2``, else the Hub's ``facebook/wav2vec2-base``), or a
    :class:`Weights` without encoder whose ``message`` says in one line why there is none. ``hub=False``: only a folder
    named here or in ``$MGC_WAV2VEC2`` is used, nothing is downloaded (the smoke profile)."""
    named = name_or_folder or os.environ.get(wav2vec2.MODEL_ENVIRONMENT)
    if not hub and not named:
        return Weights(None, "", message=f"Wav2Vec2 weights unavailable: this profile downloads none; name a model folder "
                                         f"in ${wav2vec2.MODEL_ENVIRONMENT} to run the Wav2Vec2 experiments")
    try:
        source = wav2vec2.resolve_model(named)
        normalise, _ = wav2vec2.normalises_input(source.folder)
        encoder = wav2vec2.load(source.folder)
    except wav2vec2.Wav2Vec2Error as error:
        return Weights(None, "", message=f"Wav2Vec2 weights unavailable: {error}")
    return Weights(encoder, source.origin, normalise, f"Wav2Vec2 weights: {source.origin}, "
                   f"{encoder.config.num_hidden_layers} layers of width {encoder.config.hidden_size}")


def clip_embeddings(found: Weights, waveforms: Mapping[str, np.ndarray], track_ids: Sequence[str], layer: int,
                    seconds: float | None = None) -> np.ndarray:
    """Hidden state ``layer`` averaged over time, one row per track of ``track_ids`` (16-kHz samples in
    ``waveforms``); ``seconds``: only the mid-track excerpt of that length (None: the whole clip)."""
    from .crops import mid_crop

    model = wav2vec2.layer_model(found.encoder, layer)
    rows = []
    for track in progress(list(track_ids), desc=f"wav2vec2 layer {layer}"):
        samples = np.asarray(waveforms[track], np.float32)
        if seconds is not None:
            samples = mid_crop(samples, int(round(seconds * wav2vec2.SAMPLE_RATE)))
        rows.append(wav2vec2.pooled(model, zero_mean_unit_variance(samples) if found.normalise else samples))
    return np.stack(rows)


def _head(keras, x, n_classes: int, seed: int):
    x = keras.layers.Dense(HEAD["units"], activation="relu", name="head_dense")(x)
    x = keras.layers.Dropout(HEAD["dropout"], seed=seed)(x)
    return keras.layers.Dense(n_classes, activation="softmax", name="genre")(x)


def frozen_head(width: int, n_classes: int, seed: int = 42):
    """The report's head on ``width``-wide clip embeddings, compiled with Adam at a constant 1e-3."""
    install_quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((width,), name="embedding")
    model = keras.Model(inputs, _head(keras, inputs, n_classes, seed), name="wav2vec2-frozen")
    model.compile(optimizer=keras.optimizers.Adam(HEAD["learning_rate"]), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


def fine_tune_model(found: Weights, layer: int, samples: int, n_classes: int, learning_rate: float = 1e-5, seed: int = 42):
    """The encoder up to hidden state ``layer``, averaged over time, under the report's head, on crops of ``samples``
    16-kHz samples shaped ``(samples, 1)`` (``crops.CropBatches``' waveform input), every weight trainable."""
    install_quiet_tensorflow()
    import keras

    keras.utils.set_random_seed(seed)
    encoder = wav2vec2.layer_model(found.encoder, layer)
    inputs = keras.Input((samples, 1), name="waveform")
    x = keras.layers.Reshape((samples,))(inputs)
    if found.normalise:
        x = _normalise_layer()(name="zero_mean_unit_variance")(x)
    x = keras.layers.GlobalAveragePooling1D(name="mean_over_time")(encoder(x))
    model = keras.Model(inputs, _head(keras, x, n_classes, seed), name="wav2vec2-fine-tune")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


@functools.cache
def _normalise_layer():
    """The layer class, made on first use: Keras loads only when a model needs it."""
    install_quiet_tensorflow()
    import keras

    class Normalise(keras.layers.Layer):
        """Each row minus its mean, divided by ``sqrt(variance + 1e-7)``: ``zero_mean_unit_variance`` as a layer."""

        def call(self, x):
            centred = x - keras.ops.mean(x, axis=-1, keepdims=True)
            return centred / keras.ops.sqrt(keras.ops.mean(centred * centred, axis=-1, keepdims=True) + VARIANCE_EPSILON)

    return Normalise
