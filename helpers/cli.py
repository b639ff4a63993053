"""What every command line of ``helpers`` shares: one clear line for a user's mistake, never a traceback.

A command's ``main`` raises :class:`UserError` (or returns a status); :func:`run`
turns that, a missing dataset and Ctrl-C into one ``error: ...`` line on stderr and
a non-zero exit status. Argument types here reject bad numbers while parsing, so
argparse names the option and the valid range.
"""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Callable, Sequence


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
