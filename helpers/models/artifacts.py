"""Trained networks on disk: ``name.keras`` (Keras' native format) with a JSON sidecar ``name.json``.

The sidecar holds what a later command needs to classify a new file (the genre
order of the outputs, the input shape, the preprocessing parameters), where the
model came from (dataset, split protocol, metrics, library versions) and, when
given, a model card: what ``python -m helpers.predict --about`` shows a user.

:func:`read_sidecar` checks a saved model without importing TensorFlow, so a
command given a wrong path says so at once instead of after TensorFlow's start-up.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from ..data.cache import write_json
from ..inputs import spectrograms
from ..results.evaluate import jsonable
from ..runtime import library_versions, quiet_tensorflow

DEFAULT_MODEL = "musicnn-default"  # notebook 05_pretrained_music saves it in cfg.models_dir; helpers.predict's default
MULTI_MODEL = "musicnn-multi"  # helpers.models.multigenre.save_multi_model: several genres per file (predict --multi)
# What a model reads, as its sidecar names it (helpers.predict rebuilds the input from this description).
INPUT_KINDS: tuple[str, ...] = ("mel-image", "log-mel", "kaggle-image", "musicnn-mel")


def preprocessing(kind: str, *, mel: spectrograms.MelParams = spectrograms.MelParams(), image_size: int | None = None,
                  color: str = "grayscale", window_seconds: float | None = None) -> dict:
    """The sidecar's description of a model's input: its kind (:data:`INPUT_KINDS`), mel parameters, image size and
    colour, and the window a file is cut into."""
    if kind not in INPUT_KINDS:
        raise ValueError(f"unknown input kind {kind!r}; valid: {', '.join(INPUT_KINDS)}")
    return {"input": kind, "mel": asdict(mel), "image_size": image_size, "color": color, "window_seconds": window_seconds}


# What predict needs from a sidecar; the rest (dataset, metrics, versions) is provenance.
SIDECAR_KEYS: tuple[str, ...] = ("model_file", "genres", "preprocessing")


class ArtifactError(ValueError):
    """A saved model that is missing, incomplete or unreadable; the message names the file."""


def save_artifact(model, folder: str | os.PathLike, *, name: str, genres: Sequence[str], preprocessing: dict,
                  dataset: str, protocol: str, metrics: dict | None = None, card: dict | None = None) -> Path:
    """Save a Keras model as ``folder/name.keras`` with its JSON sidecar ``folder/name.json``; returns the ``.keras`` path.

    ``metrics`` is a results record's ``metrics`` dict (value and 95 % interval per
    metric). ``card`` (optional, stored as given) describes the model for its users;
    ``python -m helpers.predict --about`` reads ``summary`` (one paragraph),
    ``training_data`` (text), ``sizes`` (``{"train": .., "valid": .., "test": ..}``
    clips) and ``limitations`` (a list of sentences), and lists any other key as is.

    Both files are written under temporary names and renamed when complete, so an
    interrupted save never leaves a model beside a sidecar it does not match.
    """
    if card is not None and not (isinstance(card, dict) and isinstance(card.get("limitations", []), (list, tuple))):
        raise ValueError("card must be a dict whose 'limitations', when given, is a list of sentences")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / f"{name}.keras"
    partial = folder / f".{name}.partial.keras"  # Keras insists on the .keras suffix
    try:
        model.save(partial)
        os.replace(partial, model_path)
    finally:
        partial.unlink(missing_ok=True)
    write_json(folder / f"{name}.json", {
        "model_file": model_path.name,
        "genres": list(genres),
        "input_shape": list(model.input_shape[1:]),
        "preprocessing": jsonable(preprocessing),
        "dataset": dataset,
        "protocol": protocol,
        "metrics": jsonable(metrics or {}),
        "versions": library_versions(),
        **({"card": jsonable(card)} if card is not None else {}),
    })
    return model_path


def read_sidecar(path: str | os.PathLike) -> tuple[Path, dict]:
    """Check a saved model without TensorFlow: ``(path of the .keras file, sidecar)``.

    ``path`` is the ``.keras`` file or its ``.json`` sidecar. Raises
    :class:`ArtifactError` when either file is missing, the sidecar is not valid JSON,
    or it lacks one of ``SIDECAR_KEYS``.
    """
    path = Path(path)
    if path.suffix not in (".keras", ".json"):
        raise ArtifactError(f"{path} is not a saved model: give the .keras file written by helpers.models.artifacts.save_artifact")
    if path.suffix == ".keras" and not path.is_file():
        raise ArtifactError(f"no such model file: {path}")
    sidecar_path = path.with_suffix(".json")
    if not sidecar_path.is_file():
        raise ArtifactError(f"{sidecar_path} is missing: a saved model needs its JSON sidecar (genres, preprocessing) "
                            f"beside it; save the model again with helpers.models.artifacts.save_artifact")
    try:
        sidecar = json.loads(sidecar_path.read_text())
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ArtifactError(f"{sidecar_path} is not valid JSON ({error}); save the model again") from None
    if not isinstance(sidecar, dict):
        raise ArtifactError(f"{sidecar_path} is not a model sidecar (it holds a {type(sidecar).__name__}, not an object)")
    missing = [key for key in SIDECAR_KEYS if key not in sidecar]
    if missing:
        raise ArtifactError(f"{sidecar_path} lacks {', '.join(repr(k) for k in missing)}: not a complete model sidecar; "
                            f"save the model again")
    model_path = sidecar_path.with_name(str(sidecar["model_file"]))
    if not model_path.is_file():
        raise ArtifactError(f"no such model file: {model_path} (named by {sidecar_path})")
    return model_path, sidecar


def load_artifact(path: str | os.PathLike) -> tuple[object, dict]:
    """Load ``name.keras`` (or its ``.json`` sidecar path) and return ``(model, sidecar)``.

    The files are checked (:func:`read_sidecar`) before TensorFlow is imported.
    """
    model_path, sidecar = read_sidecar(path)
    quiet_tensorflow()
    import keras

    try:
        model = keras.models.load_model(model_path)
    except Exception as error:  # Keras raises ValueError, OSError, zipfile.BadZipFile... for a damaged file
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ArtifactError(f"{model_path} is not a readable Keras model ({reason}); save the model again") from None
    if model.output_shape[-1] != len(sidecar["genres"]):
        raise ArtifactError(f"{model_path}: the model has {model.output_shape[-1]} outputs but its sidecar lists "
                            f"{len(sidecar['genres'])} genres")
    return model, sidecar
