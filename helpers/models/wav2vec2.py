"""wav2vec 2.0 (Baevski et al., 2020) and HuBERT (Hsu et al., 2021) as Keras 3 models, loaded from a Hugging Face
``transformers`` folder (``config.json`` and ``model.safetensors``) and checked against ``transformers``' outputs.

At inference both are one encoder with the same tensor names, rebuilt here from standard Keras layers (so a model
saves as ``.keras`` and loads in safe mode), after ``transformers``' ``modeling_wav2vec2.py`` and ``modeling_hubert.py``:

* the feature encoder: seven 1-D convolutions over the raw 16-kHz waveform, with group norm (one group per channel)
  on the first only (``feat_extract_norm="group"``: the base layout) or layer norm on every one (``"layer"``: the
  large layout);
* the feature projection: layer norm (its output is ``extract_features``) and a dense layer;
* the positional embedding: a grouped convolution whose weight norm (``g * v / ||v||``, the norm over every axis
  but the kernel's) is folded into a plain weight at load time, its last frame dropped when the kernel is even;
* the transformer encoder: post-layer-norm (``do_stable_layer_norm=false``, base) or pre-layer-norm "stable" with
  a final layer norm (``true``, large);
* exact (erf) GELU throughout, as ``transformers``' ``"gelu"``.

``config.json``'s ``model_type`` (``wav2vec2`` or ``hubert``) and those flags choose the variant. A flag the port does
not implement, set to anything but its default (:data:`UNSUPPORTED`), stops the load naming it. Dropouts are Keras
``Dropout`` layers (active in training only); LayerDrop and SpecAugment masking, which act in training only, are not
built and are listed as such (:attr:`EncoderConfig.not_applied`).

Weights load by tensor name, strictly (:func:`load`): a tensor the encoder needs that is missing, one in the file it
does not use, or one of the wrong shape stops the load naming it. Pretraining-only tensors (:data:`PRETRAINING_ONLY`)
are listed and left out; the key prefix of a task checkpoint (``wav2vec2.``, ``hubert.``: the model type's) is
accepted, and the positional conv's weight norm in both of its stored forms (:data:`WEIGHT_NORMS`).

The model reads the values its feature extractor hands over: normalise each clip first where the model expects it
(``helpers.inputs.waveforms.zero_mean_unit_variance``; :func:`normalises_input` says whether).

:func:`resolve_model` finds the weights: a folder named, ``$MGC_WAV2VEC2``, or a Hugging Face Hub id (default
``facebook/wav2vec2-base``) downloaded once into ``huggingface_hub``'s cache and read from there offline afterwards;
without them it says so in one line within seconds (:class:`WeightsUnavailable`).

Command line::

    python -m helpers.models.wav2vec2 compare MODEL_DIR
    python -m helpers.models.wav2vec2 embed PATH... [--model DIR|HUB_ID] [--layer N] --out FILE.npz

``compare`` runs ``MODEL_DIR/expected.npz``'s ``input_values`` through the port and prints the largest absolute
difference from each other array it holds (``transformers``' ``extract_features``, ``hidden_states``,
``last_hidden_state``); it exits 0 when every one is within :data:`PARITY_TOLERANCE`, 1 otherwise. ``embed`` writes
``X`` (one row per readable file: hidden state ``N`` averaged over time; 0 is the encoder's input after the
positional embedding, as ``hidden_states[0]``) and ``IDS`` (each file's ID, as ``helpers.models.pretrained embed``
names them); unreadable files are listed and skipped.

Why this module is long: the config checks, the Keras layer names and the weight mapping are one naming of
``transformers``' modules (a layer is called after the tensors it holds), and where the weights come from and the
two commands are what use it; split apart, each piece would restate that naming.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import math
import os
import re
import sys
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .. import cli
from ..data import audio, cache
from ..inputs.waveforms import zero_mean_unit_variance
from ..runtime import quiet_tensorflow

SAMPLE_RATE = 16000
MODEL_TYPES = ("wav2vec2", "hubert")
CONFIG_FILE, WEIGHTS_FILE, PREPROCESSOR_FILE, EXPECTED_FILE = (
    "config.json", "model.safetensors", "preprocessor_config.json", "expected.npz")
SAFETENSORS_HINT = "pip install safetensors==0.5.3"
# Tensors of the pretraining heads (quantizer, projections of the contrastive task, the mask embedding): no part
# of the encoder's output, so a checkpoint saved by Wav2Vec2ForPreTraining loads without them.
PRETRAINING_ONLY = ("quantizer.*", "project_q.*", "project_hid.*", "masked_spec_embed")
POSITIONAL_CONV = "encoder.pos_conv_embed.conv"
# The weight norm's (g, v) as torch.nn.utils.weight_norm stores them and as its parametrizations successor does
WEIGHT_NORMS = (("weight_g", "weight_v"), ("parametrizations.weight.original0", "parametrizations.weight.original1"))
# transformers' nn.LayerNorm / nn.GroupNorm of the feature-encoder convs keep torch's default epsilon
CONV_NORM_EPSILON = 1e-5
PARITY_TOLERANCE = 1e-4
# Attention memory grows with the square of the frames (50 per second): longer inputs go through in parts
MAX_SECONDS = 60.0

# Config flags whose other values change the encoder in ways the port does not build: value it must have, and why
UNSUPPORTED: dict[str, tuple[object, str]] = {
    "feat_extract_activation": ("gelu", "the feature encoder's and positional conv's activation"),
    "hidden_act": ("gelu", "the feed-forward activation"),
    "add_adapter": (False, "an adapter stack after the encoder"),
    "adapter_attn_dim": (None, "adapter layers inside the transformer layers"),
    "conv_pos_batch_norm": (False, "batch norm instead of weight norm in the positional conv"),
}
# Settings that act in training only and are not built: listed when they are on
TRAINING_ONLY = {"layerdrop": "LayerDrop", "mask_time_prob": "SpecAugment time masks",
                 "mask_feature_prob": "SpecAugment feature masks"}
# transformers' defaults (Wav2Vec2Config and HubertConfig agree) for the dropouts an old config.json may lack
DROPOUT_DEFAULTS = {"feat_proj_dropout": 0.0, "hidden_dropout": 0.1, "attention_dropout": 0.1, "activation_dropout": 0.1}
# Where resolve_model looks when no model is named: this variable (a folder or a Hub id), then the default model
MODEL_ENVIRONMENT = "MGC_WAV2VEC2"
DEFAULT_MODEL = "facebook/wav2vec2-base"  # Apache-2.0; its preprocessor_config.json asks for normalised input
HUB_FILES = (CONFIG_FILE, WEIGHTS_FILE)
HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]*/[A-Za-z0-9][\w.-]*")
HUB_HINT = "pip install huggingface_hub==2.4.0"
HUB_TIMEOUT_SECONDS = 10.0  # an unanswered Hub request fails after this long, so an offline run is told at once


class Wav2Vec2Error(ValueError):
    """A model folder, config or weights file the port cannot load; the message names the file, tensor or flag."""


# ---------------------------------------------------------------------------- configuration

@dataclass(frozen=True)
class EncoderConfig:
    """What the port reads from ``config.json`` (names as ``transformers`` spells them)."""

    model_type: str
    conv_dim: tuple[int, ...]
    conv_kernel: tuple[int, ...]
    conv_stride: tuple[int, ...]
    conv_bias: bool
    feat_extract_norm: str  # "group" (base) or "layer" (large)
    feat_proj_layer_norm: bool  # always on for wav2vec2; HuBERT's config chooses
    hidden_size: int
    num_hidden_layers: int
    num_attention_heads: int
    intermediate_size: int
    num_conv_pos_embeddings: int
    num_conv_pos_embedding_groups: int
    do_stable_layer_norm: bool
    layer_norm_eps: float
    feat_proj_dropout: float = 0.0
    hidden_dropout: float = 0.0
    attention_dropout: float = 0.0
    activation_dropout: float = 0.0
    not_applied: tuple[str, ...] = ()  # training-only settings that are on but not built, e.g. "LayerDrop (layerdrop 0.05)"

    @property
    def layout(self) -> str:
        """In words: which feature-encoder norm and which transformer."""
        convs = "group norm on the first conv" if self.feat_extract_norm == "group" else "layer norm on every conv"
        encoder = "pre-layer-norm (stable) encoder" if self.do_stable_layer_norm else "post-layer-norm encoder"
        return f"{convs}, {encoder}"

    def frames(self, samples: int) -> int:
        """Feature frames the encoder gives for ``samples`` input values (0: too short for one)."""
        for kernel, stride in zip(self.conv_kernel, self.conv_stride):
            samples = (samples - kernel) // stride + 1 if samples >= kernel else 0
        return samples


def config_from_dict(values: Mapping, source: str = CONFIG_FILE) -> EncoderConfig:
    """An :class:`EncoderConfig` from ``config.json``'s ``values``; raises :class:`Wav2Vec2Error` naming the key of an
    unknown model type, a missing or malformed setting or an unimplemented flag (``source``: the file, for messages)."""
    def fail(problem: str):
        raise Wav2Vec2Error(f"{source}: {problem}")

    model_type = values.get("model_type")
    if model_type not in MODEL_TYPES:
        fail(f"model_type {model_type!r} is not one this port implements ({', '.join(MODEL_TYPES)})")
    for key, (default, what) in UNSUPPORTED.items():
        if values.get(key, default) != default:
            fail(f"{key} = {json.dumps(values[key])} is not implemented ({what}); this port builds only "
                 f"{key} = {json.dumps(default)}, so it cannot load this model")
    if values.get("feat_extract_norm") not in ("group", "layer"):
        fail(f"feat_extract_norm {values.get('feat_extract_norm')!r} is not implemented: \"group\" or \"layer\"")

    def number(key: str, kind: type, minimum: float, default=None):
        value = values.get(key, default)
        if value is None:
            fail(f"{key} is missing")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (kind is int and value != int(value)) \
                or not math.isfinite(value) or value < minimum:
            fail(f"{key} = {json.dumps(value)} is not {'a whole number' if kind is int else 'a number'} of at least {minimum}")
        return kind(value)

    def flag(key: str, default=None) -> bool:
        value = values.get(key, default)
        if value is None:
            fail(f"{key} is missing")
        if not isinstance(value, bool):
            fail(f"{key} = {json.dumps(value)} is not true or false")
        return value

    convs = []
    for key in ("conv_dim", "conv_kernel", "conv_stride"):
        value = values.get(key)
        if not isinstance(value, list) or not value or any(isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in value):
            fail(f"{key} = {json.dumps(value)} is not a list of whole numbers of at least 1")
        convs.append(tuple(value))
    if len({len(c) for c in convs}) > 1 or values.get("num_feat_extract_layers", len(convs[0])) != len(convs[0]):
        fail(f"conv_dim, conv_kernel and conv_stride have {', '.join(str(len(c)) for c in convs)} entries and "
             f"num_feat_extract_layers is {values.get('num_feat_extract_layers')}: they must agree")
    dropouts = {key: number(key, float, 0.0, default) for key, default in DROPOUT_DEFAULTS.items()}
    if any(rate >= 1 for rate in dropouts.values()):
        fail(f"a dropout rate of 1 or more ({dropouts}) drops everything")
    config = EncoderConfig(
        model_type=model_type, conv_dim=convs[0], conv_kernel=convs[1], conv_stride=convs[2], conv_bias=flag("conv_bias"),
        feat_extract_norm=values["feat_extract_norm"],
        feat_proj_layer_norm=model_type == "wav2vec2" or flag("feat_proj_layer_norm", True),  # HubertConfig's default
        hidden_size=number("hidden_size", int, 1), num_hidden_layers=number("num_hidden_layers", int, 1),
        num_attention_heads=number("num_attention_heads", int, 1), intermediate_size=number("intermediate_size", int, 1),
        num_conv_pos_embeddings=number("num_conv_pos_embeddings", int, 1),
        num_conv_pos_embedding_groups=number("num_conv_pos_embedding_groups", int, 1),
        do_stable_layer_norm=flag("do_stable_layer_norm"), layer_norm_eps=number("layer_norm_eps", float, 0.0), **dropouts,
        not_applied=tuple(f"{what} ({key} {values[key]})" for key, what in TRAINING_ONLY.items()
                          if isinstance(values.get(key), (int, float)) and values[key] > 0
                          and (key == "layerdrop" or values.get("apply_spec_augment", True))))
    for divisor in ("num_attention_heads", "num_conv_pos_embedding_groups"):
        if config.hidden_size % getattr(config, divisor):
            fail(f"hidden_size {config.hidden_size} is not a multiple of {divisor} {getattr(config, divisor)}")
    return config


def read_config(folder: str | Path) -> EncoderConfig:
    """``folder/config.json`` as an :class:`EncoderConfig` (see :func:`config_from_dict`)."""
    path = Path(folder) / CONFIG_FILE
    return config_from_dict(_read_json(path), str(path))


def _read_json(path: Path) -> dict:
    if not path.is_file():
        raise Wav2Vec2Error(f"{path} not found; give a model folder saved by transformers' save_pretrained "
                            f"({CONFIG_FILE} and {WEIGHTS_FILE})")
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Wav2Vec2Error(f"{path} is not JSON ({error})") from None
    if not isinstance(values, dict):
        raise Wav2Vec2Error(f"{path} holds no JSON object")
    return values


def normalises_input(folder: str | Path) -> tuple[bool, str]:
    """Whether the model of ``folder`` reads each clip normalised to zero mean and unit variance, and why:
    ``preprocessor_config.json``'s ``do_normalize`` where the folder has one, else true: the setting of
    :data:`DEFAULT_MODEL`."""
    path = Path(folder) / PREPROCESSOR_FILE
    if not path.is_file():
        return True, f"no {PREPROCESSOR_FILE}; {DEFAULT_MODEL}'s setting"
    settings = _read_json(path)
    if settings.get("sampling_rate", SAMPLE_RATE) != SAMPLE_RATE:
        raise Wav2Vec2Error(f"{path}: sampling_rate {settings['sampling_rate']} is not the {SAMPLE_RATE} Hz the port reads")
    if not isinstance(settings.get("do_normalize", True), bool):
        raise Wav2Vec2Error(f"{path}: do_normalize = {json.dumps(settings['do_normalize'])} is not true or false")
    normalise = settings.get("do_normalize", True)
    return normalise, f"{PREPROCESSOR_FILE}: do_normalize {str(normalise).lower()}"


# ---------------------------------------------------------------------------- the Keras model

def build(config: EncoderConfig):
    """The encoder of ``config`` with untrained weights. Input ``input_values``: ``(batch, samples)`` float32.

    Outputs a dict: ``hidden_states.0`` ... ``hidden_states.<layers>`` (``transformers``' ``hidden_states``),
    ``last_hidden_state`` (the last layer's output; in the stable layout after the final layer norm, which
    ``transformers`` 5 leaves out of ``hidden_states``) and, for wav2vec2, ``extract_features``. Each layer is named
    after the ``transformers`` module whose tensors it holds (``encoder.layers.0.attention``): that is how
    :func:`load_weights` finds them.
    """
    quiet_tensorflow()
    import keras

    layers = keras.layers
    inputs = keras.Input((None,), name="input_values")
    x = layers.Reshape((-1, 1), name="samples")(inputs)
    for i, (dim, kernel, stride) in enumerate(zip(config.conv_dim, config.conv_kernel, config.conv_stride)):
        name = f"feature_extractor.conv_layers.{i}"
        x = layers.Conv1D(dim, kernel, strides=stride, use_bias=config.conv_bias, name=f"{name}.conv")(x)
        if config.feat_extract_norm == "layer":
            x = layers.LayerNormalization(epsilon=CONV_NORM_EPSILON, name=f"{name}.layer_norm")(x)
        elif i == 0:  # nn.GroupNorm(num_groups=channels): each channel normalised over time
            x = layers.GroupNormalization(groups=dim, epsilon=CONV_NORM_EPSILON, name=f"{name}.layer_norm")(x)
        x = layers.Activation("gelu", name=f"{name}.activation")(x)
    outputs = {}
    if config.feat_proj_layer_norm:
        x = layers.LayerNormalization(epsilon=config.layer_norm_eps, name="feature_projection.layer_norm")(x)
    if config.model_type == "wav2vec2":  # HubertModel returns no extract_features
        outputs["extract_features"] = layers.Identity(name="extract_features")(x)
    x = layers.Dense(config.hidden_size, name="feature_projection.projection")(x)
    x = layers.Dropout(config.feat_proj_dropout)(x)

    kernel = config.num_conv_pos_embeddings
    position = layers.ZeroPadding1D(kernel // 2, name="encoder.pos_conv_embed.padding")(x)
    position = layers.Conv1D(config.hidden_size, kernel, groups=config.num_conv_pos_embedding_groups, name=POSITIONAL_CONV)(position)
    if kernel % 2 == 0:  # transformers' SamePadLayer: "same" output length for an even kernel
        position = layers.Cropping1D((0, 1), name="encoder.pos_conv_embed.same_pad")(position)
    position = layers.Activation("gelu", name="encoder.pos_conv_embed.activation")(position)
    x = layers.Add(name="encoder.pos_conv_embed.add")([x, position])
    if not config.do_stable_layer_norm:
        x = layers.LayerNormalization(epsilon=config.layer_norm_eps, name="encoder.layer_norm")(x)
    x = layers.Dropout(config.hidden_dropout)(x)

    for i in range(config.num_hidden_layers):
        outputs[f"hidden_states.{i}"] = layers.Identity(name=f"hidden_states.{i}")(x)
        x = _transformer_layer(layers, config, f"encoder.layers.{i}", x)
    last = f"hidden_states.{config.num_hidden_layers}"
    outputs[last] = layers.Identity(name=last)(x)
    if config.do_stable_layer_norm:  # transformers 5 keeps the last layer's output in hidden_states, before this norm
        x = layers.LayerNormalization(epsilon=config.layer_norm_eps, name="encoder.layer_norm")(x)
    outputs["last_hidden_state"] = layers.Identity(name="last_hidden_state")(x)
    return keras.Model(inputs, outputs, name=config.model_type)


def _transformer_layer(layers, config: EncoderConfig, name: str, x):
    """One transformer layer (``transformers``' ``Wav2Vec2EncoderLayer``, or ``...StableLayerNorm``) on ``x``."""
    attention = layers.MultiHeadAttention(config.num_attention_heads, config.hidden_size // config.num_attention_heads,
                                          dropout=config.attention_dropout, name=f"{name}.attention")
    first_norm, final_norm = (layers.LayerNormalization(epsilon=config.layer_norm_eps, name=f"{name}.{part}")
                              for part in ("layer_norm", "final_layer_norm"))

    def feed_forward(h):
        h = layers.Dense(config.intermediate_size, activation="gelu", name=f"{name}.feed_forward.intermediate_dense")(h)
        h = layers.Dropout(config.activation_dropout)(h)
        h = layers.Dense(config.hidden_size, name=f"{name}.feed_forward.output_dense")(h)
        return layers.Dropout(config.hidden_dropout)(h)

    if config.do_stable_layer_norm:
        normed = first_norm(x)
        x = layers.Add()([x, layers.Dropout(config.hidden_dropout)(attention(normed, normed))])
        return layers.Add()([x, feed_forward(final_norm(x))])
    x = first_norm(layers.Add()([x, layers.Dropout(config.hidden_dropout)(attention(x, x))]))
    return final_norm(layers.Add()([x, feed_forward(x)]))


# ---------------------------------------------------------------------------- weights

def read_tensors(path: str | Path) -> dict[str, np.ndarray]:
    """Every tensor of a ``.safetensors`` file, as float32 arrays by name."""
    path = Path(path)
    if not path.is_file():
        raise Wav2Vec2Error(f"{path} not found; the port reads {WEIGHTS_FILE} (transformers' save_pretrained writes it)")
    try:
        from safetensors.numpy import load_file
    except ImportError:
        raise Wav2Vec2Error(f"reading {path} needs the safetensors package; install it with: {SAFETENSORS_HINT}") from None
    try:
        tensors = load_file(str(path))
    except Exception as error:  # safetensors raises its own SafetensorError, or TypeError for a dtype numpy lacks
        raise Wav2Vec2Error(f"{path} cannot be read as safetensors ({error})") from None
    return {name: np.asarray(value, dtype=np.float32) for name, value in tensors.items()}


@dataclass(frozen=True)
class _Source:
    """Where one Keras weight comes from: ``transformers`` tensors (``names``, stored with ``shapes``), converted."""

    names: tuple[str, ...]
    shapes: tuple[tuple[int, ...], ...]
    convert: Callable[..., np.ndarray]


def _folded_weight_norm(g: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The Keras kernel ``(kernel, in / groups, out)`` of torch's ``weight_norm(conv, dim=2)``: ``g * v / ||v||``,
    the norm over the output and input axes of each kernel position."""
    v = v.astype(np.float64)
    weight = g * v / np.sqrt(np.square(v).sum(axis=(0, 1), keepdims=True))
    return weight.transpose(2, 1, 0).astype(np.float32)


# MultiHeadAttention's sublayers and the transformers Linear each stands for
_ATTENTION = {"query": "q_proj", "key": "k_proj", "value": "v_proj", "attention_output": "out_proj"}


def _source(layer, weight, weight_norm: tuple[str, str]) -> _Source:
    """The tensors behind Keras ``weight`` of ``layer`` (``weight_norm``: the positional conv's stored (g, v) names)."""
    import keras

    shape = tuple(int(n) for n in weight.shape)
    module, kind = layer.name, weight.name  # kernel, bias, gamma, beta
    part = ""
    if isinstance(layer, keras.layers.MultiHeadAttention):
        part = weight.path.split("/")[-2]
        module = f"{module}.{_ATTENTION[part]}"
    if kind in ("gamma", "beta"):
        return _Source((f"{module}.{'weight' if kind == 'gamma' else 'bias'}",), (shape,), lambda w: w)
    if kind == "bias":
        return _Source((f"{module}.bias",), ((math.prod(shape),),), lambda b: b.reshape(shape))
    if isinstance(layer, keras.layers.Conv1D):  # torch stores (out, in / groups, kernel)
        stored = shape[::-1]
        if module == POSITIONAL_CONV:
            g, v = (f"{module}.{name}" for name in weight_norm)
            return _Source((g, v), ((1, 1, shape[0]), stored), _folded_weight_norm)
        return _Source((f"{module}.weight",), (stored,), lambda w: w.transpose(2, 1, 0))
    # Dense and attention kernels: torch's Linear stores (out_features, in_features); the attention's split the
    # features into (heads, head size), on the output side for query/key/value and the input side for the output
    inputs = math.prod(shape[:2]) if part == "attention_output" else shape[0]
    stored = (math.prod(shape) // inputs, inputs)
    return _Source((f"{module}.weight",), (stored,), lambda w: w.T.reshape(shape))


def _listing(items: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def load_weights(model, tensors: Mapping[str, np.ndarray], model_type: str, source: str = WEIGHTS_FILE) -> list[str]:
    """Copy ``tensors`` (by ``transformers`` name) into ``model`` (from :func:`build`); returns the pretraining-only
    tensors left out, sorted.

    Raises :class:`Wav2Vec2Error` naming every tensor the model needs that is missing, every one left unused (other
    than :data:`PRETRAINING_ONLY`) and every one of the wrong shape (``source``: the file, for the message).
    """
    prefix = f"{model_type}."
    named: dict[str, np.ndarray] = {}
    doubled = []
    for stored, value in tensors.items():
        name = stored.removeprefix(prefix)
        if name in named:
            doubled.append(f"{name} (stored with and without the {prefix} prefix)")
        named[name] = value
    ignored = sorted(name for name in named if any(fnmatch.fnmatchcase(name, pattern) for pattern in PRETRAINING_ONLY))
    weight_norm = next((form for form in WEIGHT_NORMS if any(f"{POSITIONAL_CONV}.{n}" in named for n in form)), WEIGHT_NORMS[-1])
    plan = [(weight, _source(layer, weight, weight_norm)) for layer in model.layers for weight in layer.weights]
    wanted = {name: shape for _, src in plan for name, shape in zip(src.names, src.shapes)}
    missing = [name for name in wanted if name not in named]
    unused = [f"{name} {tuple(named[name].shape)}" for name in sorted(named) if name not in wanted and name not in ignored]
    misshaped = [f"{name} is {tuple(named[name].shape)}, the model needs {shape}" for name, shape in wanted.items()
                 if name in named and tuple(named[name].shape) != shape]
    problems = [f"{what}: {_listing(items)}" for what, items in (
        ("missing tensors", missing), ("tensors the model does not use", unused), ("wrong shapes", misshaped),
        ("tensors stored twice", doubled)) if items]
    if problems:
        raise Wav2Vec2Error(f"{source} does not fit its {CONFIG_FILE} ({model_type}): {'; '.join(problems)}")
    for weight, src in plan:
        weight.assign(src.convert(*(named[name] for name in src.names)))
    return ignored


@dataclass
class Encoder:
    """A loaded encoder: the Keras ``model``, its ``config``, the pretraining-only tensors left out and its ``folder``."""

    model: object
    config: EncoderConfig
    ignored: list[str]
    folder: Path


def load(folder: str | Path) -> Encoder:
    """The encoder of a ``transformers`` model folder (``config.json``, ``model.safetensors``), strictly loaded."""
    folder = Path(folder)
    if not folder.is_dir():
        raise Wav2Vec2Error(f"{folder} is not a folder; give a model folder with {CONFIG_FILE} and {WEIGHTS_FILE}")
    config = read_config(folder)
    tensors = read_tensors(folder / WEIGHTS_FILE)
    model = build(config)
    ignored = load_weights(model, tensors, config.model_type, str(folder / WEIGHTS_FILE))
    return Encoder(model, config, ignored, folder)


# ---------------------------------------------------------------------------- where the weights come from

@dataclass(frozen=True)
class ModelSource:
    """A model folder to :func:`load`, and where it came from in words (what a results record names as the
    weights' origin): ``folder /path`` or ``facebook/wav2vec2-base (Hugging Face Hub, revision 1a2b3c4d5e6f)``."""

    folder: Path
    origin: str


class WeightsUnavailable(Wav2Vec2Error):
    """No weights to load: a Hub model not in the cache while the Hub cannot be reached, or not on the Hub at all."""


def resolve_model(name_or_folder: str | os.PathLike | None = None, *, endpoint: str | None = None,
                  cache_dir: str | Path | None = None) -> ModelSource:
    """Where the weights are: ``name_or_folder``, else ``$MGC_WAV2VEC2``, else :data:`DEFAULT_MODEL`.

    An existing folder is used as it is (:func:`load` checks what it holds). Anything else must be a Hub id
    (``owner/name``): its :data:`HUB_FILES` come from the ``huggingface_hub`` cache (``cache_dir``, default its own)
    without the network when the cache holds them, else are downloaded into it from ``endpoint`` (default the
    Hub), giving up on an unanswered request after :data:`HUB_TIMEOUT_SECONDS`. Raises :class:`WeightsUnavailable`
    (one line: what is missing and what to do) when they cannot be had, :class:`Wav2Vec2Error` for a name that is
    neither a folder nor a Hub id.
    """
    given = name_or_folder or os.environ.get(MODEL_ENVIRONMENT) or DEFAULT_MODEL
    named = "" if name_or_folder else f" (from ${MODEL_ENVIRONMENT})" if os.environ.get(MODEL_ENVIRONMENT) else " (the default)"
    path = Path(given).expanduser()
    if path.is_dir():
        return ModelSource(path, f"folder {path}")
    if path.exists() or not HUB_ID.fullmatch(str(given)):
        raise Wav2Vec2Error(f"{given}{named} is neither a model folder nor a Hugging Face Hub id (owner/name); give a folder "
                            f"with {CONFIG_FILE} and {WEIGHTS_FILE}, or a Hub id such as {DEFAULT_MODEL}")
    return _from_hub(str(given), named, endpoint, cache_dir)


def _from_hub(repo: str, named: str, endpoint: str | None, cache_dir: str | Path | None) -> ModelSource:
    try:
        from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url
        from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, LocalEntryNotFoundError, RepositoryNotFoundError
    except ImportError:
        raise WeightsUnavailable(f"no wav2vec2 weights: {repo}{named} is a Hub id and huggingface_hub is not installed; "
                                 f"install it ({HUB_HINT}) or give a model folder") from None

    def cached(filename: str) -> Path | None:
        try:
            return Path(hf_hub_download(repo, filename, local_files_only=True, cache_dir=cache_dir))
        except EntryNotFoundError:  # LocalEntryNotFoundError is one: not in the cache
            return None

    def unavailable(filename: str, error: Exception) -> WeightsUnavailable:
        if isinstance(error, RepositoryNotFoundError):
            return WeightsUnavailable(f"no wav2vec2 weights: the Hugging Face Hub has no model {repo}{named} (or it "
                                      "needs a login); check the name")
        if isinstance(error, EntryNotFoundError) and not isinstance(error, LocalEntryNotFoundError):
            return WeightsUnavailable(f"no wav2vec2 weights: {repo} on the Hub has no {filename} (the port reads "
                                      f"{' and '.join(HUB_FILES)}); give a model folder instead")
        reason = " ".join(str(error).split()) or type(error).__name__
        where = "the Hub cannot be reached" if not isinstance(error, HfHubHTTPError) else "the Hub refused"
        return WeightsUnavailable(f"no wav2vec2 weights: {repo}{named} is not in the huggingface_hub cache and {where} "
                                  f"({reason[:200]}); connect once to download it, or give a model folder "
                                  f"(--model DIR or ${MODEL_ENVIRONMENT})")

    paths = [cached(filename) for filename in HUB_FILES]  # the cache first: later runs need no network
    if None in paths:
        try:  # one request without huggingface_hub's retries (about 25 s of backoff offline) says whether to go on
            get_hf_file_metadata(hf_hub_url(repo, CONFIG_FILE, endpoint=endpoint), timeout=HUB_TIMEOUT_SECONDS)
        except Exception as error:  # network errors come from the HTTP client beneath huggingface_hub
            raise unavailable(CONFIG_FILE, error) from None
        paths = []
        for filename in (*HUB_FILES, PREPROCESSOR_FILE):
            try:
                paths.append(Path(hf_hub_download(repo, filename, endpoint=endpoint, cache_dir=cache_dir,
                                                  etag_timeout=HUB_TIMEOUT_SECONDS)))
            except EntryNotFoundError as error:
                if filename in HUB_FILES or isinstance(error, LocalEntryNotFoundError):
                    raise unavailable(filename, error) from None
            except (HfHubHTTPError, OSError) as error:  # other HTTP errors, a full disk, a cache that cannot be written
                raise unavailable(filename, error) from None
    folder = paths[0].parent  # snapshots/<commit>/
    if any(path.parent != folder for path in paths):
        raise WeightsUnavailable(f"{repo}: the huggingface_hub cache holds {' and '.join(HUB_FILES)} of different "
                                 f"revisions ({', '.join(str(p) for p in paths)}); delete that model from the cache and "
                                 "download it again")
    return ModelSource(folder, f"{repo} (Hugging Face Hub, revision {folder.name[:12]})")


# ---------------------------------------------------------------------------- running it

def outputs(model, input_values: np.ndarray) -> dict[str, np.ndarray]:
    """Every output of ``model`` for a batch ``(clips, samples)`` of equal-length input values, in inference mode."""
    found = model(np.asarray(input_values, dtype=np.float32), training=False)
    return {name: np.asarray(value) for name, value in found.items()}


def layer_model(encoder: Encoder, layer: int):
    """A model from ``input_values`` to hidden state ``layer`` alone (0: the encoder input after the positional
    embedding; ``n``: layer ``n``'s output, as ``transformers``' ``hidden_states[n]``), without the layers above it."""
    import keras

    if not 0 <= layer <= encoder.config.num_hidden_layers:
        raise ValueError(f"layer {layer} does not exist: the model has hidden states 0 to {encoder.config.num_hidden_layers}")
    return keras.Model(encoder.model.input, encoder.model.get_layer(f"hidden_states.{layer}").output)


def pooled(model, input_values: np.ndarray, max_seconds: float = MAX_SECONDS) -> np.ndarray:
    """The mean over time of ``model``'s output (from :func:`layer_model`) for one clip's input values.

    A clip longer than ``max_seconds`` goes through in equal parts of at most that length (attention's memory grows
    with the square of the length), and the frames of every part are averaged together.
    """
    parts = np.array_split(input_values, max(1, math.ceil(len(input_values) / (max_seconds * SAMPLE_RATE))))
    frames = [np.asarray(model(part[None].astype(np.float32), training=False))[0] for part in parts]
    return np.concatenate(frames).mean(axis=0).astype(np.float32)


def compare(encoder: Encoder, expected: Mapping[str, np.ndarray]) -> dict[str, float]:
    """Largest absolute difference between the port's outputs for ``expected["input_values"]`` and each other array of
    ``expected`` (``transformers``' ``extract_features``, ``hidden_states`` stacked, ``last_hidden_state``); an empty
    array (HuBERT's ``extract_features``) is skipped, a shape that differs counts as infinite."""
    found = outputs(encoder.model, np.asarray(expected["input_values"]).reshape(1, -1))
    ours = {name: value for name, value in found.items() if not name.startswith("hidden_states.")}
    ours["hidden_states"] = np.stack([found[f"hidden_states.{i}"] for i in range(encoder.config.num_hidden_layers + 1)])
    differences = {}
    for name, theirs in expected.items():
        if name == "input_values" or np.size(theirs) == 0:
            continue
        if name not in ours:
            raise Wav2Vec2Error(f"{EXPECTED_FILE} holds {name!r}, which the port does not output for {encoder.config.model_type} "
                                f"(it gives {', '.join(sorted(ours))})")
        same_shape = ours[name].shape == np.shape(theirs)
        differences[name] = float(np.abs(ours[name] - theirs).max()) if same_shape else math.inf
    return differences


# ---------------------------------------------------------------------------- command line

def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.models.wav2vec2",
                                     description="wav2vec 2.0 / HuBERT encoders ported to Keras 3.")
    commands = parser.add_subparsers(dest="command", required=True)
    sub = commands.add_parser("compare", help="the port vs transformers' outputs stored in MODEL_DIR/expected.npz")
    sub.add_argument("model_dir", type=Path, help=f"a folder with {CONFIG_FILE}, {WEIGHTS_FILE} and {EXPECTED_FILE}")
    sub = commands.add_parser("embed", help="one embedding per clip: a hidden state averaged over time")
    sub.add_argument("paths", type=Path, nargs="+",
                     help="audio files or folders; each file's ID is its path relative to the deepest folder holding "
                          "every path given, without the extension unless two files would then share an ID")
    sub.add_argument("--model", metavar="DIR|HUB_ID",
                     help=f"a model folder ({CONFIG_FILE}, {WEIGHTS_FILE}) or a Hugging Face Hub id, downloaded once into "
                          f"huggingface_hub's cache (default: ${MODEL_ENVIRONMENT}, else {DEFAULT_MODEL})")
    sub.add_argument("--layer", type=int, metavar="N",
                     help="hidden state to pool, as transformers' hidden_states[N]: 0 is the encoder input after the "
                          "positional embedding, N is layer N's output (default: the last layer)")
    sub.add_argument("--out", type=Path, required=True, help="the .npz to write")
    cli.add_overwrite(sub)
    args = parser.parse_args(argv)
    try:
        if args.command == "compare":
            return _compare_command(args.model_dir)
        return _embed_command(args.paths, args.model, args.layer, args.out, args.overwrite)
    except Wav2Vec2Error as error:
        raise cli.UserError(str(error)) from None


def _compare_command(folder: Path) -> int:
    path = folder / EXPECTED_FILE
    if not folder.is_dir():
        raise cli.UserError(f"{folder} is not a folder; give a model folder with {CONFIG_FILE}, {WEIGHTS_FILE} and {EXPECTED_FILE}")
    if not path.is_file():
        raise cli.UserError(f"{path} not found: compare needs transformers' outputs for that model (input_values and "
                            "the arrays to compare) beside its weights")
    try:
        with np.load(path) as stored:
            expected = {name: stored[name] for name in stored.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise cli.UserError(f"{path} is not a NumPy .npz archive ({error})") from None
    if "input_values" not in expected:
        raise cli.UserError(f"{path} holds no input_values array: nothing to run the port on")
    encoder = load(folder)
    _describe(encoder)
    differences = compare(encoder, expected)
    if not differences:
        raise cli.UserError(f"{path} holds nothing to compare besides input_values")
    for name, difference in differences.items():
        verdict = "ok" if difference <= PARITY_TOLERANCE else f"ABOVE {PARITY_TOLERANCE:g}"
        shown = "shapes differ" if math.isinf(difference) else f"{difference:.2e}"
        print(f"{name:<18} largest absolute difference {shown}  {verdict}")
    return 0 if max(differences.values()) <= PARITY_TOLERANCE else 1


def _describe(encoder: Encoder) -> None:
    config = encoder.config
    print(f"{encoder.folder}: {config.model_type}, {config.layout}, {config.num_hidden_layers} layers, hidden size "
          f"{config.hidden_size}")
    if encoder.ignored:
        print(f"pretraining-only tensors left out: {_listing(encoder.ignored)}")
    if config.not_applied:
        print(f"training-only settings not built: {', '.join(config.not_applied)}")


def _embed_command(paths: Sequence[Path], model: str | None, layer: int | None, out: Path, overwrite: bool = False) -> int:
    from .pretrained import file_ids

    if out.suffix != ".npz":
        raise cli.UserError(f"--out {out}: give a .npz file name")
    cli.check_output(out, example="embed.npz", replaces=cli.npz_with("X", "IDS"), holds="an embed archive (arrays X and IDS)",
                     overwrite=overwrite)
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise cli.UserError(f"no such file or folder: {', '.join(missing)}")
    found, skipped = audio.find_audio_files(paths)
    files = list(dict.fromkeys(Path(os.path.abspath(f)) for f in found))  # abspath: ".." resolved, links kept
    for path, reason in skipped:
        print(f"skipped: {path}: {reason}", file=sys.stderr)
    if not files:
        raise cli.UserError(f"no audio files ({', '.join(audio.SUPPORTED_EXTENSIONS)}) among the given paths")
    source = resolve_model(model)
    config = read_config(source.folder)  # --layer is checked before the weights are read
    layer = config.num_hidden_layers if layer is None else layer
    if not 0 <= layer <= config.num_hidden_layers:
        raise cli.UserError(f"--layer {layer}: {source.origin} has hidden states 0 to {config.num_hidden_layers}; "
                            "give one of them")
    normalise, why = normalises_input(source.folder)
    encoder = load(source.folder)
    _describe(encoder)
    layer_output = layer_model(encoder, layer)
    rows, ids = [], []
    for path, file_id in zip(files, file_ids(files, paths)):
        try:
            samples, _ = audio.load(path, sr=SAMPLE_RATE)
        except audio.AudioError as error:
            print(f"skipped: {error}", file=sys.stderr)
            continue
        if config.frames(len(samples)) < 1:
            print(f"skipped: {path}: {len(samples) / SAMPLE_RATE * 1000:.0f} ms is too short for one feature frame",
                  file=sys.stderr)
            continue
        rows.append(pooled(layer_output, zero_mean_unit_variance(samples) if normalise else samples))
        ids.append(file_id)
    if not rows:
        raise cli.UserError("none of the given files could be read; nothing written")
    cache.write_arrays(out, X=np.stack(rows), IDS=np.array(ids))
    print(f"wrote {out}: {len(rows)} rows from {len(rows)} files, hidden state {layer} of {source.origin} "
          f"({'normalised' if normalise else 'raw'} input: {why})")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
