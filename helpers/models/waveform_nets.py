"""The seeds' waveform and fusion networks, built from plain parameters as ``helpers.models.zoo`` builds the others,
with Keras 3's backend-neutral API only, so that they train under TensorFlow, JAX or PyTorch alike.

The FMA report (FMA-small, 8 genres) and the slides report (GTZAN):

``nnet1``         a 1D CNN on the raw crop: four Conv1D layers, each with batch normalisation and ReLU, max pooling
                  after all but the last; the concatenation of global max and average pooling; a dense block and a
                  softmax; Glorot weights, zero biases, no dropout (the report found it hurt). The report gives no
                  widths: the defaults follow M5 (Dai et al. 2017), the common 1D CNN on raw audio, whose first layer
                  (80-sample kernel, stride 16) turns the 2^17-sample crop into 8192 steps;
``nnet2``         a residual 2D CNN on MFCC or log-mel frames ``(frames, coefficients, 1)``: three Conv2D layers with the
                  same channels, batch normalisation after each, the input added (broadcast over the channels) before
                  the last ReLU; max then average pooling; four dense layers (the last the softmax);
``mixnet``        the encoders (everything before the dense layers) of a trained NNET1 and a trained NNET2 side by side
                  on the same crop, their features concatenated, then four dense layers with dropout 0.1; built by
                  :func:`mixnet` from the two trained models, whose encoder weights it starts from; only the dense
                  layers train unless ``train_encoders`` (the report tuned only the classifier);
``late-fusion``   the slides' late fusion: two ResNet18 encoders (``transfer_nets.RESNET18``, trained from scratch: Keras
                  publishes no ImageNet ResNet18), one on the crop's mel image and one on its waveform image
                  (``helpers.models.crops``), each globally average-pooled, concatenated, then the main seed's head
                  (dense 128, dropout 0.5, softmax);
``resnet18-mel``  its baseline: the same mel encoder and head alone, on the same clips and split.

:data:`MODEL_INPUTS` names what each network reads from a crop, in the order of its inputs. Every model takes
integer labels (sparse categorical cross-entropy) and trains with Adam at the learning rate and weight decay of its
parameters (the seeds: batch 64, Adam 1e-4, early stopping on the validation loss; :func:`fit`). Keras applies
weight decay decoupled from the gradient, as AdamW does (each step takes ``learning_rate * weight_decay`` of every
weight), where PyTorch's ``Adam(weight_decay=...)`` adds it to the gradient; so the NNET2 report's 0.005 is a
starting value, not the same regularisation, and the validation loss stays the plain cross-entropy, on which the
trials of an Optuna search (``helpers.models.optuna_search``) compare.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import pandas as pd

from ..runtime import install_quiet_tensorflow
from . import networks, transfer_nets

# bn_momentum 0.9: the moving statistics of batch normalisation as PyTorch keeps them (its momentum 0.1), the
# framework of the FMA report. Keras' default 0.99 leaves them near their start after the few dozen steps that a few
# hundred tracks give (one crop per track and epoch), so that validation in inference mode sits at chance while
# training accuracy rises (measured on GTZAN's fault-filtered split: NNET1 stopped at its first epoch).
NNET1: dict[str, Any] = dict(filters=(32, 32, 64, 64), kernel_sizes=(80, 3, 3, 3), strides=(16, 1, 1, 1), pool_size=4,
                             dense_units=(128,), learning_rate=1e-4, weight_decay=0.005, bn_momentum=0.9)
NNET2: dict[str, Any] = dict(filters=32, kernel_size=3, pool_size=4, dense_units=(256, 128, 64), learning_rate=1e-4,
                             weight_decay=0.005, bn_momentum=0.9)
MIXNET: dict[str, Any] = dict(dense_units=(256, 128, 64), dropout=0.1, train_encoders=False, learning_rate=1e-4,
                              weight_decay=0.005)
# ResNet18 stages and batch-norm momentum as notebook 06's, the main seed's head, the from-scratch learning rate.
FUSION: dict[str, Any] = dict(**transfer_nets.RESNET18, **transfer_nets.HEAD, learning_rate=transfer_nets.LEARNING_RATES["scratch"],
                              weight_decay=0.0)
DEFAULTS: dict[str, dict[str, Any]] = {"nnet1": NNET1, "nnet2": NNET2, "mixnet": MIXNET, "late-fusion": FUSION, "resnet18-mel": FUSION}
WAVEFORM_MODELS: tuple[str, ...] = tuple(DEFAULTS)
NNET2_FEATURES: tuple[str, ...] = ("mfcc", "log-mel")
MODEL_INPUTS: dict[str, tuple[str, ...]] = {"nnet1": ("waveform",), "nnet2": ("mfcc",), "mixnet": ("waveform", "mfcc"),
                                            "late-fusion": ("mel-image", "waveform-image"), "resnet18-mel": ("mel-image",)}


def model_inputs(name: str, features: str = "mfcc") -> tuple[str, ...]:
    """The crop inputs (``crops.INPUT_KINDS``) network ``name`` reads, in the order of its inputs; ``features`` is
    NNET2's (and MixNet's) ``mfcc`` or ``log-mel``."""
    defaults(name)
    if features not in NNET2_FEATURES:
        raise ValueError(f"unknown NNET2 features {features!r}; valid: {', '.join(NNET2_FEATURES)}")
    return tuple(features if kind == "mfcc" else kind for kind in MODEL_INPUTS[name])


def defaults(name: str) -> dict[str, Any]:
    """The default parameters of network ``name`` (one of ``WAVEFORM_MODELS``)."""
    if name not in DEFAULTS:
        raise ValueError(f"unknown waveform network {name!r}; valid: {', '.join(WAVEFORM_MODELS)}")
    return dict(DEFAULTS[name])


def _parameters(name: str, overrides: dict[str, Any]) -> dict[str, Any]:
    known = defaults(name)
    unknown = set(overrides) - set(known)
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)} for {name}; valid: {', '.join(known)}")
    return {**known, **overrides}


def _keras(seed: int, clear: bool = True):
    """Keras, its session cleared (``clear``) and every generator seeded; TensorFlow's ops made deterministic when it
    is the backend (the only backend-specific step, and only a setting)."""
    install_quiet_tensorflow()
    import keras

    if clear:
        keras.backend.clear_session()  # one graph per model: no retracing across trials
    if keras.backend.backend() == "tensorflow":
        networks.seed_networks(seed)
    else:
        keras.utils.set_random_seed(seed)
    return keras


def _compile(keras, model, p: dict[str, Any]):
    optimizer = keras.optimizers.Adam(learning_rate=p["learning_rate"], weight_decay=p["weight_decay"] or None)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _dense_layers(keras, x, units: Sequence[int], n_classes: int, dropout: float = 0.0):
    for width in units:
        x = keras.layers.Dense(width, activation="relu", kernel_initializer="glorot_uniform", bias_initializer="zeros")(x)
        if dropout:
            x = keras.layers.Dropout(dropout)(x)
    return keras.layers.Dense(n_classes, activation="softmax", name="genre")(x)


def _nnet1_encoder(keras, shape: tuple[int, ...], p: dict[str, Any]):
    layers = keras.layers
    if not len(p["filters"]) == len(p["kernel_sizes"]) == len(p["strides"]):
        raise ValueError("nnet1 needs as many filters, kernel_sizes and strides (one per Conv1D layer)")
    inputs = keras.Input(shape, name="waveform")
    x = inputs
    for i, (filters, kernel, stride) in enumerate(zip(p["filters"], p["kernel_sizes"], p["strides"]), start=1):
        # Glorot weights and zero biases, as the report set them (Keras' defaults, stated so that they stay)
        x = layers.Conv1D(filters, kernel, strides=stride, padding="same", kernel_initializer="glorot_uniform",
                          bias_initializer="zeros", name=f"conv{i}")(x)
        x = layers.Activation("relu")(layers.BatchNormalization(momentum=p["bn_momentum"], name=f"bn{i}")(x))
        if i < len(p["filters"]):
            x = layers.MaxPooling1D(p["pool_size"], padding="same")(x)
    pooled = layers.Concatenate(name="max_and_mean")([layers.GlobalMaxPooling1D()(x), layers.GlobalAveragePooling1D()(x)])
    return keras.Model(inputs, pooled, name="encoder")


def _nnet2_encoder(keras, shape: tuple[int, ...], p: dict[str, Any]):
    layers = keras.layers
    inputs = keras.Input(shape, name="features")
    x = inputs
    for i in range(1, 4):
        x = layers.Conv2D(p["filters"], p["kernel_size"], padding="same", name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=p["bn_momentum"], name=f"bn{i}")(x)
        if i < 3:
            x = layers.Activation("relu")(x)
    x = layers.Activation("relu")(layers.Add(name="residual")([x, inputs]))  # one input channel, broadcast over the filters
    x = layers.MaxPooling2D(p["pool_size"], padding="same")(x)
    x = layers.AveragePooling2D(p["pool_size"], padding="same")(x)
    return keras.Model(inputs, layers.Flatten()(x), name="encoder")


def _resnet18_encoder(keras, shape: tuple[int, ...], p: dict[str, Any], name: str):
    inputs = keras.Input(shape, name=name.replace("_encoder", "_image"))
    x = transfer_nets._resnet18(keras, inputs, p)  # notebook 06's ResNet18 stages, shared, not restated
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D(name="pooled")(x), name=name)


def build(name: str, input_shapes: Sequence[tuple[int, ...]], n_classes: int, *, seed: int = 42, **overrides: Any):
    """A compiled network ``name`` (``nnet1``, ``nnet2``, ``late-fusion``, ``resnet18-mel``) from its parameters.

    ``input_shapes``: one shape per input, in the order of :func:`model_inputs` (``crops.CropRecipe.shape`` of each);
    ``overrides`` replace entries of its parameter dict (:func:`defaults`). MixNet is built by :func:`mixnet`.
    """
    if name == "mixnet":
        raise ValueError("mixnet starts from a trained nnet1 and nnet2: build it with mixnet(nnet1, nnet2, n_classes)")
    p = _parameters(name, overrides)
    shapes = [tuple(shape) for shape in input_shapes]
    if len(shapes) != len(MODEL_INPUTS[name]):
        raise ValueError(f"{name} reads {len(MODEL_INPUTS[name])} input(s) ({', '.join(MODEL_INPUTS[name])}), "
                         f"got {len(shapes)} shape(s)")
    keras = _keras(seed)
    if name in ("nnet1", "nnet2"):
        encoder = (_nnet1_encoder if name == "nnet1" else _nnet2_encoder)(keras, shapes[0], p)
        inputs = [keras.Input(shapes[0], name=encoder.inputs[0].name)]
        outputs = _dense_layers(keras, encoder(inputs[0]), p["dense_units"], n_classes)
    else:
        encoders = [_resnet18_encoder(keras, shape, p, kind) for shape, kind in zip(shapes, ("mel_encoder", "waveform_encoder"))]
        inputs = [keras.Input(shape, name=encoder.inputs[0].name) for shape, encoder in zip(shapes, encoders)]
        features = [encoder(x) for encoder, x in zip(encoders, inputs)]
        x = features[0] if len(features) == 1 else keras.layers.Concatenate(name="fused")(features)
        x = keras.layers.Dropout(p["dropout"])(keras.layers.Dense(p["dense_units"], activation="relu", name="head_dense")(x))
        outputs = keras.layers.Dense(n_classes, activation="softmax", name="genre")(x)
    # a single input stands alone (not a list of one), so that a batch of one array matches the model's structure
    return _compile(keras, keras.Model(inputs[0] if len(inputs) == 1 else inputs, outputs, name=name), p)


def _trained_encoder(keras, model, network: str, trainable: bool):
    """A copy of ``model``'s encoder named ``<network>_encoder``, with its weights: MixNet's training leaves ``model``
    as it was."""
    try:
        encoder = model.get_layer("encoder")
    except ValueError:
        raise ValueError(f"mixnet needs a trained {network} (a model of build({network!r}, ...)); {model.name} has no encoder") from None
    config = encoder.get_config()
    config["name"] = f"{network}_encoder"
    copy = keras.Model.from_config(config)
    copy.set_weights(encoder.get_weights())
    copy.trainable = trainable  # frozen batch normalisation also keeps its trained statistics (inference mode)
    return copy


def mixnet(nnet1, nnet2, n_classes: int, *, seed: int = 42, **overrides: Any):
    """The compiled MixNet on ``(waveform, features)`` inputs, starting from the encoders of a trained NNET1 and NNET2
    (copies: the two models are not changed); ``overrides`` replace entries of ``MIXNET``."""
    p = _parameters("mixnet", overrides)
    keras = _keras(seed, clear=False)  # clearing the session would orphan the trained models' state
    encoders = [_trained_encoder(keras, model, network, p["train_encoders"]) for model, network in ((nnet1, "nnet1"), (nnet2, "nnet2"))]
    inputs = [keras.Input(tuple(encoder.inputs[0].shape[1:]), name=encoder.inputs[0].name) for encoder in encoders]
    x = keras.layers.Concatenate(name="mixed")([encoder(x) for encoder, x in zip(encoders, inputs)])
    return _compile(keras, keras.Model(inputs, _dense_layers(keras, x, p["dense_units"], n_classes, p["dropout"]), name="mixnet"), p)


def fit(model, train, valid, *, epochs: int = 50, patience: int = 10, callbacks: Sequence = (), progress: bool = True,
        desc: str | None = None, settings: dict | None = None) -> networks.NetworkFit:
    """Train ``model`` on the ``train`` PyDataset (``crops.crop_dataset``), stopping early on the validation loss of
    ``valid`` with the best epoch's weights restored, as the seeds did; ``callbacks`` run too (an Optuna pruner).

    ``settings``: the model's parameters and training settings, kept in the fit for the results record.
    Returns ``networks.NetworkFit`` (model, history per epoch, seconds, best epoch, settings).
    """
    install_quiet_tensorflow()
    import keras

    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True)
    shown = [networks.epoch_progress(epochs, desc or model.name)] if progress else []
    start = time.perf_counter()
    history = model.fit(train, validation_data=valid, epochs=epochs, callbacks=[stop, *callbacks, *shown], verbose=0,
                        shuffle=False).history  # the PyDataset orders its batches itself, seeded
    seconds = time.perf_counter() - start
    history = pd.DataFrame(history).rename_axis("epoch")
    history.index += 1
    return networks.NetworkFit(model, history, seconds, int(history["val_loss"].idxmin()), dict(settings or {}))
