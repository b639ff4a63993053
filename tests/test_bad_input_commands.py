"""Bad input to the features, pretrained, augment and results command lines (issue 21): one ``error:`` line before any
work, never a traceback, never a file replaced that the command did not write.

None of these tests runs a network or a worker pool: the work each command would start is replaced by a stand-in that
fails the test when it is reached too early (or, for the IDs, returns made-up outputs).
"""

import json
import os
import zipfile
from collections import namedtuple

import numpy as np
import pytest

from helpers import cli
from helpers.inputs import augment, representations
from helpers.inputs import features as features_package
from helpers.models import pretrained
from helpers.results import evaluate, report

from .conftest import write_tone
from .test_evaluate import make_record


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "Traceback" not in err, err
    return err


def never(*args, **kwargs):
    raise AssertionError("the work started before the bad input was refused")


# ----------------------------------------------------------------------------- 1. --jobs


def test_jobs_are_capped_at_the_cores_and_the_clips_and_the_cap_is_said_in_one_line(capsys):
    assert cli.worker_count(1000, 24, cores=2) == 2
    assert capsys.readouterr().err == "--jobs 1000: using 2 workers (2 cores, 24 clips)\n"
    assert cli.worker_count(8, 1, cores=16) == 1
    assert capsys.readouterr().err == "--jobs 8: using 1 worker (16 cores, 1 clip)\n"
    assert cli.worker_count(None, 24, cores=2) == 2  # the default: every core, nothing to say
    assert cli.worker_count(2, 24, cores=2) == 2 and cli.worker_count(3, 0, cores=2) == 1
    assert capsys.readouterr().err == "--jobs 3: using 1 worker (2 cores, 0 clips)\n"


def test_available_cores_respect_the_cpu_affinity(monkeypatch):
    monkeypatch.delattr(os, "process_cpu_count", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {3}, raising=False)
    assert cli.available_cores() == 1


def test_extract_with_a_thousand_jobs_starts_at_most_one_worker_per_core_and_clip(tmp_path, capsys, monkeypatch):
    for i in range(3):
        write_tone(tmp_path / "data" / "blues" / f"blues.0000{i}.wav", seconds=1.0)
    asked = []

    def compute(tracks, reps, jobs=1, **kwargs):
        asked.append(jobs)
        raise KeyboardInterrupt  # stop before any clip is decoded

    monkeypatch.setattr(representations, "compute", compute)
    argv = ["extract", str(tmp_path / "data"), "--out", str(tmp_path / "f.csv"), "--jobs", "1000", "--no-cache"]
    assert cli.run(features_package.main, argv) == 130
    used = min(3, cli.available_cores())
    assert asked == [used]
    assert f"--jobs 1000: using {used} worker" in capsys.readouterr().err


# ----------------------------------------------------------------------------- 2. results records of the wrong shape

WRONG_RECORDS = {
    "metric as a string": (lambda r: r["metrics"]["accuracy"].update(value="0.5"), "metrics.accuracy.value is '0.5'"),
    "metrics as strings": (lambda r: r.update(metrics={name: "0.5" for name in r["metrics"]}), "metrics.accuracy is '0.5'"),
    "no confusion matrix": (lambda r: r.pop("confusion"), "confusion is missing"),
    "a ragged confusion matrix": (lambda r: r["confusion"]["matrix"].pop(), "confusion.matrix is"),
    "no test size": (lambda r: r["sizes"].pop("test"), "sizes.test is missing"),
    "extra as a string": (lambda r: r.update(extra="none"), "extra is 'none', not an object"),
}


@pytest.mark.parametrize("change, expected", WRONG_RECORDS.values(), ids=WRONG_RECORDS.keys())
def test_a_record_of_the_wrong_shape_is_named_with_what_is_wrong(tmp_path, capsys, change, expected):
    path = evaluate.save(make_record(), tmp_path / "results", profile="report")
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))
    readme = tmp_path / "README.md"
    readme.write_text(f"text\n{report.MARKERS[0]}\nold\n{report.MARKERS[1]}\n")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "results.md").write_text(readme.read_text())

    assert cli.run(evaluate.main, ["summary", str(tmp_path / "results")]) == 2
    line = one_error_line(capsys)
    assert str(path) in line and expected in line and "move or delete that file" in line
    assert cli.run(report.main, ["readme", "--results", str(tmp_path / "results"), "--readme", str(readme)]) == 2
    assert one_error_line(capsys) == line
    assert "old" in readme.read_text()


# ----------------------------------------------------------------------------- 3. a reference that is not an .npz


def test_parity_names_a_reference_file_that_is_not_an_npz_archive(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pretrained, "parity", never)
    reference = tmp_path / "gtzan" / "reference"
    reference.mkdir(parents=True)
    text = reference / "musicnn_msd_taggram_train.npz"
    text.write_text("these are not taggrams\n")
    assert cli.run(pretrained.main, ["parity", str(tmp_path / "gtzan")]) == 2
    line = one_error_line(capsys)
    assert str(text) in line and "not a NumPy .npz archive" in line

    text.unlink()
    other = reference / "musicnn_msd_taggram_test.npz"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("notes.txt", "no arrays")
    assert cli.run(pretrained.main, ["parity", str(tmp_path / "gtzan")]) == 2
    line = one_error_line(capsys)
    assert str(other) in line and "holds no X or IDS array" in line


# ----------------------------------------------------------------------------- 4. outputs checked before the work


@pytest.mark.parametrize("command", ["taggram", "embed"])
def test_pretrained_refuses_an_output_it_cannot_write_before_decoding(tmp_path, capsys, monkeypatch, command):
    monkeypatch.setattr(pretrained, "waveform", never)
    song = write_tone(tmp_path / "song.wav", seconds=1.0)
    assert cli.run(pretrained.main, [command, str(song), "--out", str(song / "t.npz")]) == 2
    line = one_error_line(capsys)
    assert "--out" in line and f"{song} is a file, not a folder" in line
    (tmp_path / "out.npz").mkdir()
    assert cli.run(pretrained.main, [command, str(song), "--out", str(tmp_path / "out.npz")]) == 2
    assert "is a folder" in one_error_line(capsys)


def test_parity_refuses_an_output_it_cannot_write_before_decoding(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(pretrained, "parity", never)
    reference = tmp_path / "gtzan" / "reference"
    reference.mkdir(parents=True)
    np.savez(reference / "musicnn_msd_taggram_train.npz", X=np.zeros((1, 50), np.float32), IDS=np.array(["blues.00000.wav"]))
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    assert cli.run(pretrained.main, ["parity", str(tmp_path / "gtzan"), "--out", str(blocker / "p.csv")]) == 2
    assert f"--out {blocker / 'p.csv'}: {blocker} is a file" in one_error_line(capsys)


def test_augment_refuses_an_output_folder_under_a_file_before_decoding(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(augment, "write_copies", never)
    song = write_tone(tmp_path / "song.wav", seconds=1.0)
    assert cli.run(augment.main, [str(song), "--out", str(song / "copies")]) == 2
    assert f"{song} is a file, not a folder" in one_error_line(capsys)


# ----------------------------------------------------------------------------- 5. unique IDs


def fake_outputs(samples, names, hop):
    return {name: {"taggram": np.full((2, 50), 0.5, np.float32)} for name in names}


@pytest.mark.parametrize("layout, given, expected", [
    (["one/song.wav", "two/song.flac"], ["one/song.wav", "two/song.flac"], ["one/song", "two/song"]),
    (["music/song.wav", "music/song.flac", "music/b.wav"], ["music"], ["b.wav", "song.flac", "song.wav"]),
    (["music/a.wav", "music/sub/b.wav"], ["music"], ["a", "sub/b"]),
    (["music/a.wav", "music/b.wav"], ["music/a.wav", "music", "music/b.wav"], ["a", "b"]),  # each file once
], ids=["two-folders", "same-name-two-formats", "subfolder", "given-twice"])
def test_embed_gives_every_file_its_own_id(tmp_path, monkeypatch, layout, given, expected):
    for name in layout:
        write_tone(tmp_path / name, seconds=0.5)
    monkeypatch.setattr(pretrained, "waveform", lambda path: np.zeros(100, np.float32))
    monkeypatch.setattr(pretrained, "window_outputs", fake_outputs)
    out = tmp_path / "e.npz"
    assert cli.run(pretrained.main, ["embed", *(str(tmp_path / g) for g in given), "--out", str(out)]) == 0
    with np.load(out) as written:
        assert written["IDS"].tolist() == expected and len(written["X"]) == len(expected)
    assert cli.run(pretrained.main, ["taggram", *(str(tmp_path / g) for g in given), "--out", str(out), "--overwrite"]) == 0
    with np.load(out) as written:
        assert written["IDS"].tolist() == [i for i in expected for _ in range(2)]


# ----------------------------------------------------------------------------- 6. augment: copies, disk, existing files


def test_augment_refuses_more_copies_than_its_limit(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(augment, "write_copies", never)
    song = write_tone(tmp_path / "song.wav", seconds=1.0)
    argv = [str(song), "--policy", "noise-mask", "--copies", "100000", "--out", str(tmp_path / "copies")]
    assert cli.run(augment.main, argv) == 2
    line = one_error_line(capsys)
    assert "--copies 100000" in line and f"at most {augment.MAX_COPIES} copies per file" in line
    assert not (tmp_path / "copies").exists()


def test_augment_refuses_copies_that_do_not_fit_on_the_disk(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(augment, "write_copies", never)
    song = write_tone(tmp_path / "song.wav", seconds=10.0)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(augment.shutil, "disk_usage", lambda path: usage(10**6, 10**6 - 1000, 1000))
    assert cli.run(augment.main, [str(song), "--out", str(tmp_path / "copies")]) == 2
    line = one_error_line(capsys)
    assert "the copies need about 3 MB, the disk has 0 MB free" in line
    # six 16-bit mono copies of 10 s at 22.05 kHz: the original, the shift and four stretches (slower ones longer)
    assert augment.estimated_bytes([song], augment.WaveformPolicy("six-fold")) == pytest.approx(
        10 * 22050 * 2 * (2 + sum(1 / f for f in augment.STRETCH_FACTORS)), rel=1e-3)


def test_augment_never_replaces_a_file_it_did_not_write(tmp_path, capsys):
    song = write_tone(tmp_path / "song.wav", seconds=1.0)
    out = tmp_path / "copies"
    out.mkdir()
    mine = out / "song.original.wav"
    mine.write_bytes(b"my own recording")
    assert cli.run(augment.main, [str(song), "--out", str(out)]) == 2
    line = one_error_line(capsys)
    assert "already holds 1 of the 6 files" in line and "song.original.wav" in line
    assert mine.read_bytes() == b"my own recording" and sorted(p.name for p in out.iterdir()) == ["song.original.wav"]


# ----------------------------------------------------------------------------- an existing --out holding something else


def test_an_existing_out_file_is_replaced_only_with_overwrite_and_only_when_it_holds_this_commands_output(
        tmp_path, capsys, monkeypatch):
    write_tone(tmp_path / "data" / "blues" / "blues.00000.wav", seconds=1.0)
    song = write_tone(tmp_path / "song.wav", seconds=1.0)
    before = song.read_bytes()
    monkeypatch.setattr(representations, "compute", never)
    argv = ["extract", str(tmp_path / "data"), "--out", str(song), "--no-cache", "--overwrite"]
    assert cli.run(features_package.main, argv) == 2  # --overwrite never replaces another kind of file
    assert "already exists and is not a features CSV" in one_error_line(capsys) and song.read_bytes() == before
    table = tmp_path / "mine.csv"
    table.write_text("name,score\nalice,3\n")
    assert cli.run(features_package.main, ["eda", str(tmp_path / "data"), "--out", str(table)]) == 2
    assert "not an eda CSV" in one_error_line(capsys) and table.read_text() == "name,score\nalice,3\n"
    other = tmp_path / "other.npz"
    np.savez(other, weights=np.zeros(3))
    assert cli.run(pretrained.main, ["embed", str(song), "--out", str(other), "--overwrite"]) == 2
    assert "not an embed archive" in one_error_line(capsys) and sorted(np.load(other)) == ["weights"]
    kaggle = tmp_path / "features_30_sec.csv"  # a features CSV someone else made: the same kind, kept without --overwrite
    kaggle.write_text("filename,length,chroma_stft_mean\nblues.00000.wav,661794,0.35\n")
    argv = ["extract", str(tmp_path / "data"), "--out", str(kaggle), "--no-cache"]
    assert cli.run(features_package.main, argv) == 2
    assert "give --overwrite to replace it" in one_error_line(capsys) and "blues.00000.wav,661794" in kaggle.read_text()
    cli.check_output(kaggle, replaces=cli.csv_with_header("filename", "length"), overwrite=True)  # then it may go


@pytest.mark.parametrize("arrays, words", [
    (dict(X=np.array([object(), 1], dtype=object), IDS=np.array(["a", "b"])), "cannot be read as plain arrays"),
    (dict(X=np.zeros((2, 3), np.float32), IDS=np.array(["a", "b"])), "not windows x 50 numbers"),
    (dict(X=np.array([["x"] * 50] * 2), IDS=np.array(["a", "b"])), "not windows x 50 numbers"),
    (dict(X=np.zeros((3, 50), np.float32), IDS=np.array(["a", "b"])), "2 IDS"),
], ids=["object-array", "three-wide", "strings", "ids-length"])
def test_parity_names_a_reference_whose_arrays_are_not_taggrams(tmp_path, capsys, monkeypatch, arrays, words):
    reference = tmp_path / "gtzan" / "reference"
    reference.mkdir(parents=True)
    np.savez(reference / pretrained.REFERENCE_FILES[0], **arrays)
    monkeypatch.setattr(pretrained, "parity", never)
    assert cli.run(pretrained.main, ["parity", str(tmp_path / "gtzan")]) == 2
    assert words in one_error_line(capsys)
