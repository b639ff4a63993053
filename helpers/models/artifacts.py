"""Trained networks on disk: ``name.keras`` (Keras' native format) with a JSON sidecar ``name.json``.

The sidecar holds what a later command needs to classify a new file (the genre
order of the outputs, the input shape, the preprocessing parameters), where the
model came from (dataset, split protocol, metrics, library versions) and, when
given, a model card: what ``python -m helpers.predict --about`` shows a user; and the
run's profile, so that a model of a smoke run or of the synthetic set is never taken
for one that classifies real music (:func:`smoke_or_synthetic`).

:func:`read_sidecar` checks a saved model without importing TensorFlow, so a
command given a wrong path says so at once instead of after TensorFlow's start-up;
it checks every value the sidecar holds against :func:`validate_sidecar`'s schema
(types and sane ranges), so a damaged sidecar is one clear error, never an
allocation of gigabytes or a traceback deep in the preprocessing.
"""

from __future__ import annotations

import functools
import json
import math
import os
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields
from pathlib import Path

from ..data import synthetic
from ..data.cache import write_json
from ..inputs import spectrograms
from ..inputs.network_inputs import IMAGE_COLORS
from ..results.evaluate import jsonable
from ..runtime import library_versions, quiet_tensorflow
from .pretrained_port import CHECKPOINTS

DEFAULT_MODEL = "musicnn-default"  # notebook 05_pretrained_music saves it in cfg.models_dir; helpers.predict's default
MULTI_MODEL = "musicnn-multi"  # helpers.models.multigenre.save_multi_model: several genres per file (predict --multi)
# What a model reads, as its sidecar names it (helpers.predict rebuilds the input from this description).
INPUT_KINDS: tuple[str, ...] = ("mel-image", "log-mel", "kaggle-image", "musicnn-mel")
# The profiles a run can have: helpers.config.PROFILES' names (config sits above this layer; a test compares them).
RUN_PROFILES: tuple[str, ...] = ("smoke", "report", "paper")


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
                  dataset: str, protocol: str, profile: str | None, metrics: dict | None = None,
                  card: dict | None = None) -> Path:
    """Save a Keras model as ``folder/name.keras`` with its JSON sidecar ``folder/name.json``; returns the ``.keras`` path.

    ``profile`` is the run's profile (:data:`RUN_PROFILES`), as its results records
    carry it; ``None`` only for a model of records that were never saved (their
    ``profile`` is not stamped yet). A smoke model is never a default model.

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
    if profile is not None and profile not in RUN_PROFILES:
        raise ValueError(f"unknown profile {profile!r}; valid: {', '.join(RUN_PROFILES)} (or None: not recorded)")
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
        "profile": profile,
        "metrics": jsonable(metrics or {}),
        "versions": library_versions(),
        **({"card": jsonable(card)} if card is not None else {}),
    })
    return model_path


# ---------------------------------------------------------------------------- checking a saved model

class _Invalid(ValueError):
    """What is wrong with one value of a sidecar; :func:`read_sidecar` adds the file."""


Rule = tuple[Callable[[object], bool], str]  # a value's test, and the valid values in words


def _is_number(value: object, *, low: float, high: float, whole: bool = False, exclusive: bool = False) -> bool:
    if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):  # JSON true is no number
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return low < value < high if exclusive else low <= value <= high


def _number(low: float, high: float, unit: str = "", *, whole: bool = False) -> Rule:
    return (functools.partial(_is_number, low=low, high=high, whole=whole),
            f"{'a whole number' if whole else 'a number'}{unit} from {low:g} to {high:g}")


def _one_of(values: Sequence[str]) -> Rule:
    return (lambda value: isinstance(value, str) and value in values, f"one of {', '.join(values)}")


_is_finite = functools.partial(_is_number, low=-math.inf, high=math.inf)


def _is_model_file(value: object) -> bool:
    return isinstance(value, str) and value == Path(value).name and value.endswith(".keras") and value != ".keras"


def _is_metric(value: object) -> bool:
    if isinstance(value, dict):
        return all(value.get(key) is None or _is_finite(value[key]) for key in ("value", "ci_low", "ci_high"))
    return _is_finite(value)


def _is_a(kind: type) -> Callable[[object], bool]:
    return lambda value: isinstance(value, kind)


def _is_list_of(kind: type) -> Callable[[object], bool]:
    return lambda value: isinstance(value, list) and all(isinstance(item, kind) for item in value)


def _is_map_of(test: Callable[[object], bool]) -> Callable[[object], bool]:
    return lambda value: isinstance(value, dict) and all(v is None or test(v) for v in value.values())


def _is_genre_list(value: object) -> bool:
    return (isinstance(value, list) and len(value) > 0 and all(isinstance(g, str) and g.strip() for g in value)
            and len(set(value)) == len(value))


_TEXT: Rule = (_is_a(str), "a text")
_SAMPLE_RATE = _number(8000, 192000, " of Hz", whole=True)
_IMAGE_SIZE = _number(8, 1024, " of pixels", whole=True)
# The sidecar's sane ranges (a damaged value is refused before any array is allocated: a sample rate of 1e9 would
# ask for gigabytes). Keys of the sidecar and its card not listed here are provenance, kept as they are.
_SIDECAR: dict[str, Rule] = {
    "model_file": (_is_model_file, "a plain file name ending in .keras, in the sidecar's folder"),
    "genres": (_is_genre_list, "a list of distinct genre names (texts)"),
    "input_shape": (_is_list_of((int, type(None))), "a list of whole numbers (or null)"),
    "preprocessing": (_is_a(dict), "an object describing the input (helpers.models.artifacts.preprocessing)"),
    "dataset": _TEXT, "protocol": _TEXT,
    "profile": _one_of(RUN_PROFILES),
    "metrics": (_is_a(dict), "an object of metrics"),
    "versions": (_is_a(dict), "an object of library versions"),
    "card": (_is_a(dict), "an object (the model card)"),
}
_PREPROCESSING: dict[str, Rule] = {
    "input": _one_of(INPUT_KINDS),
    "mel": (_is_a(dict), f"an object of {', '.join(f.name for f in fields(spectrograms.MelParams))}"),
    "image_size": _IMAGE_SIZE,
    "color": _one_of(IMAGE_COLORS),
    "window_seconds": _number(0.1, 600, " of seconds"),
    "sample_rate": _SAMPLE_RATE,
    "hop_seconds": _number(0.05, 600, " of seconds"),
    "checkpoint": _one_of(tuple(CHECKPOINTS)),
    "resampler": _TEXT,
}
# What each input kind needs (helpers.predict rebuilds the input from these).
_NEEDED = {"mel-image": ("mel", "window_seconds", "image_size", "color"), "log-mel": ("mel", "window_seconds"),
           "kaggle-image": ("image_size", "color"), "musicnn-mel": ("sample_rate", "window_seconds", "hop_seconds")}
_MEL: dict[str, Rule] = {
    "sample_rate": _SAMPLE_RATE,
    "n_fft": _number(16, 65536, " of samples", whole=True),
    "hop_length": _number(1, 65536, " of samples", whole=True),
    "n_mels": _number(1, 512, " of mel bands", whole=True),
    "fmax": _number(1, 96000, " of Hz"),
    "image_size": _IMAGE_SIZE,
}
_CARD: dict[str, Rule] = {
    "summary": _TEXT, "training_data": _TEXT,
    "sizes": (_is_map_of(functools.partial(_is_number, low=0, high=math.inf, whole=True)),
              "an object of clip counts (whole numbers)"),
    "limitations": (_is_list_of(str), "a list of sentences"),
    "validation": (_is_map_of(_is_finite), "an object of numbers"),
    "per_genre_test_recall": (_is_map_of(functools.partial(_is_number, low=0, high=1)), "an object of numbers from 0 to 1"),
    "multi_label": (_is_a(dict), "an object with the multi-genre threshold"),
}
_MULTI_LABEL: dict[str, Rule] = {
    "threshold": (functools.partial(_is_number, low=0, high=1, exclusive=True),
                  "a probability between 0 and 1 (exclusive), as predict's --threshold"),
    "threshold_source": _TEXT, "test_mode": _TEXT,
    "chance_exact_set_accuracy": _number(0, 1),
}


def _check(values: dict, rules: dict[str, Rule], where: str, *, closed: bool = False, required: Sequence[str] = ()) -> None:
    """Every value of ``values`` that has a rule passes it (``None``: not recorded, unless ``required``); ``closed``:
    no key without a rule."""
    for key in required:
        if values.get(key) is None:
            raise _Invalid(f"{where}{key} is missing; it needs {rules[key][1]}")
    for key, value in values.items():
        if key not in rules:
            if closed:
                raise _Invalid(f"{where}{key} is not a key of {where.rstrip('.')}; valid keys: {', '.join(rules)}")
            continue
        test, valid = rules[key]
        if value is not None and not test(value):
            raise _refuse(f"{where}{key}", value, valid)


def _refuse(key: str, value: object, valid: str) -> _Invalid:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return _Invalid(f"{key} {shown} is not {valid}")


def validate_sidecar(sidecar: dict) -> None:
    """Check every value ``helpers.predict`` reads (types, sane ranges, the input kind's keys); raises ``ValueError``
    naming the key and its valid values."""
    _check(sidecar, _SIDECAR, "", required=SIDECAR_KEYS)
    prep = sidecar["preprocessing"]
    _check(prep, _PREPROCESSING, "preprocessing.", closed=True, required=("input",))
    missing = [key for key in _NEEDED[prep["input"]] if prep.get(key) is None]
    if missing:
        raise _Invalid(f"the {prep['input']} preprocessing lacks {', '.join(map(repr, missing))}")
    if prep.get("mel") is not None:
        _check(prep["mel"], _MEL, "preprocessing.mel.", closed=True, required=tuple(_MEL))
        if prep["mel"]["fmax"] > prep["mel"]["sample_rate"] / 2:
            raise _refuse("preprocessing.mel.fmax", prep["mel"]["fmax"],
                          f"at most half the sample rate ({prep['mel']['sample_rate']} Hz)")
    for name, metric in (sidecar.get("metrics") or {}).items():
        if metric is not None and not _is_metric(metric):
            raise _refuse(f"metrics.{name}", metric, "a number, or an object of numbers value, ci_low, ci_high")
    card = sidecar.get("card") or {}
    _check(card, _CARD, "card.")
    if card.get("multi_label") is not None:
        _check(card["multi_label"], _MULTI_LABEL, "card.multi_label.", required=("threshold",))


def smoke_or_synthetic(model_path: str | os.PathLike, sidecar: dict) -> str | None:
    """Why a saved model's predictions mean nothing for real music (``trained on the synthetic set``, ``trained on
    the smoke profile``, or both), or ``None``.

    The synthetic set is told by the sidecar's ``dataset`` (also within a combination such as
    ``synthetic+reference``); the smoke profile by its ``profile``, or, for a sidecar written
    before profiles were recorded, by a folder ``runs/smoke-*`` above the model.
    """
    reasons = []
    if synthetic.DATASET.name in str(sidecar.get("dataset") or "").split("+"):
        reasons.append("the synthetic set")
    profile = sidecar.get("profile")
    parts = Path(os.path.abspath(model_path)).parts
    in_smoke_run = any(a == "runs" and (b == "smoke" or b.startswith("smoke-")) for a, b in zip(parts, parts[1:]))
    if profile == "smoke" or (profile is None and in_smoke_run):
        reasons.append("the smoke profile")
    return f"trained on {' and '.join(reasons)}" if reasons else None


def _check_keras_file(path: Path, named_by: Path | None = None) -> None:
    """A ``.keras`` file that exists and is a zip archive (as every ``.keras`` file is), before Keras reads it."""
    source = f" (named by {named_by})" if named_by is not None else ""
    if not path.is_file():
        raise ArtifactError(f"no such model file: {path}{source}")
    if not zipfile.is_zipfile(path):
        what = "an empty file" if path.stat().st_size == 0 else "not a zip archive"
        raise ArtifactError(f"{path} is not a readable Keras model: it is {what}, so not a Keras model file (a .keras "
                            f"file is a zip archive){source}; give the .keras file written by "
                            f"helpers.models.artifacts.save_artifact, or save the model again")


def read_sidecar(path: str | os.PathLike) -> tuple[Path, dict]:
    """Check a saved model without TensorFlow: ``(path of the .keras file, sidecar)``.

    ``path`` is the ``.keras`` file or its ``.json`` sidecar. Raises
    :class:`ArtifactError` when either file is missing, the ``.keras`` file is no zip
    archive, the sidecar is not valid JSON, lacks one of ``SIDECAR_KEYS`` or holds a
    value :func:`validate_sidecar` refuses (the message names the file, the key and
    the valid values).
    """
    path = Path(path)
    if path.suffix not in (".keras", ".json"):
        raise ArtifactError(f"{path} is not a saved model: give the .keras file written by helpers.models.artifacts.save_artifact")
    if path.suffix == ".keras":
        _check_keras_file(path)
    sidecar_path = path.with_suffix(".json")
    if not sidecar_path.is_file():
        raise ArtifactError(f"{sidecar_path} is missing: a saved model needs its JSON sidecar (genres, preprocessing) "
                            f"beside it; save the model again with helpers.models.artifacts.save_artifact")
    try:
        sidecar = json.loads(sidecar_path.read_text())
    except (ValueError, RecursionError) as error:  # undecodable text, bad JSON, an integer of 5000 digits, deep nesting
        raise ArtifactError(f"{sidecar_path} is not valid JSON ({error}); save the model again") from None
    if not isinstance(sidecar, dict):
        raise ArtifactError(f"{sidecar_path} is not a model sidecar (it holds a {type(sidecar).__name__}, not an object)")
    missing = [key for key in SIDECAR_KEYS if key not in sidecar]
    if missing:
        raise ArtifactError(f"{sidecar_path} lacks {', '.join(repr(k) for k in missing)}: not a complete model sidecar; "
                            f"save the model again")
    try:
        validate_sidecar(sidecar)
    except ValueError as problem:
        raise ArtifactError(f"{sidecar_path}: {problem}; save the model again with "
                            f"helpers.models.artifacts.save_artifact") from None
    model_path = sidecar_path.with_name(sidecar["model_file"])
    if model_path != path:
        _check_keras_file(model_path, named_by=sidecar_path)
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
