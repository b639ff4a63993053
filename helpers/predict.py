"""Classify audio files with a saved network; by default with the musicnn-based model of notebook 05.

A model saved by ``helpers.artifacts.save_artifact`` carries a JSON sidecar with
its genre order and the preprocessing it was trained on; :func:`prepare_audio`
rebuilds exactly that input from a waveform, so a new file gets the same
treatment as the training clips:

``mel-image``     the PNG recipe of ``helpers.spectrograms`` (log-mel, min-max,
                  128x128 grayscale) resized to the model's ``image_size``;
``log-mel``       normalised log-mel arrays of ``window_seconds`` segments;
``kaggle-image``  Kaggle ``images_original`` PNGs (border cropped): such a model
                  classifies images, not audio, because the Kaggle rendering
                  recipe is not published;
``musicnn-mel``   musicnn's input (``helpers.pretrained_port``): the file decoded
                  to 16 kHz (musicnn's resampler), log-mel, 3-s windows every ``hop_seconds``
                  (:func:`musicnn_preprocessing`); the model takes one
                  ``(187, 96)`` window and gives genre probabilities.

A file longer than one window is cut into windows and the window probabilities
are averaged. A file shorter than one window is padded (with silence; by repeating
it for ``musicnn-mel``), and a file of digital silence gets a prediction that means
nothing: both are said in the ``note`` column, never silently. Command line::

    python -m helpers.predict [MODEL.keras] FILE_OR_FOLDER [...] [--top 3]
    python -m helpers.predict [MODEL.keras] --about

When the first argument does not end in ``.keras`` or ``.json`` every argument is
an input and the default model is used (:func:`default_model`): ``$MGC_MODEL`` if
set, else ``models/musicnn-default.keras`` of the repository (``./run_all.sh
--in-place``), else the newest ``runs/*/models/musicnn-default.keras`` (``./run_all.sh``);
stderr names the file used. ``--about`` prints the model's card (genres, training
data, protocol, test accuracy with its 95 % interval, what it cannot do) and exits.

The model's files are checked before TensorFlow is imported, so a wrong path is
reported at once, and ``--about`` never imports it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from . import artifacts, audio, cli, network_inputs, pretrained, pretrained_port, spectrograms
from .runtime import REPO_ROOT, display_path

INPUT_KINDS: tuple[str, ...] = ("mel-image", "log-mel", "kaggle-image", "musicnn-mel")
DEFAULT_MODEL = "musicnn-default"  # notebook 05_pretrained_music saves it in cfg.models_dir
# A first argument with one of these suffixes names the model; .h5/.hdf5 only to say that they are not .keras files.
MODEL_SUFFIXES = (".keras", ".json", ".h5", ".hdf5")
# Peak amplitude at or below which a waveform counts as digital silence (-120 dBFS).
SILENCE_PEAK = 1e-6


def preprocessing(kind: str, *, mel: spectrograms.MelParams = spectrograms.MelParams(), image_size: int | None = None,
                  color: str = "grayscale", window_seconds: float | None = None) -> dict:
    """The sidecar's description of a model's input (see the module docstring)."""
    if kind not in INPUT_KINDS:
        raise ValueError(f"unknown input kind {kind!r}; valid: {', '.join(INPUT_KINDS)}")
    return {"input": kind, "mel": asdict(mel), "image_size": image_size, "color": color, "window_seconds": window_seconds}


def musicnn_preprocessing(checkpoint: str, hop_seconds: float = pretrained.DEFAULT_HOP_SECONDS) -> dict:
    """The sidecar's description of a model on musicnn's input: 3-s windows of checkpoint ``checkpoint``'s log-mel."""
    pretrained_port.checkpoint(checkpoint)  # a known name
    pretrained_port.hop_frames(hop_seconds)  # a usable hop
    return {"input": "musicnn-mel", "checkpoint": checkpoint, "sample_rate": pretrained_port.SAMPLE_RATE,
            "window_seconds": 3.0, "hop_seconds": float(hop_seconds), "resampler": pretrained.RESAMPLER}


def sample_rate(prep: dict) -> int:
    """The rate a model's waveforms are read at (``mel`` kinds keep it in their mel parameters)."""
    return int(prep["sample_rate"] if prep["input"] == "musicnn-mel" else prep["mel"]["sample_rate"])


def _windows(samples: np.ndarray, sr: int, seconds: float) -> list[np.ndarray]:
    """Windows of ``seconds``; a file shorter than 1.5 windows is one window (as a training clip
    of 29.9 s was), a file shorter than one window is padded with silence."""
    length = int(round(seconds * sr))
    if len(samples) < 1.5 * length:
        return [samples if len(samples) >= length else np.pad(samples, (0, length - len(samples)))]
    return list(audio.segment(samples, sr, seconds))


def audio_notes(samples: np.ndarray, prep: dict) -> list[str]:
    """What a reader must know about a waveform's prediction: padding, digital silence."""
    notes = []
    seconds = float(prep["window_seconds"])
    if prep["input"] == "musicnn-mel":  # one window is 187 frames of the centred STFT
        if len(samples) < (pretrained_port.WINDOW_FRAMES - 1) * pretrained_port.HOP_LENGTH:
            notes.append(f"shorter than one {seconds:g}-s window: padded by repeating it")
    elif len(samples) < int(round(seconds * sample_rate(prep))):
        notes.append(f"shorter than one {seconds:g}-s window: padded with silence")
    if len(samples) == 0 or float(np.max(np.abs(samples))) <= SILENCE_PEAK:
        notes.append("digital silence: the prediction means nothing")
    return notes


def prepare_audio(samples: np.ndarray, prep: dict) -> np.ndarray:
    """Network inputs ``(windows, height, width, channels)`` for a mono waveform at :func:`sample_rate`;
    ``(windows, 187, 96)`` for ``musicnn-mel``."""
    if prep["input"] == "musicnn-mel":
        mel = pretrained_port.log_mel(samples)
        return pretrained_port.windows(mel, pretrained_port.hop_frames(float(prep["hop_seconds"]))).astype(np.float32)
    mel = spectrograms.MelParams(**prep["mel"])
    if prep["input"] == "kaggle-image":
        raise ValueError("this model was trained on Kaggle images_original PNGs and classifies such images, not audio; "
                         "use a model trained on mel-image or log-mel input to classify audio")
    windows = _windows(samples, mel.sample_rate, float(prep["window_seconds"]))
    if prep["input"] == "mel-image":
        arrays = [network_inputs.image_to_array(spectrograms.image_from_audio(w, mel), prep["image_size"], prep["color"])
                  for w in windows]
    else:
        arrays = [spectrograms.normalize(spectrograms.log_mel(w, mel))[..., None] for w in windows]
    return np.stack(arrays).astype(np.float32)


def _prepare_with_notes(path: str | Path, prep: dict) -> tuple[np.ndarray, list[str]]:
    if prep["input"] == "kaggle-image":
        return network_inputs.load_image(path, prep["image_size"], prep["color"], crop_border=True)[None], []
    if prep["input"] == "musicnn-mel":
        samples = pretrained.waveform(path)  # musicnn's resampling, as the training clips had
    else:
        samples, _ = audio.load(path, sr=sample_rate(prep))
    return prepare_audio(samples, prep), audio_notes(samples, prep)


def prepare_file(path: str | Path, prep: dict) -> np.ndarray:
    """Network inputs for one file: an audio file, or a PNG for a ``kaggle-image`` model."""
    return _prepare_with_notes(path, prep)[0]


def classify(paths: Sequence[str | Path], model, sidecar: dict, top: int = 3) -> pd.DataFrame:
    """One row per file: ``file, genre, probability, top`` (the ``top`` genres with probabilities), ``windows``,
    ``note`` and ``error``.

    ``note`` says when a prediction needs care (a file padded to one window, digital
    silence); files that cannot be read are not dropped silently: their row has an
    empty genre and the reason in ``error``.
    """
    genres = sidecar["genres"]
    rows = []
    for path in paths:
        try:
            inputs, notes = _prepare_with_notes(path, sidecar["preprocessing"])
        except (audio.AudioError, OSError) as error:
            rows.append(dict(file=str(path), genre="", probability=float("nan"), top="", windows=0, note="", error=str(error)))
            continue
        probabilities = model.predict(inputs, verbose=0).mean(axis=0)
        order = np.argsort(probabilities)[::-1][:top]
        rows.append(dict(file=str(path), genre=genres[order[0]], probability=float(probabilities[order[0]]),
                         top=", ".join(f"{genres[i]} {probabilities[i]:.2f}" for i in order), windows=len(inputs),
                         note="; ".join(notes), error=""))
    return pd.DataFrame(rows, columns=["file", "genre", "probability", "top", "windows", "note", "error"])


def _files(arguments: Sequence[Path], kind: str) -> list[Path]:
    wanted = (lambda p: p.suffix.lower() == ".png") if kind == "kaggle-image" else audio.is_audio_file
    files = []
    for argument in arguments:
        if argument.is_dir():
            files += sorted(p for p in argument.rglob("*") if p.is_file() and wanted(p))
        else:
            files.append(argument)
    return files


_NEEDED = {"mel-image": ("mel", "window_seconds", "image_size", "color"), "log-mel": ("mel", "window_seconds"),
           "kaggle-image": ("image_size", "color"), "musicnn-mel": ("sample_rate", "window_seconds", "hop_seconds")}


def _check_preprocessing(sidecar: dict, model_path: Path) -> None:
    prep = sidecar["preprocessing"]
    kind = prep.get("input") if isinstance(prep, dict) else None
    if kind not in INPUT_KINDS:
        raise cli.UserError(f"{model_path.with_suffix('.json')}: preprocessing input {kind!r} is not one of "
                            f"{', '.join(INPUT_KINDS)}; save the model again with helpers.artifacts.save_artifact")
    missing = [key for key in _NEEDED[kind] if key not in prep]
    if missing:
        raise cli.UserError(f"{model_path.with_suffix('.json')}: the {kind} preprocessing lacks {', '.join(map(repr, missing))}; "
                            f"save the model again with helpers.artifacts.save_artifact")


def default_model(root: str | os.PathLike | None = None) -> Path:
    """The model used when none is named: ``$MGC_MODEL`` if set, else ``root/models/musicnn-default.keras``
    (``./run_all.sh --in-place``), else the most recently modified ``root/runs/*/models/musicnn-default.keras``.

    ``root`` is the repository (default). Raises ``cli.UserError`` when there is none.
    """
    if os.environ.get("MGC_MODEL"):
        return Path(os.environ["MGC_MODEL"])
    root = Path(root if root is not None else REPO_ROOT)
    in_place = root / "models" / f"{DEFAULT_MODEL}.keras"
    if in_place.is_file():
        return in_place
    runs = [p for p in root.glob(f"runs/*/models/{DEFAULT_MODEL}.keras") if p.is_file()]
    if not runs:
        raise cli.UserError(f"no model named and no default model ({DEFAULT_MODEL}.keras) found under {root}: build it with "
                            f"./run_all.sh (notebook 05_pretrained_music trains it), or name a model file: "
                            f"python -m helpers.predict MODEL.keras FILE ...")
    return max(runs, key=lambda p: p.stat().st_mtime)


def _shown(path: Path) -> str:
    """``path`` relative to the working directory when it lies below it, else as ``runtime.display_path`` shows it
    (relative to the repository: a machine's own folders mean nothing in a rendered notebook)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return display_path(path)


def _input_text(prep: dict) -> str:
    if prep.get("input") == "musicnn-mel":
        return (f"musicnn-mel: {prep.get('window_seconds', 3.0):g}-s log-mel windows every {prep.get('hop_seconds'):g} s of "
                f"{prep.get('sample_rate')} Hz audio ({prep.get('resampler')}), through {prep.get('checkpoint')}")
    window = f", {prep['window_seconds']:g}-s windows" if prep.get("window_seconds") else ""
    return f"{prep.get('input')}{window}"


def about(model_path: Path, sidecar: dict) -> str:
    """The model card as plain text, from the sidecar alone (no TensorFlow): what ``--about`` prints."""
    card = sidecar.get("card") if isinstance(sidecar.get("card"), dict) else {}
    lines = [f"Model: {Path(model_path).stem} ({_shown(Path(model_path))})"]
    if not card:
        lines.append("Card missing: this model's sidecar has no card (training data, test size, limitations); shown is "
                     "what the sidecar holds.")
    if card.get("summary"):
        lines += ["", textwrap.fill(str(card["summary"]), 100), ""]
    genres = list(sidecar["genres"])
    lines.append(f"Genres ({len(genres)}): {', '.join(genres)}")
    lines.append(f"Input: {_input_text(sidecar['preprocessing'])}")
    training = card.get("training_data") or sidecar.get("dataset")  # the card's text names the dataset
    lines.append(f"Training data: {training or 'not recorded'}")
    lines.append(f"Protocol: {sidecar.get('protocol') or 'not recorded'}")
    metrics = sidecar.get("metrics") or {}
    for key, label in (("accuracy", "accuracy"), ("balanced_accuracy", "balanced accuracy"), ("macro_f1", "macro F1")):
        m = metrics.get(key)
        if isinstance(m, dict) and {"value", "ci_low", "ci_high"} <= set(m):
            lines.append(f"Test {label}: {m['value']:.3f} [{m['ci_low']:.3f}, {m['ci_high']:.3f}] (95 % interval)")
    if not metrics:
        lines.append("Test metrics: not recorded")
    sizes = card.get("sizes")
    if isinstance(sizes, dict) and "test" in sizes:
        others = ", ".join(f"{part} {n}" for part, n in sizes.items() if part != "test")
        lines.append(f"Test size: {sizes['test']} clips" + (f" (trained on {others})" if others else ""))
    else:
        lines.append(f"Test size: {sizes if sizes else 'not recorded'}")
    limitations = card.get("limitations") or []
    lines.append("What it cannot do:" if limitations else "What it cannot do: not recorded")
    lines += [textwrap.fill(str(item), 100, initial_indent="  - ", subsequent_indent="    ") for item in limitations]
    validation = card.get("validation")
    if isinstance(validation, dict) and {"valid_accuracy", "valid_balanced_accuracy"} <= set(validation):
        lines.append(f"Validation (what chose this model): accuracy {validation['valid_accuracy']:.3f}, balanced accuracy "
                     f"{validation['valid_balanced_accuracy']:.3f}")
    recall = card.get("per_genre_test_recall")
    if isinstance(recall, dict) and recall:
        lines.append(textwrap.fill("Per-genre test recall: " + ", ".join(f"{g} {v:.2f}" for g, v in recall.items()), 100,
                                   subsequent_indent="  "))
    for key, value in card.items():
        if key not in ("summary", "training_data", "sizes", "limitations", "validation", "per_genre_test_recall"):
            lines.append(f"{key}: {value if isinstance(value, str) else json.dumps(value)}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.predict", description="Classify audio files with a saved model.",
                                     usage="%(prog)s [MODEL.keras] FILE_OR_FOLDER [...] [--top N] | [MODEL.keras] --about")
    parser.add_argument("paths", type=Path, nargs="*", metavar="[MODEL.keras] FILE_OR_FOLDER",
                        help="a .keras file saved by helpers.artifacts.save_artifact (its .json beside it; default: "
                             f"$MGC_MODEL, else the {DEFAULT_MODEL} model built by ./run_all.sh), then audio files or folders "
                             "(PNG files for a kaggle-image model)")
    parser.add_argument("--top", type=cli.positive_int, default=3, help="genres to list per file")
    parser.add_argument("--about", action="store_true", help="print the model's card (accuracy, training data, limits) and exit")
    args = parser.parse_args(argv)
    named = bool(args.paths) and args.paths[0].suffix.lower() in MODEL_SUFFIXES
    args.inputs = args.paths[1:] if named else args.paths
    if not args.inputs and not args.about:
        parser.error("give audio files or folders to classify (after the model, if you name one), or --about")
    model_file = args.paths[0] if named else default_model()
    if not named:
        source = "from $MGC_MODEL" if os.environ.get("MGC_MODEL") else "the default; name a .keras file to use another"
        print(f"model: {_shown(model_file)} ({source})", file=sys.stderr)
    # Everything that can be checked without TensorFlow is checked first (its import takes seconds).
    try:
        model_path, sidecar = artifacts.read_sidecar(model_file)
    except artifacts.ArtifactError as error:
        raise cli.UserError(str(error)) from None
    _check_preprocessing(sidecar, model_path)
    if args.about:
        print(about(model_path, sidecar))
        return 0
    missing = [str(p) for p in args.inputs if not p.exists()]
    if missing:
        raise cli.UserError(f"no such file or folder: {', '.join(missing)}")
    kind = sidecar["preprocessing"]["input"]
    files = _files(args.inputs, kind)
    wanted = "PNG files" if kind == "kaggle-image" else f"audio files ({', '.join(audio.SUPPORTED_EXTENSIONS)})"
    accepted = (lambda p: p.suffix.lower() == ".png") if kind == "kaggle-image" else audio.is_audio_file
    if not any(accepted(f) for f in files):
        raise cli.UserError(f"no {wanted} among the given files and folders")
    try:
        model, sidecar = artifacts.load_artifact(model_path)
        table = classify(files, model, sidecar, top=args.top)
    except (artifacts.ArtifactError, ValueError) as error:
        raise cli.UserError(str(error)) from None
    failed = table[table["error"] != ""]
    classified = table[table["error"] == ""]
    if len(classified):  # unreadable files are listed below, not shown as rows without a genre
        with pd.option_context("display.width", 200, "display.max_colwidth", 80, "display.max_rows", 1000):
            print(classified.drop(columns=["note", "error"]).to_string(index=False))
    for _, row in classified[classified["note"] != ""].iterrows():
        print(f"note: {row['file']}: {row['note']}")
    for _, row in failed.iterrows():  # the error names the file already
        print(f"skipped: {row['error']}", file=sys.stderr)
    return 1 if len(failed) == len(table) else 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
