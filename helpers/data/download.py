"""Downloads with checksums: resumable, retried, atomic, and quick to fail when offline.

:func:`fetch`
    downloads one URL to ``<name>.part`` and renames it to its final name only once
    it is complete and its checksum (``"md5:..."``, ``"sha1:..."`` or ``"sha256:..."``)
    matches. A stalled transfer (no byte for ``timeout`` seconds) or a dropped
    connection (fewer bytes than announced) keeps the part file and is retried with
    exponential back-off, resuming with an HTTP Range request; so does the next run
    after the retries are spent. Only a *complete* file with the wrong checksum is
    deleted. A refused connection or an unknown host fails at once, without retries.

:func:`download_remote`
    tries each mirror of a :class:`Remote` in turn (each with its retries), verifies
    the file and extracts the archive (:func:`extract`) into a temporary folder that
    is renamed into place, so an interrupted run never leaves a half-written dataset.
    When every mirror fails, one :class:`DownloadError` lists what happened on each
    and says how to put the data in place by hand. Folders it created and left empty
    are removed again; nothing it did not create is removed.

The remotes themselves (URLs, checksums) live with their datasets (``helpers.data.gtzan``, ``helpers.data.fma``).
This module imports nothing from ``helpers`` but ``runtime``; it is not a command
(``python -m helpers.data download`` is).

Why this module is long: resuming, retrying, checking and extracting share the part-file
and folder bookkeeping that makes a failed download leave nothing behind but a resumable
part file; split apart, each piece would restate which files and folders it may touch.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import lzma
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..runtime import display_path
from ..runtime import progress as progress_bar

CHUNK = 1 << 20
USER_AGENT = "genre-classification/0.1"
# Hex digest length of each supported checksum algorithm.
CHECKSUM_ALGORITHMS = {"md5": 32, "sha1": 40, "sha256": 64}
# HTTP statuses worth retrying (the server is busy or briefly broken); any other error status is final.
RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})

# The back-off wait between attempts; tests replace it so that they do not wait.
sleep: Callable[[float], None] = time.sleep


class DownloadError(RuntimeError):
    """A download that failed; the message says what happened and what to do instead."""


class _Interrupted(Exception):
    """A transfer that stopped before the end (stall, dropped connection, busy server): worth retrying."""


def parse_checksum(checksum: str) -> tuple[str, str]:
    """``"sha1:f0df..."`` -> ``("sha1", "f0df...")``; a malformed checksum raises ``ValueError``."""
    algorithm, _, digest = str(checksum).partition(":")
    algorithm, digest = algorithm.strip().lower(), digest.strip().lower()
    if algorithm not in CHECKSUM_ALGORITHMS:
        raise ValueError(f"checksum {checksum!r} must read 'algorithm:hexdigest' with algorithm one of "
                         f"{', '.join(CHECKSUM_ALGORITHMS)}")
    if len(digest) != CHECKSUM_ALGORITHMS[algorithm] or not re.fullmatch(r"[0-9a-f]+", digest):
        raise ValueError(f"checksum {checksum!r}: a {algorithm} digest is {CHECKSUM_ALGORITHMS[algorithm]} hex digits")
    return algorithm, digest


@dataclass(frozen=True)
class Remote:
    """A file to download: its name, its mirrors (tried in order) and its checksum.

    ``checksum`` reads ``"algorithm:hexdigest"`` (md5, sha1 or sha256); ``size_hint`` is
    for messages ("about 1.2 GB"); ``size``, the exact number of bytes when known, tells a
    complete file from a truncated one where a mirror announces no length; ``extract``
    says whether the file is an archive to unpack.
    """

    filename: str
    urls: tuple[str, ...]
    checksum: str
    size_hint: str
    extract: bool = True
    size: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.urls, tuple) or not self.urls or not all(isinstance(u, str) and u for u in self.urls):
            raise ValueError(f"Remote {self.filename!r}: urls must be a non-empty tuple of mirror URLs, got {self.urls!r}")
        parse_checksum(self.checksum)


def file_hash(path: str | Path, algorithm: str = "md5") -> str:
    """The hex digest of a file's bytes with ``algorithm`` (any name ``hashlib.new`` knows)."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, dest: str | Path, checksum: str | None = None, timeout: float = 20.0, progress: bool = True,
          retries: int = 3, backoff: float = 1.0, size: int | None = None) -> Path:
    """Download ``url`` to ``dest`` (a file path), resuming ``dest.part``, and verify ``checksum``.

    An existing ``dest`` with the right checksum (or any existing ``dest`` when
    ``checksum`` is None) is kept and nothing is requested. A stall (no byte for
    ``timeout`` seconds), a dropped connection or a busy server (HTTP 408, 429, 5xx)
    keeps the part file and is retried up to ``retries`` times, after waiting
    ``backoff * 2**attempt`` seconds, resuming with a Range request. A server that
    ignores Range (200 instead of 206) restarts the part file; a 416 answer to a
    Range request for a part file that is already complete is success. ``size`` (the
    exact byte count, when known) tells a truncated body from a complete one where the
    server announces no length.

    Raises:
        DownloadError: a final HTTP error (404...) or a refused connection (at once);
            the retries spent (the partial file is kept, the next call resumes it);
            or a complete file with the wrong checksum (the file is removed).
    """
    dest = Path(dest)
    algorithm, expected = parse_checksum(checksum) if checksum else (None, None)
    if dest.is_file() and (expected is None or file_hash(dest, algorithm) == expected):
        return dest
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise DownloadError(f"cannot create the folder {display_path(dest.parent)}: {error}") from None
    part = dest.with_name(dest.name + ".part")
    attempts = retries + 1
    for attempt in range(attempts):
        if attempt:
            sleep(backoff * 2 ** (attempt - 1))
        try:
            _transfer(url, part, timeout=timeout, show_progress=progress, size=size, label=dest.name)
            break
        except _Interrupted as interruption:
            problem = str(interruption)
    else:
        kept = part.stat().st_size if part.is_file() else 0
        what_is_kept = (f"the partial file {display_path(part)} ({kept:,} bytes) is kept and the next run resumes from it"
                        if kept else "nothing was received")
        raise DownloadError(f"{url}: {problem} (gave up after {attempts} attempts); {what_is_kept}")
    if expected is not None:
        actual = file_hash(part, algorithm)
        if actual != expected:
            part.unlink()
            raise DownloadError(f"{url}: checksum mismatch ({algorithm} {actual}, expected {expected}); "
                                "the downloaded file was removed, so the next try starts clean")
    part.replace(dest)
    return dest


def _transfer(url: str, part: Path, timeout: float, show_progress: bool, size: int | None, label: str) -> None:
    """One attempt: append the rest of ``url`` to ``part`` (or rewrite it when the server sends everything).

    Returns when the part file holds every announced byte; raises :class:`_Interrupted`
    for what is worth retrying and :class:`DownloadError` for what is not.
    """
    offset = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"User-Agent": USER_AGENT})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        with error:
            if error.code == 416 and offset:
                total = _content_range(error.headers.get("Content-Range"))[1] or size
                if total is None or total == offset:  # the part file is already complete
                    return
                part.unlink()
                raise _Interrupted(f"the server refused to resume at byte {offset:,} of {total:,}; restarting from zero") from None
            if error.code in RETRY_STATUSES:
                raise _Interrupted(f"HTTP {error.code} {error.reason}") from None
            raise DownloadError(f"{url}: HTTP {error.code} {error.reason}") from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, (TimeoutError, ConnectionResetError)):
            raise _Interrupted(f"no response ({error.reason})") from None
        raise DownloadError(f"{url}: cannot connect ({error.reason})") from None
    except TimeoutError:
        raise _Interrupted(f"no response within {timeout:g} s") from None
    except (OSError, http.client.HTTPException) as error:  # e.g. RemoteDisconnected before the headers
        raise _Interrupted(f"the connection dropped before the response ({type(error).__name__}: {error})") from None

    with response:
        length = response.headers.get("Content-Length")
        length = int(length) if length and length.strip().isdigit() else None
        if offset and response.status == 206:
            start, total = _content_range(response.headers.get("Content-Range"))
            if start is not None and start != offset:
                part.unlink()
                raise _Interrupted(f"the server resumed at byte {start:,} instead of {offset:,}; restarting from zero")
            mode, received = "ab", offset
            expected_total = total or (offset + length if length is not None else size)
        else:  # the whole file: a server that ignores Range restarts the part file
            mode, received = "wb", 0
            expected_total = length if length is not None else size
        try:
            handle = open(part, mode)
        except OSError as error:
            raise DownloadError(f"cannot write {display_path(part)}: {error}") from None
        with handle, progress_bar(total=expected_total, initial=received, unit="B", unit_scale=True,
                                  desc=label, disable=not show_progress) as bar:
            while True:
                try:  # read1: what has arrived, so that a stall loses nothing already received
                    block = response.read1(CHUNK)
                except TimeoutError:
                    raise _Interrupted(f"the transfer stalled (nothing for {timeout:g} s) at byte {received:,}") from None
                except (OSError, http.client.HTTPException) as error:  # IncompleteRead, ConnectionResetError
                    raise _Interrupted(f"the connection dropped at byte {received:,}"
                                       + (f" of {expected_total:,}" if expected_total else "")
                                       + f" ({type(error).__name__})") from None
                if not block:
                    break
                try:
                    handle.write(block)
                except OSError as error:
                    raise DownloadError(f"cannot write {display_path(part)}: {error}") from None
                received += len(block)
                bar.update(len(block))
    if expected_total is not None and received < expected_total:
        raise _Interrupted(f"the connection closed after {received:,} of {expected_total:,} bytes")


def _content_range(header: str | None) -> tuple[int | None, int | None]:
    """``"bytes 100-199/1000"`` -> ``(100, 1000)``; ``"bytes */1000"`` -> ``(None, 1000)``."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", header or "")
    if not match:
        return None, None
    start, total = match.groups()
    return (int(start) if start else None), (int(total) if total and total != "*" else None)


def download_remote(remote: Remote, dest: str | Path, how_to_get: str, url: str | None = None,
                    keep_archive: bool = False, timeout: float = 20.0, retries: int = 3) -> Path:
    """Download ``remote`` into the folder ``dest`` from its first working mirror, verify it and extract it.

    ``url`` replaces the remote's mirrors. ``how_to_get`` (how to put the data in place
    by hand) ends the error when every mirror fails. The archive is removed after
    extraction unless ``keep_archive``; a remote with ``extract=False`` stays as it is.

    Raises:
        DownloadError: every mirror failed (the message lists each), or the archive is unusable.
    """
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise DownloadError(f"{display_path(dest)} is a file, not a folder; give a folder to download into")
    if url is not None and not url.strip():
        raise DownloadError("the URL is empty; give a mirror's address, or none for the known mirrors")
    with removed_if_left_empty(dest):
        return _download_remote(remote, dest, how_to_get, url, keep_archive, timeout, retries)


def _download_remote(remote: Remote, dest: Path, how_to_get: str, url: str | None, keep_archive: bool, timeout: float,
                     retries: int) -> Path:
    archive = dest / remote.filename
    failures = []
    for mirror in (url,) if url else remote.urls:
        print(f"Downloading {remote.filename} ({remote.size_hint}) from {mirror}")
        try:
            fetch(mirror, archive, checksum=remote.checksum, timeout=timeout, retries=retries, size=remote.size)
            break
        except DownloadError as error:
            failures.append(str(error))
            print(f"  failed: {error}")
    else:
        raise DownloadError(
            f"could not download {remote.filename} from any mirror:\n  - " + "\n  - ".join(failures)
            + f"\nPut the data in place by hand instead ({display_path(dest)}):\n{how_to_get}"
        )
    if remote.extract:
        print(f"Extracting {display_path(archive)} into {display_path(dest)}")
        extract(archive, dest)
        if not keep_archive:
            archive.unlink()
    print(f"Done: {display_path(dest)}. Check it with: python -m helpers.data check {display_path(dest)}")
    return dest


def extract(archive: str | Path, dest: str | Path) -> Path:
    """Extract a .tar.gz/.tgz/.tar/.zip archive into ``dest`` atomically.

    The members go to a temporary folder inside ``dest``; each top-level item then
    replaces its namesake in ``dest``, but only a namesake that an earlier extraction
    of the same archive left there: every file and folder in it must be in the archive
    too, files with their size. Anything else in the way (``keepme/precious.txt``)
    refuses the extraction before ``dest`` changes. Members that would land outside
    ``dest`` (absolute paths, ``..``) are refused before anything is written.

    Raises:
        DownloadError: not an archive, a damaged one, a member outside ``dest``, or a
            namesake in ``dest`` that this archive did not make.
    """
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=dest))
    try:
        _unpack(archive, staging)
        items = sorted(staging.iterdir())
        for item in items:  # all checked before any is replaced
            _check_replaceable(dest / item.name, item, archive)
        for item in items:
            target = dest / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
            item.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _unpack(archive: Path, staging: Path) -> None:
    """Every member of ``archive`` into the empty folder ``staging``; a damaged archive is a :class:`DownloadError`."""
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as bundle:
                _check_members(bundle.namelist())
                bundle.extractall(staging)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as bundle:
                _check_members(bundle.getnames())
                bundle.extractall(staging, filter="data")
        else:
            raise DownloadError(f"{display_path(archive)}: not a tar or zip archive, or a damaged one")
    except tarfile.FilterError as error:  # a link or special file that would reach outside the destination
        raise DownloadError(f"{display_path(archive)}: refusing the member {error}") from None
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, gzip.BadGzipFile) as error:
        raise DownloadError(f"{display_path(archive)}: a damaged archive ({type(error).__name__}: {error}); "
                            "download it again") from None
    except OSError as error:
        if error.errno is not None:  # a full disk, no permission: about the destination, not the archive
            raise
        raise DownloadError(f"{display_path(archive)}: a damaged archive ({error}); download it again") from None


def _check_replaceable(target: Path, extracted: Path, archive: Path) -> None:
    """Refuse ``target`` unless everything in it is also in ``extracted`` (the same path, kind and file size)."""
    if not (target.exists() or target.is_symlink()):
        return
    for path in (target, *(sorted(target.rglob("*")) if target.is_dir() and not target.is_symlink() else ())):
        twin = extracted / path.relative_to(target)
        if not _same_kind_and_size(path, twin):
            which = "" if path == target else f" ({path.relative_to(target.parent)} is not in the archive as it is here)"
            raise DownloadError(f"{display_path(target)} already exists and is not an earlier extraction of {archive.name}"
                                f"{which}; nothing was extracted: move it away or extract elsewhere")


def _same_kind_and_size(path: Path, twin: Path) -> bool:
    if path.is_symlink() or twin.is_symlink():
        return path.is_symlink() and twin.is_symlink() and os.readlink(path) == os.readlink(twin)
    if path.is_dir() or twin.is_dir():
        return path.is_dir() and twin.is_dir()
    return twin.is_file() and path.stat().st_size == twin.stat().st_size


@contextlib.contextmanager
def removed_if_left_empty(folder: str | Path) -> Iterator[None]:
    """On failure, remove ``folder`` and the parents that did not exist before the block, where left empty
    (``python -m helpers.data download`` wraps all its work in it)."""
    created = []
    for path in (Path(folder), *Path(folder).parents):
        if path.exists() or path.is_symlink():
            break
        created.append(path)
    try:
        yield
    except BaseException:
        for path in created:  # deepest first; a folder that holds something (a part file to resume) stays
            try:
                path.rmdir()
            except OSError:
                break
        raise


def _check_members(names: list[str]) -> None:
    for name in names:
        if Path(name).is_absolute() or name.startswith(("/", "\\")) or ".." in Path(name.replace("\\", "/")).parts:
            raise DownloadError(f"archive member {name!r} would be written outside the destination; refusing")


if __name__ == "__main__":
    print("error: helpers.data.download is a library, not a command; download a dataset with: "
          "python -m helpers.data download NAME [--dest DIR] [--url URL]", file=sys.stderr)
    sys.exit(2)
