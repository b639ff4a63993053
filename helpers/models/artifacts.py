"""Trained networks on disk: ``name.keras`` (Keras' native format) with a JSON sidecar ``name.json``.

The sidecar holds what a later command needs to classify a new file (the genre
order of the outputs, the input shape, the preprocessing parameters), where the
model came from (dataset, split protocol, metrics, library versions) and, when
given, a model card: what ``python -m helpers.predict --about`` shows a user; and the
run's profile, so that a model of a smoke run or of the synthetic set is never taken
for one that classifies real music (:func:`smoke_or_synthetic`).

:func:`read_sidecar` checks a saved model without importing TensorFlow, so a
command given a wrong path says so at once instead of after TensorFlow's start-up;
it checks every value the sidecar holds against a JSON Schema, :data:`SIDECAR_SCHEMA`
(types and sane ranges), so a damaged sidecar is one clear error, never an
allocation of gigabytes or a traceback deep in the preprocessing.
"""

from __future__ import annotations

import functools
import json
import math
import os
import zipfile
from collections.abc import Sequence
from dataclasses import asdict
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

def _value(valid: str, *kinds: str, **keywords) -> dict:
    """The JSON Schema of one value; ``valid`` (its description) says its valid values in an error message."""
    return {"description": valid, "type": list(kinds), **keywords}


def _or_null(schema: dict) -> dict:
    """``schema``, or null: not recorded (``save_artifact`` writes null for what an input kind does not use)."""
    return {**schema, "type": [*schema["type"], "null"], **({"enum": [*schema["enum"], None]} if "enum" in schema else {})}


def _object(valid: str, properties: dict, *, required: Sequence[str] = (), closed: bool = False) -> dict:
    """An object whose keys with a rule in ``properties`` pass it (null: not recorded, unless ``required``);
    ``closed``: no key without a rule."""
    return _value(valid, "object", properties={key: rule if key in required else _or_null(rule) for key, rule in properties.items()},
                  required=list(required), additionalProperties=not closed)


def _number(low: float, high: float, unit: str = "", *, whole: bool = False) -> dict:
    return _value(f"{'a whole number' if whole else 'a number'}{unit} from {low:g} to {high:g}", "integer" if whole else "number",
                  minimum=low, maximum=high)


def _one_of(values: Sequence[str]) -> dict:
    return _value(f"one of {', '.join(values)}", "string", enum=list(values))


_TEXT = _value("a text", "string")
_SAMPLE_RATE = _number(8000, 192000, " of Hz", whole=True)
_IMAGE_SIZE = _number(8, 1024, " of pixels", whole=True)
_MEL = {"sample_rate": _SAMPLE_RATE, "n_fft": _number(16, 65536, " of samples", whole=True),
        "hop_length": _number(1, 65536, " of samples", whole=True), "n_mels": _number(1, 512, " of mel bands", whole=True),
        "fmax": _number(1, 96000, " of Hz"), "image_size": _IMAGE_SIZE}
_INPUT = {  # the preprocessing's values besides its kind; what each kind needs (helpers.predict rebuilds the input from these)
    "mel": _object(f"an object of {', '.join(_MEL)}", _MEL, required=tuple(_MEL), closed=True),
    "image_size": _IMAGE_SIZE, "color": _one_of(IMAGE_COLORS), "window_seconds": _number(0.1, 600, " of seconds"),
    "sample_rate": _SAMPLE_RATE, "hop_seconds": _number(0.05, 600, " of seconds"), "checkpoint": _one_of(tuple(CHECKPOINTS)),
    "resampler": _TEXT,
}
_NEEDED = {"mel-image": ("mel", "window_seconds", "image_size", "color"), "log-mel": ("mel", "window_seconds"),
           "kaggle-image": ("image_size", "color"), "musicnn-mel": ("sample_rate", "window_seconds", "hop_seconds")}
# The sidecar's types and sane ranges (a damaged value is refused before any array is allocated: a sample rate of 1e9
# would ask for gigabytes). Keys of the sidecar and its card without a rule are provenance, kept as they are. A schema
# cannot compare two values: validate_sidecar checks a mel fmax against its sample rate.
SIDECAR_SCHEMA: dict = {"$schema": "https://json-schema.org/draft/2020-12/schema", **_object("a model sidecar", {
    "model_file": _value("a plain file name ending in .keras, in the sidecar's folder", "string",
                         pattern=r"^[^/\\\x00]+\.keras$(?!\n)"),  # (?!\n): Python's $ also matches before a final newline
    "genres": {**_value("a list of distinct genre names (texts)", "array", items={"type": "string", "pattern": r"\S"}, minItems=1),
               "if": {"items": {"type": "string"}}, "then": {"uniqueItems": True}},  # comparing nested lists could overflow the stack
    "input_shape": _value("a list of whole numbers (or null)", "array", items={"type": ["integer", "null"]}),
    "preprocessing": {**_object("an object describing the input (helpers.models.artifacts.preprocessing)",
                                {"input": _one_of(INPUT_KINDS), **_INPUT}, required=("input",), closed=True),
                      "allOf": [{"if": {"properties": {"input": {"const": kind}}, "required": ["input"]},
                                 "then": {"title": f"the {kind} preprocessing", "required": list(needed),
                                          "properties": {key: _INPUT[key] for key in needed}}} for kind, needed in _NEEDED.items()]},
    "dataset": _TEXT, "protocol": _TEXT, "profile": _one_of(RUN_PROFILES),
    "metrics": _value("an object of metrics", "object", additionalProperties=_value(
        "a number, or an object of numbers value, ci_low, ci_high", "number", "object", "null",
        properties=dict.fromkeys(("value", "ci_low", "ci_high"), {"type": ["number", "null"]}))),
    "versions": _value("an object of library versions", "object"),
    "card": _object("an object (the model card)", {
        "summary": _TEXT, "training_data": _TEXT,
        "sizes": _value("an object of clip counts (whole numbers)", "object",
                        additionalProperties={"type": ["integer", "null"], "minimum": 0}),
        "limitations": _value("a list of sentences", "array", items={"type": "string"}),
        "validation": _value("an object of numbers", "object", additionalProperties={"type": ["number", "null"]}),
        "per_genre_test_recall": _value("an object of numbers from 0 to 1", "object",
                                        additionalProperties={"type": ["number", "null"], "minimum": 0, "maximum": 1}),
        "multi_label": _object("an object with the multi-genre threshold", {
            "threshold": _value("a probability between 0 and 1 (exclusive), as predict's --threshold", "number",
                                exclusiveMinimum=0, exclusiveMaximum=1),
            "threshold_source": _TEXT, "test_mode": _TEXT, "chance_exact_set_accuracy": _number(0, 1)}, required=("threshold",)),
    }),
}, required=SIDECAR_KEYS)}


@functools.cache
def _validator():
    """A Draft 2020-12 validator of :data:`SIDECAR_SCHEMA` whose numbers are finite (Python's json reads NaN and
    Infinity) and whose whole numbers are ints (JSON Schema takes 3.0 for one)."""
    from jsonschema import Draft202012Validator, validators  # here: importing jsonschema takes about a second

    def is_number(checker, value) -> bool:
        return not isinstance(value, bool) and (isinstance(value, int) or isinstance(value, float) and math.isfinite(value))

    types = Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"number": is_number, "integer": lambda checker, value: isinstance(value, int) and not isinstance(value, bool)})
    return validators.extend(Draft202012Validator, type_checker=types)(SIDECAR_SCHEMA)


def _refuse(key: str, value: object, valid: str) -> ValueError:
    shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
    return ValueError(f"{key} is missing; it needs {valid}" if value is None else f"{key} {shown} is not {valid}")


def _problem(error, sidecar: dict) -> ValueError:
    """``error`` (a jsonschema ``ValidationError``) as one sentence: the key path, the value and its valid values, those
    of the deepest schema on the error's path that says them (a list of genres, not its item 3)."""
    path = list(error.absolute_path)
    where = ".".join(map(str, path))
    if error.validator == "additionalProperties":  # a closed object
        extra = next(key for key in error.instance if key not in error.schema["properties"])
        return ValueError(f"{where}.{extra} is not a key of {where}; valid keys: {', '.join(error.schema['properties'])}")
    # Down the error's schema path: ``depth`` counts the keys of the sidecar gone into, ``described`` is the deepest
    # description and its depth, ``title`` names the object of an input kind's keys.
    node, depth, described, title = SIDECAR_SCHEMA, 0, (0, SIDECAR_SCHEMA["description"]), ""
    parts = iter(error.absolute_schema_path)
    for keyword in parts:
        node = node[keyword][next(parts)] if keyword in ("properties", "allOf") else node[keyword]
        if keyword in ("properties", "additionalProperties", "items"):
            depth, title = depth + 1, ""
        if isinstance(node, dict):
            title = node.get("title", title)
            described = (depth, node["description"]) if "description" in node else described
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        if title or not path:  # an input kind's keys, the sidecar's keys
            return ValueError(f"{title or 'the sidecar'} lacks {', '.join(map(repr, missing))}")
        return _refuse(f"{where}.{missing[0]}", None, error.schema["properties"][missing[0]]["description"])
    value = sidecar
    for key in path[:described[0]]:
        value = value[key]
    return _refuse(".".join(map(str, path[:described[0]])), value, described[1])


def validate_sidecar(sidecar: dict) -> None:
    """Check a sidecar against :data:`SIDECAR_SCHEMA` and a mel ``fmax`` against its sample rate; raises
    ``ValueError`` naming the key and its valid values."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator().iter_errors(sidecar))
    if error is not None:
        raise _problem(error, sidecar)
    mel = sidecar["preprocessing"].get("mel")
    if mel is not None and mel["fmax"] > mel["sample_rate"] / 2:
        raise _refuse("preprocessing.mel.fmax", mel["fmax"], f"at most half the sample rate ({mel['sample_rate']} Hz)")


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
    archive, the sidecar is not valid JSON or :func:`validate_sidecar` refuses it (it
    lacks one of ``SIDECAR_KEYS``, or a value is damaged: the message names the file,
    the key and the valid values).
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
