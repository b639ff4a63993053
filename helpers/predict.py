"""Classify audio files with a saved network; by default with the musicnn-based model of notebook 05.

A model saved by ``helpers.models.artifacts.save_artifact`` carries a JSON sidecar with
its genre order and the preprocessing it was trained on; :func:`prepare_audio`
rebuilds exactly that input from a waveform, so a new file gets the same
treatment as the training clips:

``mel-image``     the PNG recipe of ``helpers.inputs.spectrograms`` (log-mel, min-max,
                  128x128 grayscale) resized to the model's ``image_size``;
``log-mel``       normalised log-mel arrays of ``window_seconds`` segments;
``kaggle-image``  Kaggle ``images_original`` PNGs (border cropped): such a model
                  classifies images, not audio, because the Kaggle rendering
                  recipe is not published;
``musicnn-mel``   musicnn's input (``helpers.models.pretrained_port``): the file decoded
                  to 16 kHz (musicnn's resampler), log-mel, 3-s windows every ``hop_seconds``
                  (:func:`musicnn_preprocessing`); the model takes one
                  ``(187, 96)`` window and gives genre probabilities.

A file longer than one window is cut into windows and the window probabilities
are averaged. A file shorter than one window is padded (with silence; by repeating
it for ``musicnn-mel``), and a file of digital silence gets a prediction that means
nothing: both are said in the ``note`` column, never silently. Command line::

    python -m helpers.predict [MODEL.keras] FILE_OR_FOLDER [...] [--top 3]
    python -m helpers.predict --multi [MODEL.keras] FILE_OR_FOLDER [...] [--threshold T]
    python -m helpers.predict [MODEL.keras] --about

When the first argument does not end in ``.keras`` or ``.json`` every argument is
an input and the default model is used (:func:`default_model`): ``$MGC_MODEL`` if
set, else ``models/musicnn-default.keras`` of the repository (``./run_all.sh
--in-place``), else the newest ``runs/*/models/musicnn-default.keras`` (``./run_all.sh``);
stderr names the file used. A model trained on the synthetic set or on the smoke
profile (the test suite's runs) is never a default: its predictions mean nothing for
real music; named explicitly it is used, with a warning. Options may come before,
between or after the model and the files. ``--about`` prints the model's card (genres,
training data, protocol, test accuracy with its 95 % interval, what it cannot do) and exits.

``--multi`` lists several genres per file: every genre whose (sigmoid) probability is
at least the model's threshold, most probable first, or ``none above threshold T``
with the most probable genre. It needs a multi-genre model (``helpers.models.multigenre``;
its card's ``multi_label`` holds the threshold and where it was chosen): by default
``musicnn-multi.keras``, found like the default model (``$MGC_MULTI_MODEL``, else
``models/``, else the newest ``runs/*/models/``). ``--threshold T`` (0 < T < 1)
replaces the model's threshold. A softmax model (one genre per file) is refused
with ``--multi``; a multi-genre model named without ``--multi`` is used as with it.

The model's files are checked before TensorFlow is imported, so a wrong path or a
damaged sidecar (``helpers.models.artifacts.read_sidecar`` checks every value) is
reported at once, and ``--about`` never imports it.

Why this module is long: rebuilding every input kind from audio, finding the default
models, the model card and the command line (one genre or several per file) share one
sidecar and its checks; split apart, each would restate them.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from . import cli
from .data import audio, stream
from .inputs import network_inputs, spectrograms
from .models import artifacts, pretrained, pretrained_port
from .models.artifacts import DEFAULT_MODEL, INPUT_KINDS, MULTI_MODEL, preprocessing  # noqa: F401 (predict.preprocessing)
from .models.pretrained import musicnn_preprocessing  # noqa: F401 (re-exported: predict.musicnn_preprocessing)
from .runtime import REPO_ROOT, display_path

# Per model name: the environment variable that names it, and how it is built (for the message when there is none).
_DEFAULTS = {DEFAULT_MODEL: ("MGC_MODEL", "notebook 05_pretrained_music trains it"),
             MULTI_MODEL: ("MGC_MULTI_MODEL", "notebook 06_transfer_learning saves it: ./run_all.sh --only 06")}
# A first argument with one of these suffixes names the model; .h5/.hdf5 only to say that they are not .keras files.
MODEL_SUFFIXES = (".keras", ".json", ".h5", ".hdf5")
# Peak amplitude at or below which a waveform counts as digital silence (-120 dBFS).
SILENCE_PEAK = 1e-6


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
        if 0 < len(samples) < pretrained_port.N_FFT:
            # shorter than one STFT frame: repeated to fill it, as windows() repeats a short clip, so that the padding
            # note says it once (librosa would also warn that n_fft is too large)
            samples = np.resize(samples, pretrained_port.N_FFT)
        mel = pretrained_port.log_mel(samples)
        return pretrained_port.windows(mel, pretrained_port.hop_frames(float(prep["hop_seconds"]))).astype(np.float32)
    mel = spectrograms.MelParams(**prep["mel"])
    if prep["input"] == "kaggle-image":
        raise ValueError("this model was trained on Kaggle images_original PNGs and classifies such images, not audio; "
                         "use a model trained on mel-image or log-mel input to classify audio")
    return _window_inputs(_windows(samples, mel.sample_rate, float(prep["window_seconds"])), prep)


def _window_inputs(windows: Sequence[np.ndarray], prep: dict) -> np.ndarray:
    """The network input of each waveform window of a ``mel-image`` or ``log-mel`` model, stacked."""
    mel = spectrograms.MelParams(**prep["mel"])
    if prep["input"] == "mel-image":
        arrays = [network_inputs.image_to_array(spectrograms.image_from_audio(w, mel), prep["image_size"], prep["color"])
                  for w in windows]
    else:
        arrays = [spectrograms.normalize(spectrograms.log_mel(w, mel))[..., None] for w in windows]
    return np.stack(arrays).astype(np.float32)


def _is_long(path: str | Path, prep: dict) -> bool:
    """Whether ``path`` is an audio file read block by block (longer than ``stream.LONG_FILE_SECONDS``)."""
    if prep["input"] == "kaggle-image":
        return False
    try:
        return audio.info(path).duration > stream.LONG_FILE_SECONDS
    except audio.AudioError:  # the whole decode reports why
        return False


class Peak:
    """The largest absolute sample of the blocks passed through :meth:`track`."""

    def __init__(self) -> None:
        self.value = 0.0

    def track(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for block in blocks:
            if len(block):
                self.value = max(self.value, float(np.max(np.abs(block))))
            yield block


def long_file_batches(path: str | Path, prep: dict, peak: Peak) -> Iterator[np.ndarray]:
    """:func:`prepare_file`'s inputs of a long file, in batches, from its waveform read block by block: memory
    bounded by a block, not by the file's length (a long file needs no padding, so there is nothing else to do)."""
    if prep["input"] == "musicnn-mel":
        native = stream.blocks(path, sr=None)
        waveform = peak.track(pretrained.resample_blocks(native, stream.sample_rate(path, None)))
        hop = pretrained_port.hop_frames(float(prep["hop_seconds"]))
        yield from pretrained_port.log_mel_window_batches(waveform, hop)
        return
    length = int(round(float(prep["window_seconds"]) * sample_rate(prep)))
    rest = np.zeros(0, np.float32)
    for block in peak.track(stream.blocks(path, sr=sample_rate(prep))):
        rest = np.concatenate([rest, block])
        count = len(rest) // length  # whole windows, as audio.segment cuts them; the tail is dropped
        if count:
            yield _window_inputs([rest[i * length:(i + 1) * length] for i in range(count)], prep)
            rest = rest[count * length:].copy()


def _long_file_probabilities(path: str | Path, model, prep: dict) -> tuple[np.ndarray, int, list[str]]:
    """``(mean window probabilities, windows, notes)`` of a long file (:func:`long_file_batches`)."""
    peak, total, windows = Peak(), None, 0
    for batch in long_file_batches(path, prep, peak):
        probabilities = model.predict(batch, verbose=0).astype(np.float64)
        total = probabilities.sum(axis=0) + (0.0 if total is None else total)
        windows += len(batch)
    notes = ["digital silence: the prediction means nothing"] if peak.value <= SILENCE_PEAK else []
    return (total / windows).astype(np.float32), windows, notes


def decode(path: str | Path, prep: dict) -> tuple[np.ndarray, float]:
    """An audio file's samples at the model's rate and its duration in seconds (for ``musicnn-mel``, musicnn's
    resampling, as the training clips had). Raises ``audio.AudioError`` for an unreadable file."""
    if prep["input"] == "musicnn-mel":
        samples, sr = audio.load(path, sr=None)
        return pretrained.resample(samples, sr), len(samples) / sr
    samples, sr = audio.load(path, sr=sample_rate(prep))
    return samples, len(samples) / sr


def _prepare_with_notes(path: str | Path, prep: dict) -> tuple[np.ndarray, list[str]]:
    if prep["input"] == "kaggle-image":
        return network_inputs.load_image(path, prep["image_size"], prep["color"], crop_border=True)[None], []
    samples, _ = decode(path, prep)
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
    for path, probabilities, windows, notes, error in _file_probabilities(paths, model, sidecar["preprocessing"]):
        if error:
            rows.append(dict(file=str(path), genre="", probability=float("nan"), top="", windows=0, note="", error=error))
            continue
        order = np.argsort(probabilities)[::-1][:top]
        rows.append(dict(file=str(path), genre=genres[order[0]], probability=float(probabilities[order[0]]),
                         top=", ".join(f"{genres[i]} {probabilities[i]:.2f}" for i in order), windows=windows,
                         note="; ".join(notes), error=""))
    return pd.DataFrame(rows, columns=["file", "genre", "probability", "top", "windows", "note", "error"])


def beside_truth(shown: pd.DataFrame, truth: Sequence[str]) -> pd.DataFrame:
    """:func:`classify`'s table for reading in a notebook, with the true genre of each file (in the same order)
    beside the predicted one: file name without folders, true, predicted, the three most probable (``top``
    already holds the winner's probability), windows; ``note`` and ``error`` kept only where a row has one."""
    table = pd.DataFrame({"file": shown["file"].map(lambda f: Path(f).name).to_numpy(), "true": list(truth),
                          "predicted": shown["genre"].to_numpy(), "most probable": shown["top"].to_numpy(),
                          "windows": shown["windows"].to_numpy()})
    for column in ("note", "error"):
        if column in shown and shown[column].astype(bool).any():
            table[column] = shown[column].to_numpy()
    return table


def _file_probabilities(paths: Sequence[str | Path], model, prep: dict):
    """Per file ``(path, mean window probabilities, windows, notes, error)``; an unreadable file has its reason in ``error``."""
    for path in paths:
        try:
            if _is_long(path, prep):
                yield path, *_long_file_probabilities(path, model, prep), ""
                continue
            inputs, notes = _prepare_with_notes(path, prep)
        except (audio.AudioError, OSError) as error:
            yield path, None, 0, [], str(error)
            continue
        yield path, model.predict(inputs, verbose=0).mean(axis=0), len(inputs), notes, ""


def multi_label(sidecar: dict) -> dict | None:
    """The multi-genre settings of a saved model (``threshold``, ``threshold_source``), or ``None`` for a softmax model."""
    card = sidecar.get("card") if isinstance(sidecar.get("card"), dict) else {}
    settings = card.get("multi_label")
    return settings if isinstance(settings, dict) and isinstance(settings.get("threshold"), (int, float)) else None


def genre_set_text(probabilities: np.ndarray, genres: Sequence[str], threshold: float) -> str:
    """``jazz 0.81, blues 0.44``: the genres at or above ``threshold``, most probable first; ``none above threshold
    0.2 (top: jazz 0.12)`` when there is none."""
    order = np.argsort(probabilities, kind="stable")[::-1]
    chosen = [i for i in order if probabilities[i] >= threshold]
    if not chosen:
        return f"none above threshold {threshold:g} (top: {genres[order[0]]} {probabilities[order[0]]:.2f})"
    return ", ".join(f"{genres[i]} {probabilities[i]:.2f}" for i in chosen)


def classify_multi(paths: Sequence[str | Path], model, sidecar: dict, threshold: float) -> pd.DataFrame:
    """One row per file: ``file, genres`` (:func:`genre_set_text`), ``set_size``, ``windows``, ``note`` and ``error``
    (as in :func:`classify`: unreadable files keep a row with the reason)."""
    genres = sidecar["genres"]
    rows = []
    for path, probabilities, windows, notes, error in _file_probabilities(paths, model, sidecar["preprocessing"]):
        if error:
            rows.append(dict(file=str(path), genres="", set_size=0, windows=0, note="", error=error))
            continue
        rows.append(dict(file=str(path), genres=genre_set_text(probabilities, genres, threshold),
                         set_size=int((probabilities >= threshold).sum()), windows=windows, note="; ".join(notes), error=""))
    return pd.DataFrame(rows, columns=["file", "genres", "set_size", "windows", "note", "error"])


def _is_png(path: Path) -> bool:
    return path.suffix.lower() == ".png"


def _files(arguments: Sequence[Path], wanted: Callable[[Path], bool]) -> list[Path]:
    """The files given and those under the folders given that ``wanted`` accepts; what looks wanted but cannot be
    read as a file (a folder named ``x.wav``, a symlink loop, a broken link) is said on stderr, never left out
    silently."""
    files, skipped = audio.find_audio_files(arguments, wanted)
    for path, reason in skipped:
        print(f"skipped: {path}: {reason}", file=sys.stderr)
    return files


def _read_sidecar(model_file: Path) -> tuple[Path, dict]:
    try:
        return artifacts.read_sidecar(model_file)
    except artifacts.ArtifactError as error:
        raise cli.UserError(str(error)) from None


def default_model(root: str | os.PathLike | None = None, name: str = DEFAULT_MODEL) -> Path:
    """The model used when none is named: ``$MGC_MODEL`` if set, else ``root/models/musicnn-default.keras``
    (``./run_all.sh --in-place``), else the most recently modified ``root/runs/*/models/musicnn-default.keras``;
    never one trained on the synthetic set or on the smoke profile (``artifacts.smoke_or_synthetic``).

    ``root`` is the repository (default). ``name`` :data:`MULTI_MODEL` finds the multi-genre model the same
    way (``$MGC_MULTI_MODEL`` first). Raises ``cli.UserError`` when there is none, saying when only smoke or
    synthetic models were found and how to name one.
    """
    variable, built_by = _DEFAULTS.get(name, ("", "notebook 05_pretrained_music trains it"))
    if variable and os.environ.get(variable):
        return Path(os.environ[variable])
    root = Path(root if root is not None else REPO_ROOT)
    in_place = root / "models" / f"{name}.keras"
    runs = sorted((p for p in root.glob(f"runs/*/models/{name}.keras") if p.is_file()), key=lambda p: p.stat().st_mtime,
                  reverse=True)
    found = ([in_place] if in_place.is_file() else []) + runs
    for path in found:
        if artifacts.smoke_or_synthetic(*_read_sidecar(path)) is None:
            return path
    which, usage = ("default model", "") if name == DEFAULT_MODEL else ("multi-genre model", "--multi ")
    if found:
        raise cli.UserError(f"no {which} for real music under {root}: {len(found)} {name}.keras found (newest: "
                            f"{_shown(found[0])}), each trained on the synthetic set or on the smoke profile, whose "
                            f"predictions mean nothing for real music; build one from a real dataset with ./run_all.sh "
                            f"({built_by}), or name one explicitly: python -m helpers.predict {usage}MODEL.keras FILE ...")
    raise cli.UserError(f"no model named and no {which} ({name}.keras) found under {root}: build it with "
                        f"./run_all.sh ({built_by}), or name a model file: "
                        f"python -m helpers.predict {usage}MODEL.keras FILE ...")


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


# The metrics --about quotes, as a results record names them (the last three: multi-genre models).
METRIC_LABELS = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "macro_f1": "macro F1",
                 "exact_set_accuracy": "exact-set accuracy", "jaccard": "Jaccard", "both_in_top2": "both genres in the top 2"}


def about(model_path: Path, sidecar: dict) -> str:
    """The model card as plain text, from the sidecar alone (no TensorFlow): what ``--about`` prints."""
    card = sidecar.get("card") if isinstance(sidecar.get("card"), dict) else {}
    lines = [f"Model: {Path(model_path).stem} ({_shown(Path(model_path))})"]
    toy = artifacts.smoke_or_synthetic(model_path, sidecar)
    if toy:
        lines.append(f"Warning: {toy}: its predictions mean nothing for real music")
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
    settings = multi_label(sidecar)
    if settings:
        lines.append(f"Several genres per file (--multi): those with probability >= {settings['threshold']:g} "
                     f"(threshold: {settings.get('threshold_source') or 'source not recorded'})")
    metrics = sidecar.get("metrics") or {}
    for key, label in METRIC_LABELS.items():
        m = metrics.get(key)
        if isinstance(m, dict) and {"value", "ci_low", "ci_high"} <= set(m):
            lines.append(f"Test {label}: {m['value']:.3f} [{m['ci_low']:.3f}, {m['ci_high']:.3f}] (95 % interval)")
    if not metrics:
        lines.append("Test metrics: not recorded")
    sizes = card.get("sizes")
    if isinstance(sizes, dict) and "test" in sizes:
        others = ", ".join(f"{part} {n}" for part, n in sizes.items() if part != "test")
        mode = {"mix": "two clips mixed", "concat": "15 s + 15 s of two clips"}.get((settings or {}).get("test_mode"), "")
        unit = f"two-genre songs ({mode})" if settings and mode else ("two-genre songs" if settings else "clips")
        lines.append(f"Test size: {sizes['test']} {unit}" + (f" (trained on {others})" if others else ""))
        chance = (settings or {}).get("chance_exact_set_accuracy")
        if isinstance(chance, (int, float)):
            lines.append(f"Chance exact-set accuracy (always the two commonest training genres): {chance:.3f}")
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
        if key not in ("summary", "training_data", "sizes", "limitations", "validation", "per_genre_test_recall", "multi_label"):
            lines.append(f"{key}: {value if isinstance(value, str) else json.dumps(value)}")
    return "\n".join(lines)


def _threshold(text: str | None) -> float | None:
    """``--threshold``'s value, or ``cli.UserError`` (one line) unless it is a number strictly between 0 and 1."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value < 1:  # NaN fails too
        raise cli.UserError(f"--threshold {text} is not allowed: give a probability between 0 and 1 (exclusive), such as 0.2")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.predict", description="Classify audio files with a saved model.",
                                     usage="%(prog)s [--multi [--threshold T]] [MODEL.keras] FILE_OR_FOLDER [...] [--top N] "
                                           "| [MODEL.keras] --about")
    parser.add_argument("paths", type=Path, nargs="*", metavar="[MODEL.keras] FILE_OR_FOLDER",
                        help="a .keras file saved by helpers.models.artifacts.save_artifact (its .json beside it; default: "
                             f"$MGC_MODEL, else the {DEFAULT_MODEL} model built by ./run_all.sh; with --multi: "
                             f"$MGC_MULTI_MODEL, else {MULTI_MODEL}), then audio files or folders "
                             "(PNG files for a kaggle-image model)")
    parser.add_argument("--top", type=cli.positive_int, default=None, help="genres to list per file (default 3; one-genre models)")
    parser.add_argument("--multi", action="store_true",
                        help=f"several genres per file: those at or above the model's threshold (a multi-genre model, "
                             f"default {MULTI_MODEL})")
    parser.add_argument("--threshold", metavar="T", help="with --multi: the probability a genre needs (0 < T < 1; default: the model's)")
    parser.add_argument("--about", action="store_true", help="print the model's card (accuracy, training data, limits) and exit")
    args = parser.parse_intermixed_args(argv)  # options also between the model and the files
    threshold = _threshold(args.threshold)
    named = bool(args.paths) and args.paths[0].suffix.lower() in MODEL_SUFFIXES
    args.inputs = args.paths[1:] if named else args.paths
    if not args.inputs and not args.about:
        parser.error("give audio files or folders to classify (after the model, if you name one), or --about")
    wanted_model = MULTI_MODEL if args.multi else DEFAULT_MODEL
    model_file = args.paths[0] if named else default_model(name=wanted_model)
    if not named:
        variable = _DEFAULTS[wanted_model][0]
        source = f"from ${variable}" if os.environ.get(variable) else "the default; name a .keras file to use another"
        print(f"model: {_shown(model_file)} ({source})", file=sys.stderr)
    # Everything that can be checked without TensorFlow is checked first (its import takes seconds).
    model_path, sidecar = _read_sidecar(model_file)
    settings = multi_label(sidecar)
    if args.about:  # the card of any model, with a word when it is not what --multi needs
        print(about(model_path, sidecar))
        if args.multi and settings is None:
            print(f"(not a multi-genre model: --multi needs {MULTI_MODEL}.keras, made by notebook 06)")
        return 0
    if args.multi and settings is None:
        raise cli.UserError(f"{_shown(model_path)} was trained for one genre per file (softmax, no multi-genre threshold in "
                            f"its sidecar); for several genres per file use the multi-genre model {MULTI_MODEL}.keras: "
                            f"python -m helpers.predict --multi [{MULTI_MODEL}.keras] FILE ...")
    if threshold is not None and settings is None:
        raise cli.UserError("--threshold applies to a multi-genre model only (--multi); this model gives one genre per file")
    missing = [str(p) for p in args.inputs if not p.exists()]
    if missing:
        raise cli.UserError(f"no such file or folder: {', '.join(missing)}")
    kind = sidecar["preprocessing"]["input"]
    accepted = _is_png if kind == "kaggle-image" else audio.is_audio_file
    files = _files(args.inputs, accepted)
    wanted = "PNG files" if kind == "kaggle-image" else f"audio files ({', '.join(audio.SUPPORTED_EXTENSIONS)})"
    if not any(accepted(f) for f in files):
        raise cli.UserError(f"no {wanted} among the given files and folders")
    toy = artifacts.smoke_or_synthetic(model_path, sidecar)
    if toy:  # only ever named explicitly (default_model never chooses one)
        print(f"warning: {_shown(model_path)} was {toy}: its predictions mean nothing for real music", file=sys.stderr)
    if settings is not None and not args.multi:
        print(f"{_shown(model_path)} is a multi-genre model: listing every genre above its threshold (as --multi)", file=sys.stderr)
    if settings is not None and args.top is not None:
        print("--top does not apply to a multi-genre model: it lists every genre at or above its threshold", file=sys.stderr)
    try:
        model, sidecar = artifacts.load_artifact(model_path)
        if settings is not None:
            threshold = settings["threshold"] if threshold is None else threshold
            table = classify_multi(files, model, sidecar, threshold)
        else:
            table = classify(files, model, sidecar, top=args.top or 3)
    except (artifacts.ArtifactError, ValueError) as error:
        raise cli.UserError(str(error)) from None
    failed = table[table["error"] != ""]
    classified = table[table["error"] == ""]
    if settings is not None and len(classified):
        source = "given with --threshold" if args.threshold is not None else settings.get("threshold_source") or "the model's"
        print(f"genres with probability >= {threshold:g} ({source}), most probable first")
    if len(classified):  # unreadable files are listed below, not shown as rows without a genre
        with pd.option_context("display.width", 200, "display.max_colwidth", 80, "display.max_rows", 1000):
            print(classified.drop(columns=["note", "error", "set_size"], errors="ignore").to_string(index=False))
    for _, row in classified[classified["note"] != ""].iterrows():
        print(f"note: {row['file']}: {row['note']}")
    for _, row in failed.iterrows():  # the error names the file already
        print(f"skipped: {row['error']}", file=sys.stderr)
    return 1 if len(failed) == len(table) else 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
