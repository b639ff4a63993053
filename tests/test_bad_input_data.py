"""Bad input in the data layer (issue 21): each case ends in one clear line or a listed skip, and
nothing a command did not create is overwritten or deleted.

Covers ``python -m helpers.data synth|download|check``, the cache, ``download.extract``,
``audio.find_audio_files`` and ``./run_all.sh --dry-run``.
"""

from __future__ import annotations

import errno
import io
import json
import os
import re
import socket
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from helpers import cli, data
from helpers.data import audio, cache, download, synth

from .conftest import REPO, write_tone


def one_error_line(capsys) -> str:
    """The single ``error: ...`` line a command printed last on stderr (after progress bars), with no traceback."""
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert lines[-1].startswith("error: ") and "error" not in "".join(lines[:-1]) and "Traceback" not in err, err
    return lines[-1]


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its bytes (``None`` for a folder), to show that nothing changed."""
    return {str(p.relative_to(root)): None if p.is_dir() else p.read_bytes() for p in sorted(root.rglob("*"))}


SMALL = ["--per-genre", "1", "--seconds", "1", "--seed", "3"]


# ---------------------------------------------------------------- 1. synth never writes over other data


@pytest.mark.parametrize("layout", [
    ["genres_original/blues/blues.00000.wav"],  # the Kaggle layout, a real file under a GTZAN name
    ["blues/my song.wav"],  # a library of genre folders
    ["genres_original/blues/blues.00000.wav", "genres_original/blues/notes.txt"],
    ["features_30_sec.csv"],
])
def test_synth_refuses_a_folder_that_holds_other_data_and_writes_nothing(tmp_path, capsys, layout):
    root = tmp_path / "music"
    for name in layout:
        if audio.is_audio_file(name):
            write_tone(root / name, seconds=1.5)
        else:
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text("filename,label\n")
    before = tree(root)
    assert cli.run(data.main, ["synth", "--out", str(root), *SMALL]) == 2
    line = one_error_line(capsys)
    assert str(root) in line and "nothing was written" in line
    assert tree(root) == before  # no clip written over, no SYNTHETIC.json added
    assert data.discover(root).dataset != "synthetic"


def test_the_library_function_refuses_too(tmp_path):
    write_tone(tmp_path / "genres_original" / "jazz" / "jazz.00000.wav", seconds=1.0)
    before = tree(tmp_path)
    with pytest.raises(cli.UserError, match="jazz.00000.wav is not the clip this generator writes"):
        synth.write_dataset(tmp_path, per_genre=1, seconds=1.0, seed=3, progress=False)
    assert tree(tmp_path) == before


def test_synth_writes_into_an_empty_or_new_folder_and_over_its_own_output(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    for folder in ("empty", "new/deeper"):
        assert cli.run(data.main, ["synth", "--out", str(tmp_path / folder), *SMALL]) == 0
        assert synth.is_complete(tmp_path / folder, per_genre=1, seconds=1.0, seed=3)
    own = tmp_path / "empty"
    assert cli.run(data.main, ["synth", "--out", str(own), "--per-genre", "2", "--seconds", "1", "--seed", "4"]) == 0
    assert json.loads((own / synth.MARKER_FILE).read_text())["seed"] == 4  # its own marked output: written over
    assert len(list(own.glob("genres_original/*/*.wav"))) == 20


def test_an_interrupted_generation_is_continued_only_with_the_same_settings(tmp_path):
    out = synth.write_dataset(tmp_path / "syn", per_genre=2, seconds=1.0, seed=3, progress=False)
    (out / synth.MARKER_FILE).unlink()  # interrupted before the marker ...
    (out / "genres_original" / "rock" / "rock.00001.wav").unlink()  # ... and before the last clips
    (out / "genres_original" / "rock" / ".rock.00001.wav.k2j4_x.tmp").write_bytes(b"half a clip")
    kept = out / "genres_original" / "blues" / "blues.00000.wav"
    os.utime(kept, (1, 1))
    before = tree(out)
    with pytest.raises(cli.UserError, match="seed 4"):  # other settings: these clips may not be its own
        synth.write_dataset(out, per_genre=2, seconds=1.0, seed=4, progress=False)
    assert tree(out) == before
    synth.write_dataset(out, per_genre=2, seconds=1.0, seed=3, progress=False)
    assert synth.is_complete(out, per_genre=2, seconds=1.0, seed=3)
    assert kept.stat().st_mtime == 1  # verified, kept as it was
    assert (out / "genres_original" / "rock" / "rock.00001.wav").is_file()


def test_synthetic_default_still_regenerates_after_a_damaged_marker(tmp_path):
    from helpers.data import synthetic

    out = synthetic.ensure(tmp_path / "4x1s-seed42", per_genre=1, seconds=1.0, seed=42)
    (out / synth.MARKER_FILE).write_text("{trunc")
    synthetic.ensure(out, per_genre=1, seconds=1.0, seed=42)  # removes the marker, then write_dataset continues
    assert synth.is_complete(out, per_genre=1, seconds=1.0, seed=42)


# ---------------------------------------------------------------- 2. a bad seed, a full disk


def test_a_negative_seed_is_one_line(tmp_path, capsys):
    assert cli.run(data.main, ["synth", "--out", str(tmp_path / "s"), "--seed", "-5"]) == 2
    assert "--seed -5" in one_error_line(capsys)
    assert not (tmp_path / "s").exists()


class _FullDisk(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))  # as the kernel says it: no file name


@pytest.fixture
def full_disk(monkeypatch):
    """Every file written through ``helpers.data.cache`` fails as on a full disk."""
    def fdopen(descriptor, *args, **kwargs):
        os.close(descriptor)
        return _FullDisk()

    monkeypatch.setattr(cache.os, "fdopen", fdopen)


def test_synth_on_a_full_disk_is_one_line_naming_the_file(tmp_path, capsys, full_disk):
    out = tmp_path / "s"
    assert cli.run(data.main, ["synth", "--out", str(out), *SMALL]) == 1
    line = one_error_line(capsys)
    assert str(out / "genres_original" / "blues" / "blues.00000.wav") in line and "No space left" in line
    assert not list(out.rglob("*.tmp"))


def test_a_cache_entry_on_a_full_disk_names_the_entry(tmp_path, capsys, full_disk):
    entry = cache.entry("features", "abcdef", ".json", root=tmp_path)
    assert cli.run(lambda argv: cache.write_json(entry, {"a": 1})) == 1
    line = one_error_line(capsys)
    assert line.startswith(f"error: {entry}: No space left on device")
    assert list(entry.parent.iterdir()) == []


# ---------------------------------------------------------------- 3. a folder where a cache entry belongs


def _cached_or_computed(entry: Path) -> np.ndarray:
    """What every cached representation does: read the entry, else compute and store it."""
    stored = cache.read_arrays(entry, ["X"])
    if stored is not None:
        return stored["X"]
    value = np.arange(3.0)
    cache.write_arrays(entry, X=value)
    return value


def test_a_folder_in_place_of_a_cache_entry_is_named_and_left_alone(tmp_path, capsys):
    entry = cache.entry("features", "abcdef", ".npz", root=tmp_path)
    (entry / "mine").mkdir(parents=True)
    (entry / "mine" / "notes.txt").write_text("keep")
    assert cli.run(lambda argv: _cached_or_computed(entry)) == 1
    line = one_error_line(capsys)
    assert line.startswith(f"error: {entry}: a folder, not a file") and "move the folder away" in line
    assert (entry / "mine" / "notes.txt").read_text() == "keep"
    with pytest.raises(IsADirectoryError, match="a folder, not a file"):
        cache.read_json(entry)
    with pytest.raises(IsADirectoryError) as caught:
        cache.write_text(entry, "x")
    assert caught.value.filename == str(entry)
    assert sorted(p.name for p in entry.parent.iterdir()) == [entry.name]  # no temporary file left


# ---------------------------------------------------------------- 4. run_all.sh --dry-run writes nothing

def run_all(*args: str, **env: str) -> subprocess.CompletedProcess:
    """``./run_all.sh`` as a user runs it, without the test session's dataset settings (see tests/test_run_all.py)."""
    environ = {k: v for k, v in os.environ.items() if k not in ("MGC_DATASET", "GTZAN_DIR", "MGC_OUTPUT_DIR")}
    environ.update(dict(MGC_VENV="none", PYTHON=sys.executable, MGC_PROFILE="smoke", PIP_NO_INDEX="1"), **env)
    return subprocess.run(["bash", str(REPO / "run_all.sh"), *args], cwd=REPO, env=environ, capture_output=True,
                          text=True, timeout=120)


def test_a_dry_run_creates_no_virtual_environment(tmp_path):
    venv = tmp_path / "venv"
    result = run_all("--dry-run", "--only", "0", MGC_VENV=str(venv))
    assert result.returncode == 0, result.stderr
    assert f"would create the virtual environment {venv}" in result.stdout
    assert "would run 00_" in result.stdout and not venv.exists()


def test_a_dry_run_with_an_empty_data_folder_says_where_it_would_generate_the_dataset(tmp_path):
    """With the real interpreter: needs ``python -m helpers.config dataset --no-create`` (helpers/config.py)."""
    empty = tmp_path / "data"
    empty.mkdir()
    result = run_all("--dry-run", "--only", "0", MGC_DATA_DIR=str(empty), MGC_CACHE_DIR=str(tmp_path / "cache"), MGC_PROFILE="")
    assert result.returncode == 0, result.stderr
    where = re.search(r"^dataset: synthetic at (\S+) \(embedded default, not generated yet", result.stdout, flags=re.M)
    assert where and (REPO / where[1]).resolve().parent == (empty / "synthetic").resolve(), result.stdout
    assert "dry run: nothing was run or written" in result.stdout
    assert list(empty.iterdir()) == [] and not (tmp_path / "cache").exists()
    # no profile named on the synthetic default: the smoke profile, said so; a named profile is kept
    assert "==> profile smoke, dataset synthetic" in result.stdout and "so the smoke profile" in result.stdout
    named = run_all("--dry-run", "--only", "0", "--profile", "report", MGC_DATA_DIR=str(empty),
                    MGC_CACHE_DIR=str(tmp_path / "cache"), MGC_PROFILE="")
    assert "==> profile report, dataset synthetic" in named.stdout and "smoke profile" not in named.stdout


# ---------------------------------------------------------------- 5. a failed download, an empty --url


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_failed_download_removes_the_empty_folders_it_created_only(tmp_path, capsys):
    url = f"http://127.0.0.1:{_closed_port()}/genres.tar.gz"  # refused at once
    new = tmp_path / "a" / "b" / "gtzan"
    assert cli.run(data.main, ["download", "gtzan", "--dest", str(new), "--url", url]) == 2
    assert "cannot connect" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and tmp_path.is_dir()
    existing = tmp_path / "mine"
    existing.mkdir()
    assert cli.run(data.main, ["download", "gtzan", "--dest", str(existing), "--url", url]) == 2
    assert existing.is_dir()  # not created by the command: stays, empty as it was


def test_an_empty_url_is_refused(tmp_path, capsys, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("an empty --url must not fall back to the known mirrors")

    monkeypatch.setattr(download, "fetch", no_network)
    for url in ("", " "):
        assert cli.run(data.main, ["download", "gtzan", "--dest", str(tmp_path / "g"), "--url", url]) == 2
        assert "--url is empty" in one_error_line(capsys)
    assert not (tmp_path / "g").exists()
    with pytest.raises(download.DownloadError, match="empty"):
        download.download_remote(data.registry.get("gtzan").remotes["gtzan"], tmp_path / "g", "by hand", url="")


# ---------------------------------------------------------------- 6. extract never deletes what the archive did not make


def _tar_gz(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as bundle:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            bundle.addfile(info, io.BytesIO(content))
    return path


def test_extract_refuses_a_folder_the_archive_did_not_make(tmp_path):
    archive = _tar_gz(tmp_path / "keepme.tar.gz", {"keepme/new.txt": b"n", "other.txt": b"o"})
    dest = tmp_path / "dest"
    (dest / "keepme").mkdir(parents=True)
    (dest / "keepme" / "precious.txt").write_text("mine")
    before = tree(dest)
    with pytest.raises(download.DownloadError, match=r"dest/keepme already exists and is not an earlier extraction") as caught:
        download.extract(archive, dest)
    assert "precious.txt" in str(caught.value)
    assert tree(dest) == before  # nothing extracted (not even other.txt), nothing removed, no staging left


def test_extract_replaces_its_own_earlier_extraction_only(tmp_path):
    archive = _tar_gz(tmp_path / "a.tar.gz", {"genres/blues/b.au": b"b" * 10, "genres/rock/r.au": b"r"})
    dest = tmp_path / "dest"
    download.extract(archive, dest)
    (dest / "genres" / "rock" / "r.au").unlink()  # a file removed from an earlier extraction: restored
    download.extract(archive, dest)
    assert (dest / "genres" / "rock" / "r.au").read_bytes() == b"r"
    (dest / "genres" / "blues" / "b.au").write_bytes(b"edited")  # changed: no longer the archive's file
    with pytest.raises(download.DownloadError, match=r"\(genres/blues/b.au is not in the archive as it is here\)"):
        download.extract(archive, dest)
    assert (dest / "genres" / "blues" / "b.au").read_bytes() == b"edited"


def test_a_damaged_archive_is_a_download_error_naming_it(tmp_path):
    whole = _tar_gz(tmp_path / "whole.tar.gz", {"genres/blues/b.au": os.urandom(200_000)})
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole.read_bytes()[:100_000])
    broken_zip = tmp_path / "crc.zip"
    with zipfile.ZipFile(broken_zip, "w") as bundle:
        bundle.writestr("a.txt", b"x" * 1000)
    content = bytearray(broken_zip.read_bytes())
    content[content.index(b"x" * 100) + 50] ^= 0xFF  # one byte of the member's data changed: its CRC no longer matches
    broken_zip.write_bytes(bytes(content))
    for archive in (cut, broken_zip):
        with pytest.raises(download.DownloadError, match=f"{archive.name}: a damaged archive"):
            download.extract(archive, tmp_path / "out")
        assert list((tmp_path / "out").iterdir()) == []


# ---------------------------------------------------------------- 7. a module that is not a command


def test_the_download_module_is_not_a_command():
    result = subprocess.run([sys.executable, "-m", "helpers.data.download", "--url", "http://example.org/x.tgz"],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "python -m helpers.data download" in result.stderr


# ---------------------------------------------------------------- 8. entries named like audio that are no file


def _odd_entries(folder: Path) -> None:
    (folder / "x.wav").mkdir(parents=True)
    (folder / "l1.wav").symlink_to("l2.wav")
    (folder / "l2.wav").symlink_to("l1.wav")
    (folder / "gone.wav").symlink_to("nowhere.wav")


def test_check_lists_a_folder_named_like_audio_and_broken_links(tmp_path, capsys):
    blues = tmp_path / "genres_original" / "blues"
    write_tone(blues / "blues.00000.wav", seconds=0.5)
    _odd_entries(blues)
    assert data.main(["check", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "4 file(s) skipped by every notebook:" in out
    for name, reason in (("x.wav", "a folder, not a file"), ("l1.wav", "a symlink loop"), ("l2.wav", "a symlink loop"),
                         ("gone.wav", "a broken link (to nowhere.wav")):
        assert f"  {blues / name}: {reason}" in out


def test_find_audio_files_lists_files_and_says_why_it_left_others_out(tmp_path):
    music = tmp_path / "music"
    song = write_tone(music / "rock" / "song.flac", seconds=0.2)
    picture = music / "rock" / "cover.png"  # not audio: neither listed nor skipped
    picture.write_bytes(b"PNG")
    named = tmp_path / "given.txt"  # named by the caller: listed whatever its suffix
    named.write_text("not audio")
    _odd_entries(music)
    (music / "rock" / "up").symlink_to("..")  # a link back to a folder above it
    files, skipped = audio.find_audio_files([music, named, tmp_path / "missing.wav"])
    assert files == [song, named]
    reasons = {path.relative_to(tmp_path).as_posix(): reason for path, reason in skipped}
    assert reasons == {"music/x.wav": "a folder, not a file", "music/l1.wav": "a symlink loop",
                       "music/l2.wav": "a symlink loop", "music/gone.wav": "a broken link (to nowhere.wav, which does not exist)",
                       "music/rock/up": "a symlink loop", "missing.wav": "no such file or folder"}
    pngs, _ = audio.find_audio_files([music], wanted=lambda p: p.suffix.lower() == ".png")
    assert pngs == [picture]


def test_an_unreadable_file_and_a_one_hertz_header_are_named_with_the_reason(tmp_path):
    import soundfile as sf

    from helpers.data import audio

    slow = tmp_path / "slow.wav"
    sf.write(slow, np.zeros(200_000, np.float32), 1)  # 200,000 frames at 1 Hz: a 55-hour "clip"
    with pytest.raises(audio.AudioError, match="sample rate of 1 Hz"):
        audio.info(slow)
    locked = tmp_path / "locked.wav"
    sf.write(locked, np.zeros(2205, np.float32), 22050)
    locked.chmod(0)
    try:
        if os.access(locked, os.R_OK):  # running as root: permissions do not apply
            pytest.skip("this user reads files whatever their permissions")
        with pytest.raises(audio.AudioError, match="no permission to read it"):
            audio.info(locked)
    finally:
        locked.chmod(0o644)
