"""Classify audio files with a saved spectrogram network.

A model saved by ``helpers.artifacts.save_artifact`` carries a JSON sidecar with
its genre order and the preprocessing it was trained on; :func:`prepare_audio`
rebuilds exactly that input from a waveform, so a new file gets the same
treatment as the training clips:

``mel-image``     the PNG recipe of ``helpers.spectrograms`` (log-mel, min-max,
                  128x128 grayscale) resized to the model's ``image_size``;
``log-mel``       normalised log-mel arrays of ``window_seconds`` segments;
``kaggle-image``  Kaggle ``images_original`` PNGs (border cropped): such a model
                  classifies images, not audio, because the Kaggle rendering
                  recipe is not published.

A file longer than one window is cut into windows and the window probabilities
are averaged. A file shorter than one window is padded with silence, and a file of
digital silence gets a prediction that means nothing: both are said in the
``note`` column, never silently. Command line::

    python -m helpers.predict MODEL.keras FILE_OR_FOLDER [...] [--top 3]

The model's files are checked before TensorFlow is imported, so a wrong path is
reported at once.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from . import artifacts, audio, cli, network_inputs, spectrograms

INPUT_KINDS: tuple[str, ...] = ("mel-image", "log-mel", "kaggle-image")
# Peak amplitude at or below which a waveform counts as digital silence (-120 dBFS).
SILENCE_PEAK = 1e-6


def preprocessing(kind: str, *, mel: spectrograms.MelParams = spectrograms.MelParams(), image_size: int | None = None,
                  color: str = "grayscale", window_seconds: float | None = None) -> dict:
    """The sidecar's description of a model's input (see the module docstring)."""
    if kind not in INPUT_KINDS:
        raise ValueError(f"unknown input kind {kind!r}; valid: {', '.join(INPUT_KINDS)}")
    return {"input": kind, "mel": asdict(mel), "image_size": image_size, "color": color, "window_seconds": window_seconds}


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
    if len(samples) < int(round(seconds * prep["mel"]["sample_rate"])):
        notes.append(f"shorter than one {seconds:g}-s window: padded with silence")
    if len(samples) == 0 or float(np.max(np.abs(samples))) <= SILENCE_PEAK:
        notes.append("digital silence: the prediction means nothing")
    return notes


def prepare_audio(samples: np.ndarray, prep: dict) -> np.ndarray:
    """Network inputs ``(windows, height, width, channels)`` for a mono waveform at ``prep["mel"]["sample_rate"]``."""
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
    samples, _ = audio.load(path, sr=prep["mel"]["sample_rate"])
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


def _check_preprocessing(sidecar: dict, model_path: Path) -> None:
    prep = sidecar["preprocessing"]
    kind = prep.get("input") if isinstance(prep, dict) else None
    if kind not in INPUT_KINDS:
        raise cli.UserError(f"{model_path.with_suffix('.json')}: preprocessing input {kind!r} is not one of "
                            f"{', '.join(INPUT_KINDS)}; save the model again with helpers.artifacts.save_artifact")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.predict", description="Classify audio files with a saved model.")
    parser.add_argument("model", type=Path, help="a .keras file saved by helpers.artifacts.save_artifact (its .json beside it)")
    parser.add_argument("inputs", type=Path, nargs="+", help="audio files or folders (PNG files for a kaggle-image model)")
    parser.add_argument("--top", type=cli.positive_int, default=3, help="genres to list per file")
    args = parser.parse_args(argv)
    # Everything that can be checked without TensorFlow is checked first (its import takes seconds).
    try:
        model_path, sidecar = artifacts.read_sidecar(args.model)
    except artifacts.ArtifactError as error:
        raise cli.UserError(str(error)) from None
    _check_preprocessing(sidecar, model_path)
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
    with pd.option_context("display.width", 200, "display.max_colwidth", 80, "display.max_rows", 1000):
        print(table.drop(columns=["note", "error"]).to_string(index=False))
    for _, row in table[table["note"] != ""].iterrows():
        print(f"note: {row['file']}: {row['note']}")
    failed = table[table["error"] != ""]
    for _, row in failed.iterrows():  # the error names the file already
        print(f"skipped: {row['error']}", file=sys.stderr)
    return 1 if len(failed) == len(table) else 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
