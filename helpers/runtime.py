"""The bottom layer every module may import: folders, progress bars, library versions, a quiet TensorFlow.

It imports nothing from ``helpers``, which keeps the package free of import cycles
(``tests/test_project.py`` checks that no module imports a module that imports it back).
``import helpers`` calls :func:`install_quiet_tensorflow`, so TensorFlow stays quiet in
rendered notebooks whichever import loads it first (``helpers``, ``keras``, ``keras_tuner``).
"""

from __future__ import annotations

import contextlib
import functools
import importlib.abc
import logging
import os
import platform
import random
import sys
import warnings
from importlib import metadata
from pathlib import Path

# TensorFlow's C++ start-up logging (no-GPU notices, CPU instruction sets) drowns
# notebook outputs; Python errors still raise. Set TF_CPP_MIN_LOG_LEVEL=0 to see it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

REPO_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = Path(os.environ.get("MGC_DATA_DIR", REPO_ROOT / "data"))
CACHE_DIR = Path(os.environ.get("MGC_CACHE_DIR", DATA_DIR / "cache"))

# Packages whose versions are written into every results record and model sidecar.
VERSIONED_PACKAGES = ("numpy", "scipy", "pandas", "scikit-learn", "xgboost", "librosa", "soundfile", "soxr",
                      "tensorflow", "keras", "keras-tuner")


# Python-side TensorFlow messages that say nothing to a reader of a rendered notebook; matched by
# message, so every other warning still shows.
TENSORFLOW_NOISE = ("triggered tf.function retracing",)
KERAS_NOISE = (r"Do not pass an `input_shape`/`input_dim` argument to a layer",)


def library_versions(packages: tuple[str, ...] = VERSIONED_PACKAGES) -> dict[str, str]:
    """``{"python": ..., package: version}`` for the installed ``packages`` (missing ones left out)."""
    versions = {"python": platform.python_version()}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return versions


class _Discard:
    """A stream that keeps nothing (a batch bar's drawing surface)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@functools.cache
def _batch_bar_class():
    from tqdm import tqdm

    class BatchBar(tqdm):
        """tqdm that shows nothing while it runs and prints one summary line on stdout when it closes."""

        monitor_interval = 0  # no monitor thread forcing refreshes

        def display(self, msg=None, pos=None):  # nothing while running: close() says what was done
            return True

        def close(self):
            if not self.disable:
                found = self.format_dict
                total = f"/{found['total']}" if found["total"] else ""
                postfix = f" ({found['postfix']})" if found.get("postfix") else ""
                print(f"{found['prefix'] or 'done'}: {found['n']}{total} {found['unit']} in {found['elapsed']:.1f} s{postfix}",
                      flush=True)
            super().close()

    return BatchBar


def progress(iterable=None, **kwargs):
    """A text progress bar (tqdm). In batch runs (``$MGC_BATCH`` set by run_all.sh and
    run_tests.sh) nothing is drawn while it runs and one summary line goes to stdout when it
    closes (``desc: 200/200 clips in 3.1 s``), so a rendered notebook keeps a short record
    instead of a screenful of bars; interactive runs keep their bars."""
    from tqdm import tqdm

    kwargs.setdefault("dynamic_ncols", False)
    if not os.environ.get("MGC_BATCH"):
        return tqdm(iterable, **kwargs)
    kwargs["file"] = _Discard()  # nothing is drawn, not even tqdm's closing newline
    kwargs.setdefault("mininterval", 1.0)  # how often tqdm asks
    kwargs.setdefault("maxinterval", float("inf"))
    return _batch_bar_class()(iterable, **kwargs)


def _quiet_wanted() -> bool:
    """False when the user asked for TensorFlow's logging with ``TF_CPP_MIN_LOG_LEVEL=0``."""
    return os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3").strip() != "0"


@contextlib.contextmanager
def _stderr_silenced():
    """Point file descriptor 2 at /dev/null: C++ logging writes there directly, past Python."""
    for stream in (sys.stderr, sys.__stderr__):
        with contextlib.suppress(Exception):
            stream.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class _DropNoise(logging.Filter):
    """Drops log records whose message contains one of ``TENSORFLOW_NOISE``."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is not ours to judge
            return True
        return not any(noise in message for noise in TENSORFLOW_NOISE)


def _after_tensorflow_import() -> None:
    """Python-side logging: TensorFlow's logger (configured now, so that its first use in a
    notebook cannot reset it to INFO) and absl's at ERROR."""
    if not _quiet_wanted():
        return
    with contextlib.suppress(Exception):
        from tensorflow.python.platform import tf_logging

        tf_logging.get_logger().setLevel(logging.ERROR)
    with contextlib.suppress(Exception):
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)


class _QuietLoader(importlib.abc.Loader):
    """Runs the real loader of ``tensorflow`` with its start-up notices silenced."""

    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name: str):  # resource readers and the like: the real loader's
        if name == "loader":
            raise AttributeError(name)
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        module.__loader__ = self.loader  # TensorFlow sees its own loader
        if module.__spec__ is not None:
            module.__spec__.loader = self.loader
        with _stderr_silenced():
            self.loader.exec_module(module)
        _after_tensorflow_import()


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` as the other finders do and wraps its loader in :class:`_QuietLoader`."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "tensorflow" or not _quiet_wanted():
            return None
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            if finder is self or find is None:
                continue
            spec = find(fullname, path, target)
            if spec is not None:
                if spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = _QuietLoader(spec.loader)
                return spec
        return None


def install_quiet_tensorflow() -> None:
    """Keep TensorFlow's start-up notices, retracing warnings and Keras' ``input_shape`` advice out of
    notebook outputs, whoever imports TensorFlow. Called by ``import helpers``; idempotent.

    Sets ``TF_CPP_MIN_LOG_LEVEL=3`` unless set, silences file descriptor 2 while ``tensorflow``
    is imported (absl's pre-initialisation lines ignore the variable), sets TensorFlow's and absl's
    Python loggers to ERROR after that import, and filters the few known messages by their text.
    ``TF_CPP_MIN_LOG_LEVEL=0`` turns all of it off but the message filters.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    tf_logger = logging.getLogger("tensorflow")
    if not any(isinstance(f, _DropNoise) for f in tf_logger.filters):
        tf_logger.addFilter(_DropNoise())
    for message in KERAS_NOISE:
        warnings.filterwarnings("ignore", message=message, category=UserWarning)
    if not any(isinstance(finder, _QuietTensorFlowFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowFinder())
    if "tensorflow" in sys.modules:  # imported before helpers: the Python side can still be quietened
        _after_tensorflow_import()


def quiet_tensorflow() -> None:
    """Import TensorFlow once with its C++ start-up notices (CUDA probing, absl) silenced.

    They bypass ``TF_CPP_MIN_LOG_LEVEL`` and Python's logging and would fill notebook
    outputs; an import error still raises with its Python traceback.
    """
    install_quiet_tensorflow()
    if "tensorflow" in sys.modules:
        return
    import tensorflow  # noqa: F401  (through _QuietTensorFlowFinder)


def display_path(path: str | os.PathLike) -> str:
    """A path as readers should see it: relative to the repository when that is shorter, and
    ``$MGC_CACHE_DIR/...`` for a cache moved outside the repository, ``~/...`` for a file in the home
    folder (a machine's own folder means nothing in a rendered notebook)."""
    path = Path(path).resolve()
    cache = CACHE_DIR.resolve()
    if path.is_relative_to(cache) and not cache.is_relative_to(REPO_ROOT):
        return str(Path("$MGC_CACHE_DIR") / path.relative_to(cache))
    relative = os.path.relpath(path, REPO_ROOT)
    if len(relative) < len(str(path)):
        return relative
    home = Path.home().resolve()
    return str(Path("~") / path.relative_to(home)) if path.is_relative_to(home) else str(path)


DEFAULT_SEED = 42  # every seed of a run derives from it (config.setup, the notebooks' cfg.seed)


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python and NumPy (and Keras, when it is already imported).

    Here, not in ``config``, so that every layer can seed without importing the run's configuration."""
    random.seed(seed)
    import numpy as np  # lazily: runtime stays importable before NumPy loads

    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if "keras" in sys.modules:
        sys.modules["keras"].utils.set_random_seed(seed)
