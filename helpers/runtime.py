"""The bottom layer every module may import: folders, progress bars, library versions, a quiet TensorFlow.

It imports nothing from ``helpers``, which keeps the package free of import cycles
(``tests/test_project.py`` checks that no module imports a module that imports it back).
"""

from __future__ import annotations

import os
import platform
import sys
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


def library_versions(packages: tuple[str, ...] = VERSIONED_PACKAGES) -> dict[str, str]:
    """``{"python": ..., package: version}`` for the installed ``packages`` (missing ones left out)."""
    versions = {"python": platform.python_version()}
    for package in packages:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            pass
    return versions


def progress(iterable=None, **kwargs):
    """A text progress bar (tqdm). In batch runs (``$MGC_BATCH`` set by run_all.sh and
    run_tests.sh) it prints at most every 30 s, so rendered notebooks keep a few lines
    of progress instead of hundreds."""
    from tqdm import tqdm

    if os.environ.get("MGC_BATCH"):
        kwargs.setdefault("mininterval", 30.0)
        kwargs.setdefault("maxinterval", 60.0)
    kwargs.setdefault("dynamic_ncols", False)
    return tqdm(iterable, **kwargs)


def quiet_tensorflow() -> None:
    """Import TensorFlow once with its C++ start-up notices (CUDA probing, absl) silenced.

    They bypass ``TF_CPP_MIN_LOG_LEVEL`` and Python's logging and would fill notebook
    outputs; an import error still raises with its Python traceback.
    """
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def display_path(path: str | os.PathLike) -> str:
    """A path as readers should see it: relative to the repository when that is shorter, and
    ``$MGC_CACHE_DIR/...`` for a cache moved outside the repository (a machine's own folder
    means nothing in a rendered notebook)."""
    path = Path(path).resolve()
    cache = CACHE_DIR.resolve()
    if path.is_relative_to(cache) and not cache.is_relative_to(REPO_ROOT):
        return str(Path("$MGC_CACHE_DIR") / path.relative_to(cache))
    relative = os.path.relpath(path, REPO_ROOT)
    return relative if len(relative) < len(str(path)) else str(path)
