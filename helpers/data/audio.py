"""Decode audio of any supported format to float32 mono at one sample rate.

soundfile (libsndfile >= 1.1) reads wav, au, flac, ogg and mp3 without ffmpeg,
so the same code runs on a laptop, in CI and on Colab. Every decoding problem
becomes an :class:`AudioError` naming the file, so callers can skip and list
unreadable clips instead of stopping a run.

Command line::

    python -m helpers.data.audio info FILE [FILE ...]
"""

from __future__ import annotations

import argparse
import errno
import os
import re
import stat
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

DEFAULT_SAMPLE_RATE = 22050
MIN_SAMPLE_RATE = 1000  # Hz; telephone audio has 8000
SUPPORTED_EXTENSIONS: tuple[str, ...] = (".wav", ".au", ".flac", ".ogg", ".mp3")
# A decoded stream may be this much shorter than its header says (mp3 frame padding); more is truncation.
TRUNCATION_TOLERANCE = 0.01
_TRUNCATED = re.compile(r"(?:data|Data Size)\s*:\s*(?P<announced>\d+)\s*\(should be (?P<present>\d+)\)")


class AudioError(Exception):
    """A file that cannot be decoded (corrupt, empty, unsupported)."""


@dataclass(frozen=True)
class AudioInfo:
    """What a file's header says, without decoding the samples."""

    path: Path
    format: str
    sample_rate: int
    channels: int
    frames: int

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate if self.sample_rate else 0.0


def is_audio_file(path: str | Path) -> bool:
    return Path(path).suffix.lower() in SUPPORTED_EXTENSIONS


def find_audio_files(
    paths: Sequence[str | Path], wanted: Callable[[Path], bool] = is_audio_file,
) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The files in and under ``paths`` that ``wanted`` accepts, and what was left out, with the reason.

    Returns ``(files, skipped)``. A folder is searched at any depth (its files sorted by
    path), following links to folders but never twice into one folder, so a link loop
    ends. A file given by name is listed whatever its name: the caller asked for it, and
    reading it says what is wrong. ``skipped`` holds ``(path, reason)`` for a path given
    that is no file or folder, and for each entry whose name ``wanted`` accepts but that
    cannot be read as a file: "a folder, not a file", "a symlink loop", "a broken link
    (...)"; and for each link to a folder searched already. Other names are left out silently.
    Pass ``wanted`` to list other files (``lambda p: p.suffix.lower() == ".png"``).
    """
    found: list[Path] = []
    skipped: list[tuple[Path, str]] = []
    searched: set[str] = set()
    for given in map(Path, paths):
        kind = _file_kind(given)
        if kind == "folder":
            files: list[Path] = []
            _search(given, wanted, files, skipped, searched, above=())
            found += sorted(files)
        elif kind == "file":
            found.append(given)
        else:
            skipped.append((given, kind))
    return found, skipped


def _search(folder: Path, wanted: Callable[[Path], bool], files: list[Path], skipped: list[tuple[Path, str]],
            searched: set[str], above: tuple[str, ...]) -> None:
    real = os.path.realpath(folder)
    if real in searched:  # a link to a folder above it (a loop) or elsewhere in what was searched
        skipped.append((folder, "a symlink loop" if real in above else f"leads to {real}, searched already"))
        return
    searched.add(real)
    try:
        entries = sorted(folder.iterdir())
    except OSError as error:
        skipped.append((folder, f"a folder that cannot be read ({error.strerror or error})"))
        return
    for entry in entries:
        kind = _file_kind(entry)
        if kind == "folder":
            if wanted(entry):
                skipped.append((entry, "a folder, not a file"))
            _search(entry, wanted, files, skipped, searched, above=(*above, real))
        elif kind == "file" and wanted(entry):
            files.append(entry)
        elif wanted(entry):
            skipped.append((entry, kind))


def _file_kind(path: Path) -> str:
    """``"file"``, ``"folder"`` (links followed), or why ``path`` is neither."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        if error.errno == errno.ELOOP:
            return "a symlink loop"
        if path.is_symlink():
            return f"a broken link (to {os.readlink(path)}, which does not exist)"
        return "no such file or folder" if error.errno == errno.ENOENT else str(error.strerror or error)
    if stat.S_ISDIR(mode):
        return "folder"
    return "file" if stat.S_ISREG(mode) else "not a regular file (a pipe, socket or device)"


def info(path: str | Path) -> AudioInfo:
    """Read a file's header. Raises :class:`AudioError` if it is unreadable."""
    path = Path(path)
    if path.is_dir():
        raise AudioError(f"{path}: a folder, not an audio file")
    if not path.is_file():
        raise AudioError(f"{path}: no such file")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: empty file (0 bytes)")
    if not os.access(path, os.R_OK):
        raise AudioError(f"{path}: no permission to read it")
    if not is_audio_file(path):
        raise AudioError(
            f"{path}: unsupported extension {path.suffix!r}; "
            f"supported: {', '.join(SUPPORTED_EXTENSIONS)}"
        )
    try:
        header = sf.info(str(path))
    except Exception as error:  # libsndfile raises several types
        raise AudioError(f"{path}: {_reason(error)}") from error
    frames = int(header.frames)
    if frames <= 0 or header.samplerate <= 0:
        raise AudioError(f"{path}: header announces no audio samples")
    if header.samplerate < MIN_SAMPLE_RATE:  # a damaged header: 200,000 frames at 1 Hz would be a 55-hour clip
        raise AudioError(f"{path}: header announces a sample rate of {header.samplerate} Hz, below the "
                         f"{MIN_SAMPLE_RATE} Hz of any audio this code reads")
    shortfall = _TRUNCATED.search(header.extra_info or "")
    if shortfall and int(shortfall["present"]) < int(shortfall["announced"]) * (1 - TRUNCATION_TOLERANCE):
        # libsndfile: "data : 220500 (should be 110228)" for a WAV/AU cut short
        raise AudioError(f"{path}: truncated: the header announces {shortfall['announced']} bytes of audio, "
                         f"the file holds {shortfall['present']}")
    return AudioInfo(path, header.format, int(header.samplerate), int(header.channels), frames)


def load(
    path: str | Path,
    sr: int | None = DEFAULT_SAMPLE_RATE,
    mono: bool = True,
    offset: float = 0.0,
    duration: float | None = None,
) -> tuple[np.ndarray, int]:
    """Decode ``path`` to float32 in [-1, 1].

    Args:
        sr: target sample rate (``None`` keeps the file's own).
        mono: average the channels (as librosa does); otherwise shape is
            ``(channels, samples)``.
        offset, duration: seconds to skip and to read (``None``: to the end).

    Returns:
        ``(samples, sample_rate)``.

    Raises:
        AudioError: the file cannot be decoded or holds no samples.
    """
    path = Path(path)
    header = info(path)
    start = int(round(offset * header.sample_rate))
    stop = None if duration is None else start + int(round(duration * header.sample_rate))
    try:
        data, native_sr = sf.read(str(path), start=start, stop=stop, dtype="float32", always_2d=True)
    except Exception as error:
        raise AudioError(f"{path}: {_reason(error)}") from error
    if data.size == 0:
        raise AudioError(f"{path}: no audio samples could be decoded")
    expected = (header.frames if stop is None else min(stop, header.frames)) - start
    if len(data) < expected * (1 - TRUNCATION_TOLERANCE):  # a compressed stream that ends early
        raise AudioError(f"{path}: truncated: decoded {len(data) / header.sample_rate:.2f} s of the "
                         f"{expected / header.sample_rate:.2f} s its header announces")
    if not np.all(np.isfinite(data)):
        raise AudioError(f"{path}: decoded samples contain NaN or infinity")
    samples = data.mean(axis=1) if mono else data.T
    if sr is not None and sr != native_sr:
        samples = resample(samples, native_sr, sr)
        native_sr = sr
    return np.ascontiguousarray(samples, dtype=np.float32), int(native_sr)


def resample(samples: np.ndarray, orig_sr: int, target_sr: int) -> np.ndarray:
    """High-quality resampling (soxr, librosa's default)."""
    import librosa  # deferred: librosa import costs about a second

    return librosa.resample(samples, orig_sr=orig_sr, target_sr=target_sr, res_type="soxr_hq", axis=-1)


def segment(samples: np.ndarray, sr: int, seconds: float, hop_seconds: float | None = None) -> np.ndarray:
    """Cut a mono signal into equal segments, shape ``(n_segments, seconds * sr)``.

    The incomplete tail is dropped, so a clip shorter than one segment gives
    zero segments (shape ``(0, seconds * sr)``): callers decide whether to skip
    it or pad it; nothing is padded silently here.
    """
    if seconds <= 0:
        raise ValueError(f"segment length must be positive, got {seconds}")
    length = int(round(seconds * sr))
    hop = length if hop_seconds is None else int(round(hop_seconds * sr))
    if hop <= 0:
        raise ValueError(f"segment hop must be positive, got {hop_seconds}")
    if len(samples) < length:
        return np.zeros((0, length), dtype=samples.dtype)
    count = 1 + (len(samples) - length) // hop
    starts = np.arange(count) * hop
    return np.stack([samples[s : s + length] for s in starts])


def segment_count(duration: float, seconds: float) -> int:
    """Number of whole non-overlapping segments in a clip of ``duration`` seconds."""
    # Rounding guards against 29.99999 s headers dropping the last segment.
    return int(np.floor(round(duration / seconds, 6)))


def load_many(
    paths: Iterable[str | Path], sr: int | None = DEFAULT_SAMPLE_RATE, skipped: list[str] | None = None
) -> Iterator[tuple[Path, np.ndarray, int]]:
    """Yield ``(path, samples, sr)`` for each readable file.

    Unreadable files are skipped; at the end one warning lists them all, and
    they are appended to ``skipped`` when given.
    """
    failures: list[str] = []
    for path in paths:
        try:
            samples, rate = load(path, sr=sr)
        except AudioError as error:
            failures.append(str(error))
            continue
        yield Path(path), samples, rate
    if failures:
        warnings.warn(
            f"skipped {len(failures)} unreadable audio file(s):\n  " + "\n  ".join(failures),
            stacklevel=2,
        )
        if skipped is not None:
            skipped.extend(failures)


def _reason(error: Exception) -> str:
    text = str(error).strip() or type(error).__name__
    # libsndfile prefixes the message with the path; keep only the reason.
    reason = text.split(": ", 1)[-1] if text.startswith("Error opening") else text
    if "possibly a pipe" in reason:  # libsndfile's words for a file whose format it cannot recognise
        return "not a recognisable audio file (its contents match no supported format)"
    return reason


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.data.audio", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    info_cmd = sub.add_parser("info", help="print format, sample rate, channels and duration")
    info_cmd.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    status = 0
    for path in args.files:
        try:
            meta = info(path)
        except AudioError as error:
            print(f"UNREADABLE {error}")
            status = 1
            continue
        print(f"{path}\t{meta.format}\t{meta.sample_rate} Hz\t{meta.channels} ch\t{meta.duration:.2f} s")
    return status


if __name__ == "__main__":
    from ..cli import run

    sys.exit(run(main))
