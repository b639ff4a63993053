"""``python -m helpers.library``: a generated library of 200 files (corrupt, empty and non-audio ones among them)
classified with the shipped models, resumed, run on a Dask LocalCluster, interrupted, summarised and organised."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import soundfile as sf

from helpers import cli
from helpers.library import Catalog, catalog
from helpers.library.__main__ import main
from helpers.library.organize import PLAYLIST_MARK

REPO = Path(__file__).resolve().parents[1]
MODELS = [str(REPO / "models" / "musicnn-default.keras"), str(REPO / "models" / "musicnn-multi.keras")]
MODEL_ARGS = ["--model", MODELS[0], "--multi-model", MODELS[1]]
AUDIO_FILES, BAD_FILES = 190, 10  # 200 files with audio names; 10 of them cannot be read


def _library(root: Path) -> Path:
    """190 short tones and noises (wav, flac, ogg in nested folders, two files of one name), 4 corrupt, 3 empty and
    3 non-audio files under audio names, and 2 files that are not audio by name (left out)."""
    rng = np.random.default_rng(0)
    sr = 16000
    for i in range(AUDIO_FILES):
        folder = root / f"artist{i % 7}" / f"album{i % 3}"
        folder.mkdir(parents=True, exist_ok=True)
        t = np.arange(int(sr * (0.5 + 0.5 * (i % 3)))) / sr
        signal_ = 0.3 * np.sin(2 * np.pi * (110 + 20 * i) * t) * (1 + np.sign(np.sin(2 * np.pi * (i % 5 + 1) * t)))
        samples = (signal_ + 0.05 * (i % 4) * rng.standard_normal(len(t))).astype(np.float32)
        name = "track.wav" if i in (0, 1) else f"{i:03d}.{('wav', 'flac', 'ogg')[i % 3]}"
        sf.write(folder / name, samples, sr)
    bad = root / "bad"
    bad.mkdir()
    good = next(root.rglob("*.flac")).read_bytes()
    (bad / "truncated.flac").write_bytes(good[: len(good) // 3])
    for k in range(3):
        (bad / f"garbage{k}.mp3").write_bytes(os.urandom(2000))
        (bad / f"empty{k}.{('wav', 'mp3', 'ogg')[k]}").write_bytes(b"")
    for k in range(2):
        (bad / f"notes{k}.wav").write_text("these are liner notes, not audio\n")
    (bad / "readme.ogg").write_text("not audio")
    (root / "cover.jpg").write_bytes(b"\xff\xd8\xff")
    (root / "notes.txt").write_text("left out")
    return root


def _snapshot(root: Path) -> dict[str, tuple[int, int, str]]:
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    if not all(Path(m).is_file() for m in MODELS):
        pytest.fail(f"the shipped models are missing: {MODELS}")
    return _library(tmp_path_factory.mktemp("library") / "music")


@pytest.fixture(scope="module")
def reference(library, tmp_path_factory) -> Path:
    """The catalogue of one uninterrupted run in this process."""
    path = tmp_path_factory.mktemp("catalogues") / "library.parquet"
    assert main(["classify", str(library), "--catalog", str(path), *MODEL_ARGS]) == 0
    return path


def _rows(path: Path) -> pd.DataFrame:
    return pq.read_table(path).to_pandas().set_index("relpath").sort_index()


def test_classify_writes_one_row_per_file_with_the_bad_files_reasons(library, reference):
    rows = _rows(reference)
    assert len(rows) == AUDIO_FILES + BAD_FILES
    assert list(pq.read_schema(reference).names) == catalog.SCHEMA.names
    bad = rows[rows["status"] == "unreadable"]
    assert sorted(bad.index) == sorted(str(p.relative_to(library)) for p in (library / "bad").iterdir())
    assert bad["reason"].str.len().gt(0).all() and bad["genre"].isna().all()
    ok = rows[rows["status"] == "ok"]
    assert len(ok) == AUDIO_FILES and ok["genre"].notna().all()
    assert ok["top"].map(len).eq(3).all()
    assert (ok["top"].map(lambda top: top[0]["genre"]) == ok["genre"]).all()
    assert np.allclose(ok["top"].map(lambda top: top[0]["probability"]), ok["probability"])
    assert ok["embedding"].map(len).eq(50).all()  # the mean taggram: musicnn's 50 tags
    assert ok["genres"].map(lambda g: g is not None).all()
    assert ok["duration"].between(0.4, 1.6).all() and ok["sha256"].str.len().eq(64).all()
    assert rows["model"].nunique() == 1 and rows["model"].iloc[0].startswith("musicnn-default@")
    assert pq.read_schema(reference).metadata[b"library"].decode() == str(library)


def test_a_second_run_skips_everything(library, reference, capsys):
    before = _rows(reference)
    assert main(["classify", str(library), "--catalog", str(reference), *MODEL_ARGS]) == 0
    out = capsys.readouterr().out
    assert f"{AUDIO_FILES + BAD_FILES} in the catalogue already" in out and "0 to classify" in out
    pd.testing.assert_frame_equal(_rows(reference), before)


def test_dry_run_writes_nothing(library, tmp_path, capsys):
    target = tmp_path / "dry.parquet"
    assert main(["classify", str(library), "--catalog", str(target), "--dry-run", *MODEL_ARGS]) == 0
    assert f"{AUDIO_FILES + BAD_FILES} to classify" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def _same_catalogue(a: Path, b: Path) -> None:
    left, right = _rows(a), _rows(b)
    assert list(left.index) == list(right.index)
    for column in ("genre", "status", "reason", "sha256", "model", "windows", "note"):
        pd.testing.assert_series_equal(left[column], right[column], check_names=False)
    assert np.allclose(left["probability"].fillna(-1), right["probability"].fillna(-1), atol=1e-5)
    ok = left["status"] == "ok"
    assert (left.loc[ok, "genres"].map(list) == right.loc[ok, "genres"].map(list)).all()
    assert np.allclose(np.stack(left.loc[ok, "embedding"]), np.stack(right.loc[ok, "embedding"]), atol=1e-5)


def test_two_dask_workers_make_the_same_catalogue(library, reference, tmp_path):
    path = tmp_path / "dask.parquet"
    assert main(["classify", str(library), "--catalog", str(path), "--workers", "2", "--batch-size", "24", *MODEL_ARGS]) == 0
    _same_catalogue(path, reference)


def test_an_interrupted_run_resumes_and_loses_nothing(library, reference, tmp_path, capsys):
    path = tmp_path / "interrupted.parquet"
    command = [sys.executable, "-m", "helpers.library", "classify", str(library), "--catalog", str(path), "--batch-size", "8",
               *MODEL_ARGS]
    # Ctrl-C in a terminal: SIGINT to the whole process group, the Dask workers included (they must stay quiet). The
    # command starts with SIGINT's default action, as from a terminal: a test command started in the background of a
    # script (`./run_tests.sh &`) inherits SIGINT ignored, and Python then never turns it into KeyboardInterrupt.
    process = subprocess.Popen([*command, "--workers", "2"], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    parts = path.with_name(path.name + ".parts")
    deadline = time.monotonic() + 300
    while not (parts.is_dir() and len(list(parts.glob("part-*.parquet"))) >= 2) and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "run the same command again" in err
    done = pq.read_table(path).num_rows
    assert 16 <= done < AUDIO_FILES + BAD_FILES  # the finished batches were merged at the interruption
    assert main(command[3:]) == 0  # the same command again (in this process: TensorFlow is loaded already)
    assert f"{done} in the catalogue already" in capsys.readouterr().out
    _same_catalogue(path, reference)


def test_organize_links_every_readable_file_and_leaves_the_library_unchanged(library, reference, tmp_path, capsys):
    before = _snapshot(library)
    into = tmp_path / "by-genre"
    rows = _rows(reference)
    ok = rows[rows["status"] == "ok"]
    (into / ok["genre"].iloc[0]).mkdir(parents=True)
    taken = into / ok["genre"].iloc[0] / Path(ok.index[0]).name
    taken.write_text("a file of the user's")  # a name clash: kept, the link gets a suffix
    assert main(["organize", "--catalog", str(reference), "--into", str(into), "--mode", "link"]) == 0
    links = [p for p in into.rglob("*") if p.is_symlink()]
    assert len(links) == AUDIO_FILES
    assert {os.readlink(p) for p in links} == set(ok["path"])
    assert taken.read_text() == "a file of the user's"
    assert (taken.parent / f"{taken.stem} (2){taken.suffix}").is_symlink()
    for genre, count in ok["genre"].value_counts().items():
        lines = (into / f"{genre}.m3u").read_text().splitlines()
        assert lines[:2] == ["#EXTM3U", PLAYLIST_MARK] and sum(not line.startswith("#") for line in lines) == count
    assert "0 kept" in capsys.readouterr().out
    assert main(["organize", "--catalog", str(reference), "--into", str(into)]) == 0  # again: nothing new
    assert f"0 links made (0 renamed to avoid a name taken), {AUDIO_FILES} kept" in capsys.readouterr().out
    assert _snapshot(library) == before


def test_organize_copies_and_never_overwrites_a_users_playlist(library, reference, tmp_path):
    into = tmp_path / "copies"
    into.mkdir()
    genre = _rows(reference).query("status == 'ok'")["genre"].iloc[0]
    (into / f"{genre}.m3u").write_text("my own playlist\n")
    assert main(["organize", "--catalog", str(reference), "--into", str(into), "--mode", "copy"]) == 0
    assert (into / f"{genre}.m3u").read_text() == "my own playlist\n"
    assert (into / f"{genre} (2).m3u").read_text().startswith("#EXTM3U")
    copies = [p for p in into.rglob("*") if p.is_file() and p.suffix != ".m3u"]
    assert len(copies) == AUDIO_FILES and not any(p.is_symlink() for p in copies)


def test_summary_counts_genres_draws_a_figure_and_lists_the_unreadable(reference, tmp_path, capsys):
    figure = tmp_path / "genres.png"
    assert main(["summary", "--catalog", str(reference), "--figure", str(figure)]) == 0
    out = capsys.readouterr().out
    counts = _rows(reference).query("status == 'ok'")["genre"].value_counts()
    for genre, count in counts.items():
        assert any(line.split()[:2] == [genre, str(count)] for line in out.splitlines())
    assert f"unreadable ({BAD_FILES}):" in out and "bad/empty0.wav" in out
    assert figure.read_bytes().startswith(b"\x89PNG")
    other = tmp_path / "holiday.png"
    other.write_bytes(b"\x89PNG not ours")
    assert cli.run(main, ["summary", "--catalog", str(reference), "--figure", str(other)]) == 2
    assert other.read_bytes() == b"\x89PNG not ours"


def _bad(args: list[str], capsys) -> str:
    status = cli.run(main, args)
    err = capsys.readouterr().err.strip()
    assert status == 2, err
    assert "Traceback" not in err
    return err.splitlines()[-1]


def test_bad_input_is_one_line_and_exit_2(library, reference, tmp_path, capsys):
    assert "no library folder" in _bad(["classify", str(tmp_path / "nowhere"), "--catalog", str(tmp_path / "c.parquet")], capsys)
    folder = tmp_path / "folder.parquet"
    folder.mkdir()
    assert "is a folder" in _bad(["classify", str(library), "--catalog", str(folder), *MODEL_ARGS], capsys)
    other = Catalog(tmp_path / "other.parquet")
    other.write_part(catalog.rows_table([]), model="another-model@000000000000", library=str(library))
    other.merge(model="another-model@000000000000", library=str(library))
    assert "was made with another-model" in _bad(["classify", str(library), "--catalog", str(other.path), *MODEL_ARGS], capsys)
    foreign = tmp_path / "foreign.parquet"
    pq.write_table(catalog.rows_table([]).replace_schema_metadata({}), foreign)
    assert "not a catalogue" in _bad(["classify", str(library), "--catalog", str(foreign), *MODEL_ARGS], capsys)
    assert "cannot reach the Dask scheduler" in _bad(
        ["classify", str(library), "--catalog", str(tmp_path / "s.parquet"), "--scheduler", "tcp://127.0.0.1:9", *MODEL_ARGS], capsys)
    with pytest.raises(SystemExit) as exit_:
        main(["classify", str(library), "--catalog", str(tmp_path / "w.parquet"), "--workers", "0"])
    assert exit_.value.code == 2 and "1 or more" in capsys.readouterr().err
    assert "no catalogue" in _bad(["summary", "--catalog", str(tmp_path / "none.parquet")], capsys)
    assert "inside the library" in _bad(["organize", "--catalog", str(reference), "--into", str(library / "sorted")], capsys)
    assert not (library / "sorted").exists()


def test_a_renamed_copy_reuses_its_row_and_a_removed_file_leaves_the_catalogue(library, tmp_path, capsys):
    small = tmp_path / "small"
    small.mkdir()
    originals = sorted(p for p in library.rglob("*.flac"))[:3]
    for k, path in enumerate(originals):
        (small / f"{k}.flac").write_bytes(path.read_bytes())
    os.symlink(small, tmp_path / "link-to-small")
    weird = os.fsencode(small) + b"/caf\xe9.wav"  # Latin-1 bytes: not UTF-8
    with open(weird, "wb") as handle:
        handle.write(b"RIFF")
    path = tmp_path / "small.parquet"
    assert main(["classify", str(small), "--catalog", str(path), *MODEL_ARGS]) == 0
    assert "not valid UTF-8" in capsys.readouterr().err
    before = _rows(path)
    (small / "0.flac").rename(small / "renamed.flac")
    (small / "1.flac").unlink()
    assert main(["classify", str(tmp_path / "link-to-small"), "--catalog", str(path), *MODEL_ARGS]) == 0  # same library
    out = capsys.readouterr().out
    assert "1 in the catalogue already, 1 with the content of a catalogued file, 0 to classify" in out
    assert "2 catalogued files are no longer under" in out
    after = _rows(path)
    assert sorted(after.index) == ["2.flac", "renamed.flac"]
    assert after.loc["renamed.flac", "genre"] == before.loc["0.flac", "genre"]
    assert "same content as 0.flac" in after.loc["renamed.flac", "note"]


def test_one_catalogue_per_library_and_one_run_at_a_time(library, reference, tmp_path, capsys):
    import fcntl

    other = tmp_path / "other"
    other.mkdir()
    (other / "a.wav").write_bytes(next(library.rglob("*.wav")).read_bytes())
    assert "catalogues" in _bad(["classify", str(other), "--catalog", str(reference), *MODEL_ARGS], capsys)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "cover.jpg").write_bytes(b"\xff")
    assert "no audio files" in _bad(["classify", str(empty), "--catalog", str(tmp_path / "e.parquet"), *MODEL_ARGS], capsys)
    assert not (tmp_path / "e.parquet").exists()
    with open(reference.with_name(f".{reference.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert "another run" in _bad(["classify", str(library), "--catalog", str(reference), *MODEL_ARGS], capsys)


def test_a_coarser_hop_runs_fewer_windows_and_is_another_model(tmp_path, capsys):
    music = tmp_path / "long"
    music.mkdir()
    t = np.arange(16000 * 10) / 16000
    for i in range(3):
        sf.write(music / f"{i}.wav", (0.3 * np.sin(2 * np.pi * (220 + 110 * i) * t)).astype(np.float32), 16000)
    fine, coarse = tmp_path / "fine.parquet", tmp_path / "coarse.parquet"
    assert main(["classify", str(music), "--catalog", str(fine), "--no-multi", "--model", MODELS[0]]) == 0
    assert main(["classify", str(music), "--catalog", str(coarse), "--no-multi", "--model", MODELS[0], "--hop-seconds", "3"]) == 0
    fine_rows, coarse_rows = _rows(fine), _rows(coarse)
    assert fine_rows["windows"].tolist() == [8, 8, 8] and coarse_rows["windows"].tolist() == [3, 3, 3]  # 10 s: 3-s windows
    assert coarse_rows["model"].iloc[0] == fine_rows["model"].iloc[0] + "+hop-3s"
    capsys.readouterr()
    assert "was made with" in _bad(["classify", str(music), "--catalog", str(coarse), "--no-multi", "--model", MODELS[0]], capsys)
    same = tmp_path / "same.parquet"  # the model's own hop, named: the same model id as without the option
    assert main(["classify", str(music), "--catalog", str(same), "--no-multi", "--model", MODELS[0], "--hop-seconds", "1"]) == 0
    assert _rows(same)["model"].iloc[0] == fine_rows["model"].iloc[0]
    assert "less than one mel frame" in _bad(["classify", str(music), "--catalog", str(tmp_path / "h.parquet"), "--no-multi",
                                              "--model", MODELS[0], "--hop-seconds", "0.01"], capsys)
    with pytest.raises(SystemExit) as exit_:
        main(["classify", str(music), "--catalog", str(tmp_path / "z.parquet"), "--hop-seconds", "0"])
    assert exit_.value.code == 2 and "above 0" in capsys.readouterr().err
