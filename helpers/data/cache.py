"""One cache layer for everything derived from the data (features, images, network inputs).

Keys
    :func:`key` hashes everything that shapes an entry: the *content* of the input
    files, the parameters, and the versions of the libraries that compute it.
    Changing any of them changes the key, so a stale entry is never reused. File
    digests are remembered per process by (path, size, modification time), so a
    stack of 1000 images is hashed once per session.

Writes
    atomic everywhere (:func:`atomic_write`): the bytes go to a temporary file in
    the same folder, which is renamed over the entry only when complete. A crash or
    Ctrl-C leaves the old entry or the new one, never half of one.

    A write that fails (a full disk) raises ``OSError`` naming the entry, not its
    temporary file.

Reads
    a corrupt or unreadable entry (truncated JSON, a bad zip, an entry that fails
    the caller's check) is removed with one warning and reported as missing
    (``None``), so the caller recomputes it. A folder where an entry belongs was not
    made by the cache and is never removed: reading or writing it raises
    ``IsADirectoryError`` naming it (one line on a command line).

Entries live under ``CACHE_DIR/<kind>/<key[:2]>/<key><suffix>`` (:func:`entry`);
``CACHE_DIR`` is ``data/cache`` unless ``$MGC_CACHE_DIR`` says otherwise.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import tempfile
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..runtime import CACHE_DIR, library_versions

_DIGESTS: dict[tuple[str, int, int], str] = {}


class CacheWarning(UserWarning):
    """A cache entry that could not be used and is being recomputed."""


def file_digest(path: str | os.PathLike) -> str:
    """BLAKE2b of a file's bytes (remembered per process while its size and mtime stay the same)."""
    path = Path(path)
    stat = path.stat()
    memo = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if memo not in _DIGESTS:
        digest = hashlib.blake2b(digest_size=20)
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        _DIGESTS[memo] = digest.hexdigest()
    return _DIGESTS[memo]


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, (list, tuple)):
        return [_canonical(v) for v in value]
    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "__dataclass_fields__"):
        from dataclasses import asdict

        return _canonical(asdict(value))
    return value


def key(*parts: Any, files: Iterable[str | os.PathLike] = (), libraries: Sequence[str] = ()) -> str:
    """A hex key from ``parts`` (JSON-able values or dataclasses), the content of ``files``
    and the installed versions of ``libraries`` (for example ``("librosa", "numpy")``)."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(json.dumps(_canonical(list(parts)), sort_keys=True, default=str).encode())
    if libraries:
        digest.update(json.dumps(library_versions(tuple(libraries)), sort_keys=True).encode())
    for path in files:
        digest.update(file_digest(path).encode())
    return digest.hexdigest()


def entry(kind: str, entry_key: str, suffix: str, root: str | os.PathLike | None = None) -> Path:
    """Where the entry ``entry_key`` of ``kind`` lives (the folder is not created)."""
    return Path(root if root is not None else CACHE_DIR) / kind / entry_key[:2] / f"{entry_key}{suffix}"


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def _refuse_folder(path: Path, why: str) -> None:
    """Raise ``IsADirectoryError`` naming ``path`` when a folder stands where a file belongs."""
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, f"a folder, not a file: {why}", str(path))


def atomic_write(path: str | os.PathLike, write: Callable[[Any], None], mode: str = "wb") -> Path:
    """Call ``write(handle)`` on a temporary file beside ``path`` and rename it over ``path`` when done."""
    path = Path(path)
    _refuse_folder(path, "nothing is written over a folder; move it away or write elsewhere")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(descriptor, mode) as handle:
            write(handle)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes 0600; a written file should read as any other
        os.replace(temporary, path)
    except BaseException as error:
        Path(temporary).unlink(missing_ok=True)
        if isinstance(error, OSError) and error.filename in (None, temporary):  # ENOSPC names no file
            raise OSError(error.errno, error.strerror or str(error), str(path)) from error
        raise
    return path


def write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    return atomic_write(path, lambda handle: handle.write(data))


def write_text(path: str | os.PathLike, text: str) -> Path:
    return atomic_write(path, lambda handle: handle.write(text), mode="w")


def write_json(path: str | os.PathLike, value: Any) -> Path:
    return write_text(path, json.dumps(value, indent=1, default=str) + "\n")


def write_arrays(path: str | os.PathLike, **arrays: np.ndarray) -> Path:
    """An ``.npz`` of ``arrays`` (no pickled objects: strings must be NumPy unicode arrays)."""
    return atomic_write(path, lambda handle: np.savez(handle, **arrays))


_FOLDER_ENTRY = ("the cache did not make it and does not remove it, so this entry can be neither read nor stored; "
                 "move the folder away and run again (the entry is then recomputed)")


def discard(path: str | os.PathLike, reason: str) -> None:
    """Remove an unusable entry and say so once."""
    warnings.warn(f"cache entry {path} is unusable ({reason}); recomputing it", CacheWarning, stacklevel=3)
    Path(path).unlink(missing_ok=True)


def read_json(path: str | os.PathLike, check: Callable[[Any], bool] | None = None) -> Any | None:
    """The entry's value, or ``None`` when it is missing or unusable (then it is removed with a warning)."""
    path = Path(path)
    _refuse_folder(path, _FOLDER_ENTRY)
    if not path.is_file():
        return None
    try:
        value = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        discard(path, f"{type(error).__name__}: {error}")
        return None
    if check is not None and not check(value):
        discard(path, "its content is not what this cache stores")
        return None
    return value


def read_arrays(path: str | os.PathLike, names: Sequence[str]) -> dict[str, np.ndarray] | None:
    """The arrays ``names`` of an ``.npz`` entry, or ``None`` when it is missing or unusable."""
    path = Path(path)
    _refuse_folder(path, _FOLDER_ENTRY)
    if not path.is_file():
        return None
    try:
        with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as stored:
            return {name: stored[name] for name in names}
    except Exception as error:  # BadZipFile, KeyError, EOFError, ValueError, OSError
        discard(path, f"{type(error).__name__}: {error}")
        return None
