"""Transfer-learning networks on spectrograms, built from parameters: ImageNet bases, networks trained from scratch,
and the music-pretrained VGG as their offline counterpart; where each one's weights come from, said honestly.

Networks (``NETWORKS``), each topped with the main seed's head (flatten, dense 128, dropout 0.5,
softmax):

* ``vgg16``, ``resnet50``: ``keras.applications`` bases with ImageNet weights when they are
  available (:func:`resolve_weights`), else from random initialisation, labelled ``-random-init``;
* ``resnet18``, ``alexnet``: built here from parameters; Keras publishes no ImageNet weights
  for them, so they are always trained from scratch (labelled ``-scratch``);
* ``msd-vgg``, ``mtt-vgg``: musicnn's VGG-like networks (``helpers.models.pretrained_port``) pretrained
  on music tags, on 3-s log-mel windows; available offline because their checkpoints ship in
  the ``musicnn`` wheel.

Recipes (``RECIPES``): ``frozen`` (the base's weights fixed, only the head trains: the base's
features are computed once per image and cached, :func:`base_features`), ``last-block`` (the
last convolution block and the head train; the ``paper`` profile's last-layer variants) and
``fine-tune`` (every weight at a low learning rate). Batch normalisation stays in inference
mode whenever pretrained weights are trained (a few hundred clips cannot re-estimate its
statistics). Grayscale inputs in [0, 1] are repeated to three channels and scaled the way
each ImageNet base expects (Caffe style: 0-255, ImageNet channel means subtracted; for a
grey image the BGR channel swap changes nothing).

Weights (:func:`resolve_weights`), first found wins: a file named by the ``weights``
argument, a file named by ``$MGC_VGG16_WEIGHTS`` / ``$MGC_RESNET50_WEIGHTS``, Keras' own cache
(``$KERAS_HOME/models`` or ``~/.keras/models``), a download into that cache when the weights'
host answers within seconds; else random initialisation, said in one line.

Why this module is long: the weights' sources, the three ImageNet-style architectures built
from parameters and the music counterpart share one head, one preprocessing and one set of
recipes; split apart, each would restate them.
"""

from __future__ import annotations

import functools
import hashlib
import os
import socket
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import cli
from ..data import cache
from ..runtime import display_path, quiet_tensorflow
from ..runtime import progress as progress_bar

IMAGENET_NETWORKS: tuple[str, ...] = ("vgg16", "resnet50")
SCRATCH_NETWORKS: tuple[str, ...] = ("resnet18", "alexnet")
MUSIC_NETWORKS: tuple[str, ...] = ("msd-vgg", "mtt-vgg")
NETWORKS: tuple[str, ...] = IMAGENET_NETWORKS + SCRATCH_NETWORKS + MUSIC_NETWORKS
RECIPES: tuple[str, ...] = ("frozen", "last-block", "fine-tune")
WEIGHT_KINDS: tuple[str, ...] = ("imagenet", "random-init", "scratch", "msd", "mtt")

# Keras' notop ImageNet files: (keras.applications class, file name, URL, MD5 that keras checks).
_KERAS_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"
KERAS_WEIGHTS: dict[str, tuple[str, str, str, str]] = {
    "vgg16": ("VGG16", "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5",
              _KERAS_BASE + "vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5", "6d6bbae143d832006294945121d1f1fc"),
    "resnet50": ("ResNet50", "resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5",
                 _KERAS_BASE + "resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5", "4d473c1dd8becc155b73f8504c6f6626"),
}
WEIGHTS_HOST = ("storage.googleapis.com", 443)
PROBE_SECONDS = 3.0  # an offline machine answers "no" within this, never a long network hang
IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)  # Caffe-style preprocessing of VGG16 and ResNet50
# The last convolution block per base: trained by the ``last-block`` recipe.
LAST_BLOCK = {"vgg16": "block5_", "resnet50": "conv5_", "resnet18": "stage4_", "alexnet": "conv5",
              "msd-vgg": "5CNN", "mtt-vgg": "5CNN"}

# The seed's head and the learning rate of each recipe (Adam). Fine-tuning pretrained weights takes
# a rate a hundred times lower than training a head, so that the first steps do not wreck them.
HEAD: dict[str, Any] = dict(dense_units=128, dropout=0.5)
# A deep network trained from random weights gets 1e-4: VGG16 has no batch normalisation, and at 1e-3 it does not
# leave the majority class on a few hundred clips.
LEARNING_RATES: dict[str, float] = {"frozen": 1e-3, "last-block": 1e-4, "fine-tune": 1e-5, "scratch": 1e-4}
# ResNet18 (He et al. 2016): two basic blocks per stage; AlexNet (Krizhevsky et al. 2012) with batch
# normalisation where the original had local response normalisation.
# ``bn_momentum`` 0.9 is PyTorch's default (its momentum 0.1), what torchvision's ResNet18 trains with.
# Keras' default 0.99 leaves the moving statistics near their initial values after the few hundred
# steps a few hundred clips give: training accuracy climbs while inference predicts one class.
RESNET18: dict[str, Any] = dict(blocks=(2, 2, 2, 2), filters=(64, 128, 256, 512), bn_momentum=0.9)
ALEXNET: dict[str, Any] = dict(filters=(96, 256, 384, 384, 256), kernels=(11, 5, 3, 3, 3), first_stride=4,
                               dense=(4096, 4096), dense_dropout=0.5, bn_momentum=0.9)


class WeightsError(cli.UserError, ValueError):
    """A weights file that is missing or does not fit, or weights asked of a network that has none."""


def _check_network(name: str) -> None:
    if name not in NETWORKS:
        raise ValueError(f"unknown transfer network {name!r}; valid: {', '.join(NETWORKS)}")


@dataclass(frozen=True)
class WeightSource:
    """Where one network's starting weights come from."""

    network: str
    kind: str  # one of WEIGHT_KINDS
    path: str | None  # a local weights file, or None (random initialisation; a music checkpoint finds its own)
    origin: str  # for the reader: which file, variable or cache, or why none was available

    @property
    def label(self) -> str:
        """``vgg16-imagenet``, ``vgg16-random-init``, ``alexnet-scratch``, ``msd-vgg``: what every output is called."""
        return self.network if self.network in MUSIC_NETWORKS else f"{self.network}-{self.kind}"

    @property
    def pretrained(self) -> bool:
        """Whether the base starts from learned weights (only then is a run transfer learning)."""
        return self.kind in ("imagenet", "msd", "mtt")


def keras_cache_file(network: str) -> Path:
    """Where Keras keeps (or would download) ``network``'s notop ImageNet weights."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "models" / KERAS_WEIGHTS[network][1]


def weights_variable(network: str) -> str:
    return f"MGC_{network.upper()}_WEIGHTS"


def host_reachable(host: tuple[str, int] = WEIGHTS_HOST, seconds: float = PROBE_SECONDS) -> bool:
    """Whether ``host`` accepts a connection within ``seconds`` (name lookup included, which sockets cannot time out)."""
    answer: list[bool] = []

    def probe() -> None:
        try:
            socket.create_connection(host, timeout=seconds).close()
            answer.append(True)
        except OSError:
            answer.append(False)

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(seconds)
    return bool(answer and answer[0])


def _download(network: str) -> Path:
    quiet_tensorflow()
    import keras

    _, name, url, md5 = KERAS_WEIGHTS[network]
    return Path(keras.utils.get_file(name, url, cache_subdir="models", file_hash=md5))


def resolve_weights(network: str, weights: str | os.PathLike | None = None, *, online: bool | None = None) -> WeightSource:
    """The starting weights of ``network`` (see the module docstring for the order tried).

    ``weights``: a weights file (``.h5`` or ``.weights.h5``), or ``"random"`` to ask for random
    initialisation. ``online``: whether to try a download (``None``: probe the host, at most
    :data:`PROBE_SECONDS`). A named file that does not exist is an error, never a silent fallback.
    """
    _check_network(network)
    if network in MUSIC_NETWORKS:
        if weights is not None:
            raise WeightsError(f"{network} loads its own checkpoint from the musicnn wheel; it takes no weights file")
        return WeightSource(network, network.split("-")[0], None, "the musicnn wheel's checkpoint (helpers.models.pretrained_port)")
    if network in SCRATCH_NETWORKS:
        if weights is not None and str(weights) != "random":
            raise WeightsError(f"{network} has no published Keras ImageNet weights; it is trained from scratch "
                               f"(networks with ImageNet weights: {', '.join(IMAGENET_NETWORKS)})")
        return WeightSource(network, "scratch", None, "no published Keras ImageNet weights: trained from scratch")
    if str(weights) == "random":
        return WeightSource(network, "random-init", None, "random initialisation, as asked")
    for path, origin in ((weights, "the weights argument"), (os.environ.get(weights_variable(network)) or None,
                                                             f"${weights_variable(network)}")):
        if path is not None:
            _check_weights_file(network, Path(path), f"from {origin}", "name a Keras notop weights file, or unset it to "
                                "use Keras' cache or a download")
            return WeightSource(network, "imagenet", str(path), f"{path} (from {origin})")
    cached = keras_cache_file(network)
    shown = display_path(cached)  # "~/.keras/...": a rendered notebook never shows this machine's home folder
    if cached.is_file():
        _check_weights_file(network, cached, "in Keras' cache", "delete it: the next online run downloads it again",
                            md5=KERAS_WEIGHTS[network][3])
        return WeightSource(network, "imagenet", str(cached), f"Keras' cache ({cached})")
    tried = online is not False
    if online is None:
        online = host_reachable()
    if online:
        try:
            return WeightSource(network, "imagenet", str(_download(network)), f"downloaded into Keras' cache ({shown})")
        except Exception as error:  # noqa: BLE001 (any download failure means: no weights; said below)
            reason = f"the download failed ({type(error).__name__}: {error})"
    elif tried:
        reason = f"{WEIGHTS_HOST[0]} is unreachable (offline)"
    else:
        reason = "no download tried"
    return WeightSource(network, "random-init", None,
                        f"no ImageNet weights: {reason}, none in Keras' cache ({shown}) and ${weights_variable(network)} "
                        "unset: trained from random initialisation")


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
# The weight values of each notop ImageNet base (every variable, batch-norm statistics included): as many as a file
# of its weights holds, in Keras' own .h5 layout and in Keras 3's .weights.h5 alike.
NOTOP_WEIGHT_VALUES: dict[str, int] = {"vgg16": 14_714_688, "resnet50": 23_587_712}


def _weight_values(path: Path) -> int:
    """The number of values in the HDF5 file's datasets, read from their shapes (no data is loaded)."""
    import h5py

    total = 0

    def add(_, item) -> None:
        nonlocal total
        if isinstance(item, h5py.Dataset):
            total += item.size

    with h5py.File(path, "r") as weights:
        weights.visititems(add)
    return total


def _check_weights_file(network: str, path: Path, where: str, advice: str, md5: str | None = None) -> None:
    """A weights file that exists, is HDF5 (Keras' ``.h5`` and ``.weights.h5``) with as many weight values as the
    network's notop base and, for Keras' own download, has its published MD5; anything else is a
    :class:`WeightsError` before any run is labelled ImageNet."""
    if not path.is_file():
        problem = "is a folder, not a file" if path.is_dir() else "does not exist"
        raise WeightsError(f"{network} weights file {path} ({where}) {problem}; {advice}")
    with open(path, "rb") as handle:
        if handle.read(8) != _HDF5_SIGNATURE:
            raise WeightsError(f"{network} weights file {path} ({where}) is not an HDF5 weights file; {advice}")
    try:
        values = _weight_values(path)
    except OSError as error:  # h5py's word for a damaged or truncated file
        raise WeightsError(f"{network} weights file {path} ({where}) is not a readable HDF5 file ({error}); {advice}") from None
    if values != NOTOP_WEIGHT_VALUES[network]:
        raise WeightsError(f"{network} weights file {path} ({where}) does not hold {network}'s notop weights: it has "
                           f"{values:,} weight values, the network {NOTOP_WEIGHT_VALUES[network]:,}; {advice}")
    if md5 is not None and hashlib.md5(path.read_bytes()).hexdigest() != md5:
        raise WeightsError(f"{network} weights file {path} ({where}) is damaged (its MD5 is not Keras' {md5}); {advice}")


def weights_line(sources: Sequence[WeightSource]) -> str:
    """One line naming the ImageNet weights that were unavailable (or that all were found)."""
    missing = [s.network for s in sources if s.kind == "random-init"]
    if not missing:
        return "ImageNet weights: " + ", ".join(f"{s.network} from {s.origin}" for s in sources if s.kind == "imagenet") \
            if any(s.kind == "imagenet" for s in sources) else "no ImageNet network in this run"
    return (f"ImageNet weights unavailable for {', '.join(missing)}: trained from random initialisation and labelled "
            "'-random-init' (never called transfer learning). To use them: run once with internet, or set "
            + ", ".join(f"${weights_variable(n)}" for n in missing) + " to the Keras notop file.")


# ----------------------------------------------------------------------------- architectures

def _resnet18(keras, x, p: dict):
    layers = keras.layers
    norm = functools.partial(layers.BatchNormalization, momentum=p["bn_momentum"])
    x = layers.Conv2D(64, 7, strides=2, padding="same", use_bias=False, name="stem_conv")(x)
    x = norm(name="stem_bn")(x)
    x = layers.Activation("relu")(x)
    x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
    for stage, (blocks, filters) in enumerate(zip(p["blocks"], p["filters"]), start=1):
        for block in range(blocks):
            stride = 2 if block == 0 and stage > 1 else 1
            name = f"stage{stage}_block{block + 1}"
            shortcut = x
            y = layers.Conv2D(filters, 3, strides=stride, padding="same", use_bias=False, name=f"{name}_conv1")(x)
            y = layers.Activation("relu")(norm(name=f"{name}_bn1")(y))
            y = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"{name}_conv2")(y)
            y = norm(name=f"{name}_bn2")(y)
            if stride != 1 or shortcut.shape[-1] != filters:
                shortcut = layers.Conv2D(filters, 1, strides=stride, use_bias=False, name=f"{name}_proj")(shortcut)
                shortcut = norm(name=f"{name}_proj_bn")(shortcut)
            x = layers.Activation("relu")(layers.Add()([y, shortcut]))
    return x


def _alexnet(keras, x, p: dict):
    layers = keras.layers
    for i, (filters, kernel) in enumerate(zip(p["filters"], p["kernels"]), start=1):
        x = layers.Conv2D(filters, kernel, strides=p["first_stride"] if i == 1 else 1, padding="same",
                          activation="relu", name=f"conv{i}")(x)
        if i in (1, 2, 5):
            x = layers.BatchNormalization(momentum=p["bn_momentum"], name=f"conv{i}_bn")(x)
            x = layers.MaxPooling2D(3, strides=2, padding="same", name=f"pool{i}")(x)
    x = layers.Flatten()(x)
    for i, units in enumerate(p["dense"], start=1):
        x = layers.Dropout(p["dense_dropout"])(layers.Dense(units, activation="relu", name=f"fc{i}")(x))
    return x


def _image_input(keras, input_shape: tuple[int, ...], caffe: bool):
    """The network's input in [0, 1] (1 or 3 channels) and the tensor its base takes (3 channels, scaled)."""
    inputs = keras.Input(input_shape, name="mel_image")
    x = inputs if input_shape[-1] == 3 else keras.layers.Concatenate(name="grey_to_rgb")([inputs] * 3)
    if caffe:
        x = keras.layers.Rescaling(255.0, name="to_0_255")(x)
        x = keras.layers.Normalization(mean=IMAGENET_BGR_MEAN, variance=(1.0, 1.0, 1.0), name="imagenet_mean")(x)
    return inputs, x


def base_model(name: str, input_shape: tuple[int, ...], weights: str | None = None, seed: int | None = None):
    """The base of ``name`` as a Keras model from its input (``(h, w, 1|3)`` in [0, 1], or musicnn's ``(187, 96)``
    windows) to its flattened last feature map. ``weights``: a local file for an ImageNet base (None: random,
    drawn from ``seed`` when given, so that the same seed gives the same random base)."""
    _check_network(name)
    quiet_tensorflow()
    import keras

    if seed is not None:
        keras.utils.set_random_seed(seed)

    if name in MUSIC_NETWORKS:
        from .pretrained_port import build

        port = build(name)
        return keras.Model(port.input, port.get_layer("pool5").output, name=f"{name}-base")
    if name in IMAGENET_NETWORKS:
        if min(input_shape[:2]) < 32:
            raise ValueError(f"{name} needs images of at least 32 x 32, got {input_shape[:2]}")
        inputs, x = _image_input(keras, input_shape, caffe=True)
        application = getattr(keras.applications, KERAS_WEIGHTS[name][0])
        base = application(include_top=False, weights=None, input_shape=(*input_shape[:2], 3))
        if weights is not None:
            try:
                base.load_weights(weights)
            except Exception as error:  # noqa: BLE001 (h5py and Keras raise many kinds for a file that does not fit)
                raise WeightsError(f"{weights} does not hold {name}'s notop weights ({type(error).__name__}: {error})") from error
        x = base(x)
    else:
        inputs, x = _image_input(keras, input_shape, caffe=False)
        x = (_resnet18 if name == "resnet18" else _alexnet)(keras, x, RESNET18 if name == "resnet18" else ALEXNET)
    return keras.Model(inputs, keras.layers.Flatten(name="features")(x), name=f"{name}-base")


def _set_trainable(keras, base, name: str, recipe: str, pretrained: bool) -> None:
    base.trainable = recipe != "frozen"
    if recipe == "last-block":
        prefix = LAST_BLOCK[name]
        for layer in _all_layers(base):
            layer.trainable = layer.name.startswith(prefix)
    if pretrained:
        for layer in _all_layers(base):
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False  # inference mode: keep the pretrained statistics


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):
            yield from _all_layers(layer)


def transfer_defaults(name: str) -> dict[str, Any]:
    """The parameters :func:`build` takes for ``name`` and their defaults (the seed's head; a from-scratch recipe)."""
    _check_network(name)
    return dict(weights=None, weights_kind="scratch" if name in SCRATCH_NETWORKS else "random-init",
                recipe="fine-tune", learning_rate=None, head_weights=None, **HEAD)


def build(name: str, input_shape: tuple[int, ...], n_classes: int, *, seed: int = 42, weights: str | None = None,
          weights_kind: str = "random-init", recipe: str = "fine-tune", learning_rate: float | None = None,
          head_weights: str | None = None, dense_units: int = 128, dropout: float = 0.5):
    """A compiled classifier: the base of ``name`` (:func:`base_model`) and the seed's head, trained per ``recipe``.

    ``weights_kind`` says what ``weights`` holds (``imagenet`` for a file of ImageNet weights); a
    base without learned weights under ``frozen`` is a random-feature baseline, never transfer
    learning. ``learning_rate`` None: the recipe's (``LEARNING_RATES``; ``scratch`` for a base
    trained from random weights). ``head_weights``: an ``.npz`` of a head already trained on this base's
    frozen features (:func:`save_head`): fine-tuning then starts from it, as Keras' transfer-learning guide
    does, instead of from a random head that a low learning rate would barely move.
    """
    if recipe not in RECIPES:
        raise ValueError(f"unknown recipe {recipe!r}; valid: {', '.join(RECIPES)}")
    if weights_kind not in WEIGHT_KINDS:
        raise ValueError(f"unknown weights kind {weights_kind!r}; valid: {', '.join(WEIGHT_KINDS)}")
    if (weights is not None) != (weights_kind == "imagenet"):
        raise ValueError(f"weights {weights!r} do not match weights_kind {weights_kind!r}: a weights file is ImageNet's "
                         "(weights_kind 'imagenet'), and 'imagenet' needs the file (see resolve_weights)")
    quiet_tensorflow()
    import keras

    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    pretrained = weights_kind in ("imagenet", "msd", "mtt")
    base = base_model(name, input_shape, weights)
    _set_trainable(keras, base, name, recipe, pretrained)
    x = keras.layers.Dense(dense_units, activation="relu", name="head_dense")(base.output)
    x = keras.layers.Dropout(dropout, name="head_dropout")(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="genre")(x)
    model = keras.Model(base.input, outputs, name=f"{name}-{recipe}")
    if head_weights is not None:
        with np.load(head_weights) as head:
            model.get_layer("head_dense").set_weights([head["dense_kernel"], head["dense_bias"]])
            model.get_layer("genre").set_weights([head["genre_kernel"], head["genre_bias"]])
    rate = learning_rate or (LEARNING_RATES[recipe] if pretrained or recipe == "frozen" else LEARNING_RATES["scratch"])
    model.compile(optimizer=keras.optimizers.Adam(rate), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def save_head(head_model, path: str | os.PathLike) -> str:
    """The two dense layers of a ``dense-head`` model (``zoo.spectrogram_model("dense-head")``, trained on
    frozen base features) as an ``.npz`` that :func:`build` starts a fine-tuning from."""
    dense = [layer for layer in head_model.layers if layer.__class__.__name__ == "Dense"]
    if len(dense) != 2:
        raise ValueError(f"a head has two dense layers, this model has {len(dense)}")
    (dense_kernel, dense_bias), (genre_kernel, genre_bias) = (layer.get_weights() for layer in dense)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    cache.write_arrays(path, dense_kernel=dense_kernel, dense_bias=dense_bias, genre_kernel=genre_kernel, genre_bias=genre_bias)
    return str(path)


# ----------------------------------------------------------------------------- frozen-base features

def _array_digest(X: np.ndarray) -> str:
    digest = hashlib.blake2b(digest_size=16)
    digest.update(str((X.shape, X.dtype.str)).encode())
    digest.update(np.ascontiguousarray(X).tobytes())
    return digest.hexdigest()


def base_features(source: WeightSource, X: np.ndarray, *, seed: int = 42, cache_dir: str | os.PathLike | None = None,
                  batch_size: int = 32, progress: bool = True, base=None) -> np.ndarray:
    """The flattened last feature map of ``source``'s base for every input of ``X`` (computed once, cached under
    ``cache_dir`` keyed by the inputs' content, the network, its weights file and, for a random base, ``seed``).
    A base without weights is drawn from ``seed``: the same seed, the same random features. ``base``: a base
    already built (:func:`base_model`) to reuse, e.g. for many small batches."""
    X = np.asarray(X, np.float32)
    entry = None
    if cache_dir is not None:
        files = [source.path] if source.path else []
        key = cache.key("base-features", source.network, source.kind, _array_digest(X), None if source.pretrained else seed,
                        files=files, libraries=("keras", "tensorflow"))
        entry = cache.entry("base-features", key, ".npz", root=cache_dir)
        stored = cache.read_arrays(entry, ["F"])
        if stored is not None and len(stored["F"]) == len(X):
            return stored["F"]
        if stored is not None:
            cache.discard(entry, f"it holds {len(stored['F'])} rows, not {len(X)}")
    base = base or base_model(source.network, tuple(X.shape[1:]), source.path, seed=None if source.pretrained else seed)
    steps = range(0, len(X), batch_size)
    parts = [np.asarray(base.predict_on_batch(X[i:i + batch_size]), np.float32)
             for i in progress_bar(steps, desc=f"{source.label} features", unit="batch", disable=not progress)]
    F = np.concatenate(parts) if parts else np.zeros((0, int(base.output.shape[-1])), np.float32)
    if entry is not None:
        cache.write_arrays(entry, F=F)
    return F


# ----------------------------------------------------------------------------- command line

def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m helpers.models.transfer_nets",
                                     description="Where each transfer network's starting weights come from.")
    sub = parser.add_subparsers(dest="command", required=True)
    for command, text in (("weights", "say where each network's weights would come from (never downloads)"),
                          ("fetch", "download the ImageNet weights into Keras' cache (needs internet), then say where")):
        p = sub.add_parser(command, help=text)
        p.add_argument("networks", nargs="*", metavar="NETWORK", help=f"networks (default: all): {', '.join(NETWORKS)}")
    args = parser.parse_args(argv)
    unknown = [n for n in args.networks if n not in NETWORKS]
    if unknown:
        raise cli.UserError(f"unknown network {', '.join(unknown)}; valid: {', '.join(NETWORKS)}")
    names = args.networks or (IMAGENET_NETWORKS if args.command == "fetch" else NETWORKS)
    if args.command == "fetch":
        others = [n for n in names if n not in IMAGENET_NETWORKS]
        if others:
            raise cli.UserError(f"{', '.join(others)} has no ImageNet weights to fetch; fetch: {', '.join(IMAGENET_NETWORKS)}")
    sources = [resolve_weights(name, online=None if args.command == "fetch" else False) for name in names]
    width = max(len(s.label) for s in sources)
    for s in sources:
        origin = s.origin
        if args.command == "weights" and s.kind == "random-init":
            origin = ("no ImageNet weights here (none named, none in Keras' cache); `weights` never downloads: a run "
                      "online downloads them, or run `python -m helpers.models.transfer_nets fetch`")
        print(f"{s.label:<{width}}  {'pretrained' if s.pretrained else 'no learned weights'}  {origin}")
    missing = [s.network for s in sources if s.kind == "random-init"]
    if args.command == "fetch" and missing:
        raise cli.UserError(f"could not fetch {', '.join(missing)}: see above; or set "
                            + ", ".join(f"${weights_variable(n)}" for n in missing) + " to a Keras notop file")
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(cli.run(main))
