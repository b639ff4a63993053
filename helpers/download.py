"""Downloads with checksums: resumable, atomic, and quick to fail when offline.

A file is fetched to ``<name>.part`` (resumed with an HTTP Range request when a
partial file exists), its checksum is verified, and only then is it renamed to
its final name; an archive is extracted into a temporary folder that is renamed
into place, so an interrupted run never leaves a half-written dataset.
"""

from __future__ import annotations

import hashlib
import shutil
import socket
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .data import HOW_TO_GET_GTZAN
from .config import progress as progress_bar

CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A download that failed; the message says what to do instead."""


@dataclass(frozen=True)
class Remote:
    filename: str
    urls: tuple[str, ...]  # mirrors, tried in order
    md5: str
    size_hint: str  # for messages
    extract: bool = True


REMOTES: dict[str, Remote] = {
    # The original Marsyas archive (genres/<genre>/<genre>.000NN.au). Its MD5
    # is the one published with mirdata and torchaudio.
    "gtzan": Remote(
        filename="genres.tar.gz",
        urls=(
            "https://huggingface.co/datasets/marsyas/gtzan/resolve/main/data/genres.tar.gz",
            "http://opihi.cs.uvic.ca/sound/genres.tar.gz",
        ),
        md5="5b3d6dddb579ab49814ab86dba69e7c7",
        size_hint="about 1.2 GB",
    ),
}


# The fault-filtered, artist-conditional GTZAN split (Kereliuk, Sturm and Larsen 2015) as
# published with jongpillee/music_dataset_split; SHA-256 of the copies this project was
# developed and measured with.
SPLIT_LISTS_URL = "https://raw.githubusercontent.com/jongpillee/music_dataset_split/master/GTZAN_split/{name}_filtered.txt"
SPLIT_LISTS_SHA256 = {
    "train": "2b04966cef1486f1a7767b74271533fa23e220388db804a1937835e1fc4fa3fa",
    "valid": "f8fbee7c52397a0e0f3a91dc54fedecb2e27f5bdc9a9daeab8cb10d077e26956",
    "test": "09cafa6a89ce0a27f30ed250d56ecb4d03c22fffb5a693f96c7ae655ee02ac72",
}


def download_split_lists(dest: str | Path, url_template: str = SPLIT_LISTS_URL, timeout: float = 20.0) -> Path:
    """Fetch ``train/valid/test_filtered.txt`` into ``dest`` and verify their SHA-256."""
    dest = Path(dest)
    for name, sha256 in SPLIT_LISTS_SHA256.items():
        fetch(url_template.format(name=name), dest / f"{name}_filtered.txt", sha256=sha256, timeout=timeout, progress=False)
    return dest


def file_hash(path: str | Path, algorithm: str = "md5") -> str:
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(url: str, dest: str | Path, md5: str | None = None, timeout: float = 20.0, progress: bool = True,
          sha256: str | None = None) -> Path:
    """Download ``url`` to ``dest``, resuming a previous ``.part`` file, and verify ``md5`` (or ``sha256``).

    An existing ``dest`` with the right checksum is kept (nothing downloaded).

    Raises:
        DownloadError: no network, HTTP error, or checksum mismatch (the bad
            file is removed so that the next try starts clean).
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    algorithm, expected = ("sha256", sha256) if sha256 else ("md5", md5)
    if dest.is_file() and (expected is None or file_hash(dest, algorithm) == expected):
        return dest
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.is_file() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "genre-classification/0.1"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as error:
        if error.code == 416 and offset:  # the part file is already complete
            response = None
        else:
            raise DownloadError(f"{url}: HTTP {error.code} {error.reason}") from error
    except (urllib.error.URLError, socket.timeout, OSError) as error:
        reason = getattr(error, "reason", error)
        raise DownloadError(f"{url}: cannot connect ({reason})") from error
    if response is not None:
        with response:
            resumed = offset and response.status == 206
            total = response.headers.get("Content-Length")
            total = int(total) + (offset if resumed else 0) if total else None
            with open(part, "ab" if resumed else "wb") as handle, progress_bar(
                total=total, initial=offset if resumed else 0, unit="B", unit_scale=True,
                desc=dest.name, disable=not progress,
            ) as bar:
                for block in iter(lambda: response.read(CHUNK), b""):
                    handle.write(block)
                    bar.update(len(block))
    if expected is not None:
        actual = file_hash(part, algorithm)
        if actual != expected:
            part.unlink()
            raise DownloadError(f"{url}: checksum mismatch ({algorithm} {actual}, expected {expected}); the file was removed, try again")
    part.replace(dest)
    return dest


def extract(archive: str | Path, dest: str | Path) -> Path:
    """Extract a .tar.gz/.tgz/.tar/.zip archive into ``dest`` atomically.

    Members that would land outside ``dest`` (absolute paths, ``..``) are refused.
    """
    archive, dest = Path(archive), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=dest))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as bundle:
                names = bundle.namelist()
                _check_members(names)
                bundle.extractall(staging)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as bundle:
                names = bundle.getnames()
                _check_members(names)
                bundle.extractall(staging, filter="data")
        else:
            raise DownloadError(f"{archive}: not a tar or zip archive")
        for item in staging.iterdir():
            target = dest / item.name
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            item.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return dest


def _check_members(names: list[str]) -> None:
    for name in names:
        parts = Path(name).parts
        if Path(name).is_absolute() or ".." in parts:
            raise DownloadError(f"archive member {name!r} would be written outside the destination; refusing")


def download_dataset(name: str, dest: str | Path, url: str | None = None, keep_archive: bool = False) -> Path:
    """Download, verify and extract a known dataset into ``dest``."""
    if name not in REMOTES:
        raise DownloadError(f"unknown dataset {name!r}; valid: {', '.join(REMOTES)}")
    remote = REMOTES[name]
    dest = Path(dest)
    archive = dest / remote.filename
    errors = []
    for mirror in (url,) if url else remote.urls:
        print(f"Downloading {name} ({remote.size_hint}) from {mirror}")
        try:
            fetch(mirror, archive, md5=remote.md5)
            break
        except DownloadError as error:
            errors.append(str(error))
    else:
        raise DownloadError(
            "could not download " + name + ":\n  " + "\n  ".join(errors)
            + f"\nPut the data in place by hand instead ({dest}):\n{HOW_TO_GET_GTZAN}"
        )
    if remote.extract:
        print(f"Extracting {archive} into {dest}")
        extract(archive, dest)
        if not keep_archive:
            archive.unlink()
    print(f"Done: {dest}. Check it with: python -m helpers.data check {dest}")
    return dest
