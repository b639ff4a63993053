"""Pretrained music networks: musicnn's taggrams and embeddings from audio, cached per clip.

The Keras port of the four musicnn checkpoints lives in ``helpers.models.pretrained_port``;
this module turns audio into their outputs:

* :func:`waveform` decodes a file and resamples it to 16 kHz exactly as musicnn's
  extractor did when the checkpoints' published outputs were made (librosa 0.7 with
  resampy 0.2's ``kaiser_best`` filter, rebuilt from its parameters because resampy 0.3
  revised its filters): with it the port reproduces the reference taggrams to 1e-4;
  with soxr the clip means differ by up to 0.06, since the networks are sensitive to
  the 7-8 kHz band. The resampler is part of every cache key;
* :class:`WindowOutputs` is a ``helpers.inputs.representations`` representation: one decode
  and one mel computation per clip feed all the checkpoints asked for, every window
  of a clip goes through each network in one batch, and the per-window outputs are
  cached per clip (file content, checkpoint, hop, library versions);
* :func:`window_values`: one checkpoint's window outputs per readable clip, with the
  published reference taggrams standing in for clips whose audio is absent
  (:func:`reference_taggrams`); every row says its source. What the clip embeddings,
  the parity check and the heads of ``helpers.models.heads`` all read;
* :func:`clip_embeddings` pools the window outputs into one vector per clip (:data:`EMBEDDINGS`);
* :func:`parity` compares the port with the reference taggrams;
* :class:`LogMel`: musicnn's log-mel of a clip, cached per clip (the input of fine-tuning).

Command line (other tools rely on these exactly)::

    python -m helpers.models.pretrained taggram PATH... --model msd-musicnn --hop-seconds 1 --out FILE.npz
    python -m helpers.models.pretrained embed PATH... --model msd-musicnn --embedding taggram-stats --out FILE.npz
    python -m helpers.models.pretrained parity GTZAN_DIR [--out FILE.csv]

``taggram`` writes ``X`` (float32, one row of tag activations per window, in window
order) and ``IDS`` (the ID of each row's file); ``embed`` writes one row per clip.
PATH may be files or folders; unreadable files are listed and skipped. A file's ID is
its path relative to the deepest folder that holds every PATH (a folder given, or the
folder of a file given), ``/`` between folders, without the extension unless two files
would then share an ID: ``blues.00029`` for ``genres/blues/blues.00029.wav`` given
with ``genres/blues/``, ``one/song`` and ``two/song`` for ``one/song.wav two/song.flac``.

Why this module is long: extraction, pooling, the reference stand-in and the parity
check share one cache layout and one notion of a clip's windows; split apart, each
piece would have to restate them.
"""

from __future__ import annotations

import argparse
import os
import sys
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .. import cli
from ..data import audio, cache
from ..inputs import representations
from ..runtime import progress as progress_bar
from . import pretrained_port
from .pretrained_port import CHECKPOINTS, SAMPLE_RATE, PretrainedError, build, checkpoint, hop_frames, log_mel, windows

RESAMPLER = "resampy-0.2-kaiser_best"
# resampy 0.2's kaiser_best filter (resampy/data/kaiser_best.npz of 0.2.2): 64 zero crossings,
# 2**9 samples per crossing, Kaiser window beta 14.77, roll-off 0.9476 of Nyquist.
KAISER_BEST_0_2 = dict(num_zeros=64, precision=9, beta=14.769656459379492, rolloff=0.9475937167399596)
# Part of every cache key: raise it when the port's architecture, weight mapping or input changes.
PORT_VERSION = 1
DEFAULT_HOP_SECONDS = 1.0
CACHE_LIBRARIES = ("librosa", "resampy", "numpy", "keras", "tensorflow")
# What shapes a cached log-mel (LogMel): the decoder, the resampler (scipy draws its window) and the mel.
MEL_LIBRARIES = ("soundfile", "resampy", "scipy", "librosa", "numpy")
# Windows per network call: large enough to keep the matrix units busy, small enough for a laptop's memory.
BATCH_WINDOWS = 128

# Clip embeddings: name -> how a clip's window outputs are pooled into one vector (every checkpoint has each)
EMBEDDINGS: dict[str, str] = {
    "taggram-mean": "mean of the window taggrams (50 tags)",
    "taggram-stats": "mean, max and standard deviation of the window taggrams (150)",
    "penultimate": "mean and standard deviation of the penultimate layer (musicnn: 2 x 200; VGG: pool5, 2 x 256)",
    "midlevel": "mean of the mid-end's temporal mean pool and max of its max pool (musicnn: 2 x 753; VGG: pool4, 2 x 128)",
}


def waveform(path: str | Path) -> np.ndarray:
    """A file decoded to 16 kHz mono float32 (:data:`RESAMPLER`). Raises ``audio.AudioError`` for an unreadable file."""
    samples, sr = audio.load(path, sr=None)
    return resample(samples, sr)


def _kaiser_best_filter() -> dict:
    """resampy's ``sinc_window`` filter with the ``kaiser_best`` settings of resampy 0.2."""
    import scipy.signal

    params = KAISER_BEST_0_2
    return dict(num_zeros=params["num_zeros"], precision=params["precision"], rolloff=params["rolloff"],
                window=lambda n: scipy.signal.get_window(("kaiser", params["beta"]), n))


def resample(samples: np.ndarray, sr: int) -> np.ndarray:
    """``samples`` at ``sr`` resampled to 16 kHz as librosa 0.7's ``load`` did (resampy ``kaiser_best`` of
    resampy 0.2, output length ``ceil(n * 16000 / sr)``)."""
    if sr == SAMPLE_RATE:
        return np.asarray(samples, dtype=np.float32)
    import resampy

    out = resampy.resample(np.asarray(samples, dtype=np.float32), sr, SAMPLE_RATE, filter="sinc_window",
                           **_kaiser_best_filter())
    length = int(np.ceil(len(samples) * SAMPLE_RATE / sr))
    return np.pad(out, (0, max(0, length - len(out))))[:length].astype(np.float32)


def resample_blocks(blocks: Iterable[np.ndarray], sr: int) -> Iterator[np.ndarray]:
    """:func:`resample` of the concatenated ``blocks``, yielded block by block: the same samples, bit for bit, in
    memory bounded by a block.

    resampy computes output ``n`` from the input within ``reach`` samples of ``n * sr / 16000``; each block of
    outputs is computed by resampy's own loop from the input kept around it (with the same output times), so no
    value depends on where the blocks start."""
    if sr == SAMPLE_RATE:
        yield from (np.asarray(block, dtype=np.float32) for block in blocks)
        return
    import resampy
    from resampy.interpn import resample_f_s

    interp_win, precision, _ = resampy.filters.get_filter("sinc_window", **_kaiser_best_filter())
    ratio = float(SAMPLE_RATE) / sr
    if ratio < 1:  # as resampy.resample scales its filter when downsampling
        interp_win = ratio * interp_win
    interp_delta = np.diff(interp_win, append=interp_win[-1])
    scale, step = min(1.0, ratio), 1.0 / ratio
    reach = len(interp_win) // int(scale * precision) + 1  # input samples either wing of the filter can touch
    buffer, start, done, total = np.zeros(0, np.float32), 0, 0, 0  # buffer[0] is input sample `start`
    blocks = iter(blocks)
    while True:
        block = next(blocks, None)
        if block is not None:
            total += len(block)
            buffer = np.concatenate([buffer, np.asarray(block, dtype=np.float32)])
        if block is None:
            stop = int(total * float(SAMPLE_RATE) / float(sr))  # resampy.resample's output length
        else:  # the outputs whose right wing lies in the buffer
            end = start + len(buffer)
            stop = int((end - reach - 1) * ratio)
            while stop > done and int(stop * step) + reach >= end:
                stop -= 1
        if stop > done:
            out = np.zeros(stop - done, dtype=np.float32)
            resample_f_s(buffer, np.arange(done, stop) * step - start, interp_win, interp_delta, precision, scale, out)
            yield out
            done = stop
        if block is None:
            break
        keep_from = max(start, int(done * step) - reach - 1)
        buffer, start = buffer[keep_from - start:], keep_from
    length = int(np.ceil(total * SAMPLE_RATE / sr))  # resample's padding to librosa 0.7's length
    if length > done:
        yield np.zeros(length - done, np.float32)


# ---------------------------------------------------------------------------- running the networks

_MODELS: dict[str, object] = {}


def model(name: str):
    """The Keras model of checkpoint ``name``, built once per process."""
    if name not in _MODELS:
        _MODELS[name] = build(name)
    return _MODELS[name]


def run_windows(name: str, batch: np.ndarray, batch_windows: int = BATCH_WINDOWS) -> dict[str, np.ndarray]:
    """Every output of checkpoint ``name`` for ``(n, 187, 96)`` windows, ``batch_windows`` at a time."""
    net = model(name)
    parts = [net.predict_on_batch(batch[i:i + batch_windows]) for i in range(0, len(batch), batch_windows)]
    return {key: np.concatenate([np.asarray(p[key], dtype=np.float32) for p in parts]) for key in parts[0]}


def window_outputs(samples: np.ndarray, names: Sequence[str], hop: int) -> dict[str, dict[str, np.ndarray]]:
    """Per checkpoint, every output for the windows of one 16-kHz waveform (the mel is computed once)."""
    batch = windows(log_mel(samples), hop)
    return {name: run_windows(name, batch) for name in names}


@dataclass(frozen=True)
class WindowOutputs:
    """The per-window outputs of checkpoints ``names`` at ``hop_seconds``, as a representation (see module docstring)."""

    names: tuple[str, ...]
    hop_seconds: float = DEFAULT_HOP_SECONDS
    name: str = "musicnn windows"
    sample_rate: int | None = None  # decode at the file's own rate; resample() uses RESAMPLER

    def __post_init__(self):
        for n in self.names:
            checkpoint(n)

    def _entry(self, track: Mapping, name: str) -> Path:
        key = cache.key("musicnn-windows", PORT_VERSION, name, hop_frames(self.hop_seconds), RESAMPLER, files=[track["path"]],
                        libraries=CACHE_LIBRARIES)
        return cache.entry("musicnn", key, ".npz")

    def cached(self, track: Mapping) -> dict | None:
        found = {}
        for n in self.names:
            arrays = cache.read_arrays(self._entry(track, n), ("taggram", *checkpoint(n).embedding_layers))
            if arrays is None:
                return None
            found[n] = arrays
        return found

    def compute(self, samples, sr: int, track: Mapping) -> dict:
        return window_outputs(resample(samples, sr), self.names, hop_frames(self.hop_seconds))

    def store(self, track: Mapping, value: dict) -> None:
        for n, arrays in value.items():
            cache.write_arrays(self._entry(track, n), **arrays)


@dataclass(frozen=True)
class LogMel:
    """musicnn's log-mel of a clip (``(frames, 96)``, from :func:`waveform`'s 16-kHz samples), as a representation.

    Cached per clip by file content, the resampler, the mel's parameters and the libraries that compute
    them (not by a window hop: the windows are cut from the cached log-mel, so every hop shares one entry).
    """

    name: str = "log-mel windows"
    sample_rate: int | None = None  # decode at the file's own rate; resample() uses RESAMPLER

    def _entry(self, track: Mapping) -> Path:
        port = pretrained_port
        mel = dict(sample_rate=SAMPLE_RATE, n_fft=port.N_FFT, hop_length=port.HOP_LENGTH, n_mels=port.N_MELS, pad_mode="reflect")
        key = cache.key("musicnn-log-mel", PORT_VERSION, RESAMPLER, mel, files=[track["path"]], libraries=MEL_LIBRARIES)
        return cache.entry("musicnn-mel", key, ".npz")

    def cached(self, track: Mapping) -> np.ndarray | None:
        arrays = cache.read_arrays(self._entry(track), ("mel",))
        return None if arrays is None else arrays["mel"]

    def compute(self, samples, sr: int, track: Mapping) -> np.ndarray:
        return log_mel(resample(samples, sr))

    def store(self, track: Mapping, value: np.ndarray) -> None:
        cache.write_arrays(self._entry(track), mel=value)


def extract(tracks: pd.DataFrame, names: Sequence[str], hop_seconds: float = DEFAULT_HOP_SECONDS,
            progress: bool = True) -> representations.PassResult:
    """The window outputs of every readable track for checkpoints ``names`` (cached; decoded once per clip).

    Runs in this process: TensorFlow already uses every core for one batch.
    """
    rep = WindowOutputs(tuple(names), hop_seconds)
    return representations.compute(tracks, [rep], jobs=1, progress=progress, desc=f"musicnn ({', '.join(names)})")


# ---------------------------------------------------------------------------- clip embeddings

def pool(outputs: Mapping[str, np.ndarray], name: str, embedding: str) -> np.ndarray:
    """One clip's embedding (see :data:`EMBEDDINGS`) from its window outputs for checkpoint ``name``."""
    if embedding not in EMBEDDINGS:
        raise ValueError(f"unknown embedding {embedding!r}; valid: {', '.join(EMBEDDINGS)}")
    musicnn = checkpoint(name).architecture == "musicnn"
    tags = outputs["taggram"]
    if embedding == "taggram-mean":
        parts = [tags.mean(0)]
    elif embedding == "taggram-stats":
        parts = [tags.mean(0), tags.max(0), tags.std(0)]
    elif embedding == "penultimate":
        layer = outputs["penultimate" if musicnn else "pool5"]
        parts = [layer.mean(0), layer.std(0)]
    elif musicnn:
        parts = [outputs["mean_pool"].mean(0), outputs["max_pool"].max(0)]
    else:
        parts = [outputs["pool4"].mean(0), outputs["pool4"].max(0)]
    return np.concatenate(parts).astype(np.float32)


REFERENCE_FILES = ("musicnn_msd_taggram_train.npz", "musicnn_msd_taggram_test.npz")  # each with arrays X and IDS


def reference_taggrams(folder: str | Path) -> dict[str, np.ndarray]:
    """The published MSD-musicnn taggrams (:data:`REFERENCE_FILES`) per track id: ``(windows, 50)``."""
    folder = Path(folder)
    found: dict[str, np.ndarray] = {}
    for name in REFERENCE_FILES:
        path = folder / name
        if not path.is_file():
            continue
        with np.load(path) as data:
            ids = np.array([Path(str(i)).name.rsplit(".", 1)[0] for i in data["IDS"]])
            X = data["X"].astype(np.float32)
        starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
        for start, stop in zip(starts, np.r_[starts[1:], len(ids)]):
            found[ids[start]] = X[start:stop]
    return found


@dataclass
class WindowValues:
    """One checkpoint's window outputs per clip: ``table`` row ``i`` (the tracks-table row and ``source``: ``port`` or
    ``reference``) has ``values[i]`` (output name -> ``(windows, width)``; a reference clip has ``taggram`` only)."""

    table: pd.DataFrame
    values: list[dict[str, np.ndarray]]
    failed: list[str]


def reference_error(what: str) -> ValueError:
    """The one refusal for asking the reference for something it does not hold (``what``: what was asked for)."""
    return ValueError("the reference holds MSD-musicnn taggrams only, at a 1-s hop: it can stand in for msd-musicnn "
                      f"taggram windows and their embeddings, not {what}")


def window_values(tracks: pd.DataFrame, name: str, hop_seconds: float = DEFAULT_HOP_SECONDS,
                  reference: Mapping[str, np.ndarray] | None = None, reference_tracks: pd.DataFrame | None = None,
                  progress: bool = True) -> WindowValues:
    """Checkpoint ``name``'s window outputs of every readable track through the port (``source`` = ``port``; cached).

    ``reference`` (from :func:`reference_taggrams`: MSD-musicnn taggrams at a 1-s hop) adds the
    clips of ``reference_tracks`` (rows with ``track_id, genre, fixed_split``) whose audio is not
    among ``tracks`` (``source`` = ``reference``), after the port's: a clip with audio always goes
    through the port, so a user with the full dataset gets the same table from the port alone.
    """
    if reference:  # refused before the networks run, so a wrong call costs nothing
        if name != "msd-musicnn" or hop_seconds != 1.0:
            raise reference_error(f"{name} at a {hop_seconds}-s hop")
        if reference_tracks is None:
            raise ValueError("reference taggrams need reference_tracks: the genre and split of each reference clip")
    result = extract(tracks, [name], hop_seconds, progress=progress)
    outputs = result.values[WindowOutputs((name,), hop_seconds).name]
    table = result.tracks[[v is not None for v in outputs]].assign(source="port")
    values = [v[name] for v in outputs if v is not None]
    if reference:
        extra = reference_tracks[reference_tracks["track_id"].isin(reference.keys())
                                 & ~reference_tracks["track_id"].isin(table["track_id"])]
        values += [{"taggram": reference[t]} for t in extra["track_id"]]
        table = pd.concat([table, extra.assign(source="reference")], ignore_index=True)
    return WindowValues(table.reset_index(drop=True), values, result.failed)


@dataclass
class ClipEmbeddings:
    """One embedding per clip, aligned with ``table`` (``track_id, genre, fixed_split, source``)."""

    table: pd.DataFrame
    X: np.ndarray
    failed: list[str]
    representation: str = ""


def clip_embeddings(tracks: pd.DataFrame, name: str, embedding: str, hop_seconds: float = DEFAULT_HOP_SECONDS,
                    reference: Mapping[str, np.ndarray] | None = None, reference_tracks: pd.DataFrame | None = None,
                    progress: bool = True) -> ClipEmbeddings:
    """Clip embeddings (:data:`EMBEDDINGS`) of :func:`window_values`' clips: the port's, then, with ``reference``
    (MSD-musicnn taggram embeddings only), the reference's clips whose audio is absent; ``source`` says which."""
    if reference and (name != "msd-musicnn" or not embedding.startswith("taggram")):
        raise reference_error(f"{name} {embedding}")
    found = window_values(tracks, name, hop_seconds, reference, reference_tracks, progress=progress)
    vectors = [pool(v, name, embedding) for v in found.values]
    columns = [c for c in ("track_id", "genre", "fixed_split", "source") if c in found.table.columns]
    X = np.stack(vectors) if vectors else np.zeros((0, 0), np.float32)
    return ClipEmbeddings(found.table[columns], X, found.failed, f"{name} {embedding}")


# ---------------------------------------------------------------------------- parity with the reference

def parity(tracks: pd.DataFrame, reference: Mapping[str, np.ndarray], progress: bool = True) -> pd.DataFrame:
    """Port vs reference MSD-musicnn taggrams (1-s hop) for every readable track the reference covers.

    One row per clip: ``track_id, genre, format, lossless, windows, clip_mean_error``
    (largest absolute difference over the 50 tags of the clip-mean taggrams) and
    ``frame_error`` (largest over every window and tag).
    """
    found = window_values(tracks[tracks["track_id"].isin(reference.keys())], "msd-musicnn", 1.0, progress=progress)
    rows = []
    for track, value in zip(found.table.to_dict("records"), found.values):
        ours, theirs = value["taggram"], reference[track["track_id"]]
        n = min(len(ours), len(theirs))
        fmt = Path(str(track["path"])).suffix.lstrip(".").lower()
        rows.append(dict(track_id=track["track_id"], genre=track["genre"], format=fmt,
                         lossless=fmt in ("wav", "au", "flac"), windows=len(ours), reference_windows=len(theirs),
                         clip_mean_error=float(np.abs(ours.mean(0) - theirs.mean(0)).max()),
                         frame_error=float(np.abs(ours[:n] - theirs[:n]).max())))
    return pd.DataFrame(rows)


def parity_summary(table: pd.DataFrame, clip_bound: float = 0.02, frame_bound: float = 0.1) -> pd.DataFrame:
    """Per kind of file (lossless, lossy): clips, within each bound, median and worst errors."""
    rows = []
    for lossless, part in table.groupby("lossless", sort=False):
        rows.append({"files": "lossless" if lossless else "lossy", "clips": len(part),
                     f"clips with clip mean within {clip_bound}": int((part["clip_mean_error"] <= clip_bound).sum()),
                     "clip mean, median": f"{part['clip_mean_error'].median():.2g}",
                     "clip mean, worst": f"{part['clip_mean_error'].max():.2g}",
                     f"clips with every window within {frame_bound}": int((part["frame_error"] <= frame_bound).sum()),
                     "window, worst": f"{part['frame_error'].max():.2g}"})
    return pd.DataFrame(rows).sort_values("files").reset_index(drop=True)


# ---------------------------------------------------------------------------- command line

def _audio_files(paths: Sequence[Path]) -> list[Path]:
    """The files given and the audio files under the folders given, each once, as absolute paths."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and audio.is_audio_file(p))
        else:
            files.append(path)
    return list(dict.fromkeys(Path(os.path.abspath(f)) for f in files))  # abspath: ".." resolved, links kept


def file_ids(files: Sequence[Path], paths: Sequence[Path]) -> list[str]:
    """One unique ID per file of :func:`_audio_files` (``paths``: what the user gave); the rule is in the module docstring."""
    base = os.path.commonpath([os.path.abspath(p if p.is_dir() else p.parent) for p in paths])
    relative = [f.relative_to(base) for f in files]
    stems = [r.with_suffix("").as_posix() for r in relative]
    return stems if len(set(stems)) == len(stems) else [r.as_posix() for r in relative]


def _each_file(files: Sequence[Path], ids: Sequence[str], name: str, hop_seconds: float):
    """(ID, window outputs) per readable file; unreadable files are reported on stderr and skipped."""
    hop = hop_frames(hop_seconds)
    for path, file_id in progress_bar(list(zip(files, ids)), desc=f"musicnn {name}", unit="file"):
        try:
            samples = waveform(path)
        except audio.AudioError as error:
            from tqdm import tqdm

            tqdm.write(f"skipped: {error}", file=sys.stderr)  # on its own line, not glued to the progress bar
            continue
        yield file_id, window_outputs(samples, [name], hop)[name]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.models.pretrained", description="musicnn taggrams and embeddings.")
    commands = parser.add_subparsers(dest="command", required=True)
    for command, about in (("taggram", "one row of tag activations per window"), ("embed", "one embedding per clip")):
        sub = commands.add_parser(command, help=about)
        sub.add_argument("paths", type=Path, nargs="+",
                         help="audio files or folders; each file's ID is its path relative to the deepest folder holding "
                              "every path given, without the extension unless two files would then share an ID")
        sub.add_argument("--model", default="msd-musicnn", choices=list(CHECKPOINTS))
        sub.add_argument("--hop-seconds", type=float, default=DEFAULT_HOP_SECONDS,
                         help="window hop (1 s: musicnn's 61 frames)")
        sub.add_argument("--out", type=Path, required=True, help="the .npz to write")
        cli.add_overwrite(sub)
        if command == "embed":
            sub.add_argument("--embedding", default="taggram-stats", choices=list(EMBEDDINGS))
    sub = commands.add_parser("parity", help="compare the port with the reference taggrams of a GTZAN folder")
    sub.add_argument("root", type=Path, help="a GTZAN folder with reference/musicnn_msd_taggram_*.npz")
    sub.add_argument("--out", type=Path, help="also write the per-clip table as CSV")
    cli.add_overwrite(sub)
    args = parser.parse_args(argv)

    if args.command == "parity":
        return _parity_command(args.root, args.out, args.overwrite)
    if args.out.suffix != ".npz":
        raise cli.UserError(f"--out {args.out}: give a .npz file name")
    cli.check_output(args.out, example=f"{args.command}.npz", replaces=cli.npz_with("X", "IDS"),
                     holds=f"{'an' if args.command == 'embed' else 'a'} {args.command} archive (arrays X and IDS)",
                     overwrite=args.overwrite)
    try:
        hop_frames(args.hop_seconds)
    except ValueError as error:
        raise cli.UserError(f"--hop-seconds: {error}") from None
    missing = [str(p) for p in args.paths if not p.exists()]
    if missing:
        raise cli.UserError(f"no such file or folder: {', '.join(missing)}")
    files = _audio_files(args.paths)
    if not any(audio.is_audio_file(f) for f in files):
        raise cli.UserError(f"no audio files ({', '.join(audio.SUPPORTED_EXTENSIONS)}) among the given paths")
    try:
        rows, ids = [], []
        for track_id, outputs in _each_file(files, file_ids(files, args.paths), args.model, args.hop_seconds):
            if args.command == "taggram":
                rows.append(outputs["taggram"])
                ids += [track_id] * len(outputs["taggram"])
            else:
                rows.append(pool(outputs, args.model, args.embedding)[None])
                ids.append(track_id)
    except PretrainedError as error:
        raise cli.UserError(str(error)) from None
    if not rows:
        raise cli.UserError("none of the given files could be read; nothing written")
    cache.write_arrays(args.out, X=np.concatenate(rows).astype(np.float32), IDS=np.array(ids))
    print(f"wrote {args.out}: {sum(len(r) for r in rows)} rows from {len(rows)} files, model {args.model}")
    return 0


def _parity_command(root: Path, out: Path | None, overwrite: bool = False) -> int:
    from .. import data

    if not root.is_dir():
        raise cli.UserError(f"no such folder: {root}")
    if out:
        cli.check_output(out, example="parity.csv", replaces=cli.csv_with_header("track_id", "genre", "format"),
                         holds="a parity table (track_id,genre,format,...)", overwrite=overwrite)
    _check_reference(root / "reference")
    reference = reference_taggrams(root / "reference")
    if not reference:
        raise cli.UserError(f"{root / 'reference'} holds no musicnn_msd_taggram_{{train,test}}.npz; "
                            "the reference taggrams come from the repository jordipons/sklearn-audio-transfer-learning")
    tracks = data.readable(data.load_tracks(data.discover(root)))
    try:
        table = parity(tracks, reference)
    except PretrainedError as error:
        raise cli.UserError(str(error)) from None
    if table.empty:
        raise cli.UserError(f"none of the {len(tracks)} readable clips in {root} is covered by the reference")
    if out:
        cache.write_text(out, table.to_csv(index=False))
    with pd.option_context("display.width", 200):
        print(parity_summary(table).to_string(index=False))
    return 0


def _check_reference(folder: Path) -> None:
    """Refuse a reference file that is not an .npz archive holding ``X`` (windows x 50 tag activations) and ``IDS``
    (one track id per row), before any clip is decoded."""
    for path in (folder / name for name in REFERENCE_FILES):
        if path.is_file():
            problem = _reference_problem(path)
            if problem:
                raise cli.UserError(f"{path} {problem}; replace it with the file of the same name from the repository "
                                    "jordipons/sklearn-audio-transfer-learning")


def _reference_problem(path: Path) -> str:
    """What keeps ``path`` from being a reference taggram file, or ``""``."""
    if not zipfile.is_zipfile(path):
        return "is not a NumPy .npz archive"
    try:
        with np.load(path) as data:
            missing = [key for key in ("X", "IDS") if key not in data.files]
            if missing:
                return f"holds no {' or '.join(missing)} array"
            X, ids = data["X"], data["IDS"]
    except (ValueError, OSError, zipfile.BadZipFile) as error:  # object arrays (pickles are never loaded), damage
        return f"cannot be read as plain arrays ({error})"
    if not (np.issubdtype(X.dtype, np.number) and X.ndim == 2 and X.shape[1] == len(CHECKPOINTS["msd-musicnn"].tags)):
        return f"holds an X of shape {X.shape} and type {X.dtype}, not windows x {len(CHECKPOINTS['msd-musicnn'].tags)} numbers"
    if not (ids.ndim == 1 and ids.dtype.kind in "US" and len(ids) == len(X)):
        return f"holds {len(ids)} IDS of type {ids.dtype} for {len(X)} rows of X, not one track id (text) per row"
    return ""


def musicnn_preprocessing(checkpoint: str, hop_seconds: float = DEFAULT_HOP_SECONDS) -> dict:
    """The sidecar's description of a model on musicnn's input: 3-s windows of checkpoint ``checkpoint``'s log-mel."""
    pretrained_port.checkpoint(checkpoint)  # a known name
    hop_frames(hop_seconds)  # a usable hop
    return {"input": "musicnn-mel", "checkpoint": checkpoint, "sample_rate": SAMPLE_RATE,
            "window_seconds": 3.0, "hop_seconds": float(hop_seconds), "resampler": RESAMPLER}


if __name__ == "__main__":
    sys.exit(cli.run(main))
