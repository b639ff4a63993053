"""Classify audio files with a saved spectrogram network.

A model saved by ``helpers.training.save_artifact`` carries a JSON sidecar with
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
are averaged. Command line::

    python -m helpers.predict MODEL.keras FILE_OR_FOLDER [...] [--top 3]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from . import audio, spectrograms

INPUT_KINDS: tuple[str, ...] = ("mel-image", "log-mel", "kaggle-image")


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


def prepare_audio(samples: np.ndarray, prep: dict) -> np.ndarray:
    """Network inputs ``(windows, height, width, channels)`` for a mono waveform at ``prep["mel"]["sample_rate"]``."""
    mel = spectrograms.MelParams(**prep["mel"])
    if prep["input"] == "kaggle-image":
        raise ValueError("this model was trained on Kaggle images_original PNGs and classifies such images, not audio; "
                         "use a model trained on mel-image or log-mel input to classify audio")
    windows = _windows(samples, mel.sample_rate, float(prep["window_seconds"]))
    if prep["input"] == "mel-image":
        arrays = [spectrograms.image_to_array(spectrograms.image_from_audio(w, mel), prep["image_size"], prep["color"])
                  for w in windows]
    else:
        arrays = [spectrograms.normalize(spectrograms.log_mel(w, mel))[..., None] for w in windows]
    return np.stack(arrays).astype(np.float32)


def prepare_file(path: str | Path, prep: dict) -> np.ndarray:
    """Network inputs for one file: an audio file, or a PNG for a ``kaggle-image`` model."""
    if prep["input"] == "kaggle-image":
        return spectrograms.load_image(path, prep["image_size"], prep["color"], crop_border=True)[None]
    samples, _ = audio.load(path, sr=prep["mel"]["sample_rate"])
    return prepare_audio(samples, prep)


def classify(paths: Sequence[str | Path], model, sidecar: dict, top: int = 3) -> pd.DataFrame:
    """One row per file: ``file, genre, probability, top`` (the ``top`` genres with probabilities), ``windows``.

    Files that cannot be read are not dropped silently: their row has an empty
    genre and the reason in ``error``.
    """
    genres = sidecar["genres"]
    rows = []
    for path in paths:
        try:
            inputs = prepare_file(path, sidecar["preprocessing"])
        except (audio.AudioError, OSError) as error:
            rows.append(dict(file=str(path), genre="", probability=float("nan"), top="", windows=0, error=str(error)))
            continue
        probabilities = model.predict(inputs, verbose=0).mean(axis=0)
        order = np.argsort(probabilities)[::-1][:top]
        rows.append(dict(file=str(path), genre=genres[order[0]], probability=float(probabilities[order[0]]),
                         top=", ".join(f"{genres[i]} {probabilities[i]:.2f}" for i in order), windows=len(inputs), error=""))
    return pd.DataFrame(rows, columns=["file", "genre", "probability", "top", "windows", "error"])


def _files(arguments: Sequence[Path], kind: str) -> list[Path]:
    wanted = (lambda p: p.suffix.lower() == ".png") if kind == "kaggle-image" else audio.is_audio_file
    files = []
    for argument in arguments:
        if argument.is_dir():
            files += sorted(p for p in argument.rglob("*") if p.is_file() and wanted(p))
        else:
            files.append(argument)
    return files


def main(argv: list[str] | None = None) -> int:
    from .training import load_artifact

    parser = argparse.ArgumentParser(prog="python -m helpers.predict", description="Classify audio files with a saved model.")
    parser.add_argument("model", type=Path, help="a .keras file saved by helpers.training.save_artifact (its .json beside it)")
    parser.add_argument("inputs", type=Path, nargs="+", help="audio files or folders (PNG files for a kaggle-image model)")
    parser.add_argument("--top", type=int, default=3, help="genres to list per file")
    args = parser.parse_args(argv)
    try:
        model, sidecar = load_artifact(args.model)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    missing = [str(p) for p in args.inputs if not p.exists()]
    if missing:
        print(f"error: no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    files = _files(args.inputs, sidecar["preprocessing"]["input"])
    if not files:
        print("error: no audio files found in the given folders", file=sys.stderr)
        return 2
    try:
        table = classify(files, model, sidecar, top=args.top)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    with pd.option_context("display.width", 200, "display.max_colwidth", 80, "display.max_rows", 1000):
        print(table.drop(columns="error").to_string(index=False))
    failed = table[table["error"] != ""]
    for _, row in failed.iterrows():
        print(f"skipped {row['file']}: {row['error']}", file=sys.stderr)
    return 1 if len(failed) == len(table) else 0


if __name__ == "__main__":
    sys.exit(main())
