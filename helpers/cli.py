"""What every command line of ``helpers`` shares: one clear line for a user's mistake, never a traceback.

A command's ``main`` raises :class:`UserError` (or returns a status); :func:`run`
turns that, a missing dataset and Ctrl-C into one ``error: ...`` line on stderr and
a non-zero exit status. Argument types here reject bad numbers while parsing, so
argparse names the option and the valid range.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import warnings
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path


class UserError(Exception):
    """A mistake in what the user asked for; the message says what is wrong and what to do."""


def run(main: Callable[[Sequence[str] | None], int | None], argv: Sequence[str] | None = None) -> int:
    """Call ``main(argv)`` and map user errors and Ctrl-C to a message and an exit status.

    Caches are written atomically (see ``helpers.data.cache``), so an interrupted command
    keeps every finished entry and the next run continues from there.
    """
    saved_format, warnings.formatwarning = warnings.formatwarning, _one_line_warning
    try:
        return _run(main, argv)
    finally:
        warnings.formatwarning = saved_format


def _run(main: Callable[[Sequence[str] | None], int | None], argv: Sequence[str] | None) -> int:
    try:
        status = main(argv)
    except UserError as error:  # DatasetNotFoundError is one too
        print(f"error: {error}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `... | head` closed the pipe: not an error
        return 0
    except OSError as error:  # an output path that cannot be written, a full disk, no permission
        where = f"{error.filename}: " if getattr(error, "filename", None) else ""
        print(f"error: {where}{error.strerror or error}; check the path and its permissions", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted: finished work is cached; run the same command again to continue", file=sys.stderr)
        return 130
    return int(status or 0)


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    """Warnings on a command line read as ``warning: ...``, without the source line that raised them."""
    return f"warning: {message}\n"


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not allowed: give 1 or more")
    return value


def positive_float(text: str) -> float:
    """argparse type: a finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not allowed: give a finite number above 0")
    return value


# ---------------------------------------------------------------------------- outputs and workers

def check_output(path: Path, folder: bool = False, example: str = "out", option: str = "--out",
                 replaces: Callable[[Path], bool] | None = None, holds: str = "", overwrite: bool = False) -> None:
    """Refuse, before any work, an output ``path`` that cannot be written: a folder given for a file (or, with
    ``folder``, a file given for a folder), a file among its parents, or a first existing folder that is not writable.
    ``example``: a file name to suggest inside a folder given for a file.

    An existing file is replaced only with ``overwrite`` (the user's ``--overwrite``, see :func:`add_overwrite`) and
    only when ``replaces(path)`` says it holds what the command writes (``holds``, in words: "a features CSV");
    anything else (a song, someone's table) is never replaced.
    """
    if path.is_file() and not folder:
        if replaces is not None and not replaces(path):
            raise UserError(f"{option} {path} already exists and is not {holds or 'what this command writes'}: it is left "
                            f"as it is; give another file name, or move that file away first")
        if not overwrite:
            raise UserError(f"{option} {path} already exists{f' (it holds {holds})' if holds else ''}: give --overwrite to "
                            f"replace it, or another file name")
    if path.is_dir() and not folder:
        raise UserError(f"{option} {path} is a folder; give a file name in it, e.g. {option} {path / example}")
    if path.exists() and not path.is_dir() and folder:
        raise UserError(f"{option} {path} is a file; give a folder (it is created if missing)")
    for place in [path, *path.parents] if folder else path.parents:
        if place.exists():
            if not place.is_dir():
                raise UserError(f"{option} {path}: {place} is a file, not a folder; give another path")
            if not os.access(place, os.W_OK):
                raise UserError(f"{option} {path}: cannot write in {place}; give another path")
            break


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, where the system has one), at least 1."""
    if hasattr(os, "process_cpu_count"):  # Python 3.13+: respects the affinity mask
        return os.process_cpu_count() or 1
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def worker_count(jobs: int | None, clips: int, cores: int | None = None) -> int:
    """How many worker processes decode ``clips`` clips: ``jobs`` (``None``: every core), at most one per clip and one
    per core this process may use (``cores``; default :func:`available_cores`). Says on stderr when it uses fewer
    than the ``--jobs`` given: more processes than cores or clips only cost memory."""
    cores = cores or available_cores()
    used = max(1, min(jobs or cores, cores, clips))
    if jobs is not None and used < jobs:
        print(f"--jobs {jobs}: using {used} worker{'s' * (used != 1)} ({cores} core{'s' * (cores != 1)}, "
              f"{clips} clip{'s' * (clips != 1)})", file=sys.stderr)
    return used


def add_overwrite(parser: argparse.ArgumentParser) -> None:
    """The ``--overwrite`` option of a command that writes ``--out`` (see :func:`check_output`)."""
    parser.add_argument("--overwrite", action="store_true",
                        help="replace an existing --out file of the same kind (an earlier run's); never any other file")


def csv_with_header(*columns: str) -> Callable[[Path], bool]:
    """``check_output``'s ``replaces``: a CSV file whose first line starts with ``columns`` (a table this command
    wrote before)."""
    def replaces(path: Path) -> bool:
        try:
            with open(path, encoding="utf-8") as handle:
                return handle.readline().rstrip("\r\n").split(",")[: len(columns)] == list(columns)
        except (OSError, UnicodeDecodeError):
            return False
    return replaces


def npz_with(*names: str) -> Callable[[Path], bool]:
    """``check_output``'s ``replaces``: a NumPy ``.npz`` archive holding exactly the arrays ``names``."""
    def replaces(path: Path) -> bool:
        try:
            with zipfile.ZipFile(path) as archive:
                return sorted(archive.namelist()) == sorted(f"{name}.npy" for name in names)
        except (OSError, zipfile.BadZipFile):
            return False
    return replaces
