"""The one cache layer, the command-line error helpers and the one-decode pass."""

from __future__ import annotations

import argparse
import json
import os

import numpy as np
import pandas as pd
import pytest

from helpers import cli
from helpers.data import cache
from helpers.inputs import representations

from .conftest import write_corrupt, write_tone


def test_key_follows_content_parameters_and_library_versions(tmp_path, monkeypatch):
    path = tmp_path / "a.bin"
    path.write_bytes(b"one")
    first = cache.key("features", {"n_fft": 2048}, files=[path], libraries=("numpy",))
    assert first == cache.key("features", {"n_fft": 2048}, files=[path], libraries=("numpy",))
    os.utime(path, (1, 1))  # touched, same bytes: same key
    assert cache.key("features", {"n_fft": 2048}, files=[path], libraries=("numpy",)) == first
    path.write_bytes(b"two")
    assert cache.key("features", {"n_fft": 2048}, files=[path], libraries=("numpy",)) != first
    path.write_bytes(b"one")
    assert cache.key("features", {"n_fft": 1024}, files=[path], libraries=("numpy",)) != first
    monkeypatch.setattr(cache, "library_versions", lambda packages: {"numpy": "0.0"})
    assert cache.key("features", {"n_fft": 2048}, files=[path], libraries=("numpy",)) != first


def test_atomic_write_leaves_the_old_entry_when_interrupted(tmp_path):
    target = cache.write_json(tmp_path / "e.json", {"v": 1})

    def crash(handle):
        handle.write("{\"v\": 2")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        cache.atomic_write(target, crash, mode="w")
    assert json.loads(target.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["e.json"]  # no temporary file left behind


@pytest.mark.parametrize("content", ["", "[{\"a\": 1", "\x00\x01"])
def test_unreadable_json_entry_is_removed_with_one_warning(tmp_path, content):
    entry = tmp_path / "e.json"
    entry.write_text(content)
    with pytest.warns(cache.CacheWarning, match="recomputing"):
        assert cache.read_json(entry) is None
    assert not entry.exists()
    assert cache.read_json(entry) is None  # missing: no warning


def test_entry_failing_the_callers_check_is_recomputed(tmp_path):
    entry = cache.write_json(tmp_path / "e.json", {})
    with pytest.warns(cache.CacheWarning):
        assert cache.read_json(entry, check=lambda v: isinstance(v, list) and len(v) > 0) is None
    good = cache.write_json(tmp_path / "g.json", [1])
    assert cache.read_json(good, check=lambda v: isinstance(v, list) and len(v) > 0) == [1]


def test_truncated_arrays_entry_is_recomputed(tmp_path):
    entry = cache.write_arrays(tmp_path / "e.npz", X=np.arange(1000.0), names=np.array(["a", "b"]))
    stored = cache.read_arrays(entry, ["X", "names"])
    assert np.array_equal(stored["X"], np.arange(1000.0)) and stored["names"].tolist() == ["a", "b"]
    entry.write_bytes(entry.read_bytes()[:100])
    with pytest.warns(cache.CacheWarning, match="unusable"):
        assert cache.read_arrays(entry, ["X"]) is None
    assert not entry.exists()


def test_entry_paths_are_sharded_by_key(tmp_path):
    assert cache.entry("features", "abcdef", ".json", root=tmp_path) == tmp_path / "features" / "ab" / "abcdef.json"


@pytest.mark.parametrize("parse, text, ok", [
    (cli.positive_int, "3", True), (cli.positive_int, "0", False), (cli.positive_int, "two", False),
    (cli.positive_float, "2.5", True), (cli.positive_float, "nan", False), (cli.positive_float, "-1", False),
    (cli.positive_float, "inf", False),
])
def test_argument_types(parse, text, ok):
    if ok:
        assert parse(text) > 0
    else:
        with pytest.raises(argparse.ArgumentTypeError):
            parse(text)


def test_run_turns_user_errors_and_ctrl_c_into_one_line(capsys):
    def mistake(argv):
        raise cli.UserError("--out is a folder; give a file name")

    def interrupted(argv):
        raise KeyboardInterrupt

    assert cli.run(mistake) == 2
    assert capsys.readouterr().err == "error: --out is a folder; give a file name\n"
    assert cli.run(interrupted) == 130
    assert "interrupted" in capsys.readouterr().err
    assert cli.run(lambda argv: None) == 0


class _Peak:
    """A tiny representation: the clip's peak amplitude, cached in a dict file per track."""

    name, sample_rate = "peak", 8000

    def __init__(self, folder):
        self.folder = folder

    def cached(self, track):
        return cache.read_json(self.folder / f"{track['track_id']}.json")

    def compute(self, samples, sr, track):
        return float(np.abs(samples).max())

    def store(self, track, value):
        cache.write_json(self.folder / f"{track['track_id']}.json", value)


def test_pass_decodes_each_clip_once_and_lists_failures(tmp_path):
    paths = [write_tone(tmp_path / f"{i}.wav", seconds=0.3) for i in range(3)] + [write_corrupt(tmp_path / "bad.wav")]
    tracks = pd.DataFrame({"track_id": ["a", "b", "c", "d"], "path": [str(p) for p in paths], "ok": True})
    reps = [_Peak(tmp_path / "one"), _Peak(tmp_path / "two")]
    reps[1].name = "peak again"
    first = representations.compute(tracks, reps, progress=False)
    assert first.decoded == 3 and len(first.failed) == 1 and "bad.wav" in first.failed[0]
    assert first.values["peak"][:3] == pytest.approx([0.5] * 3, abs=1e-3) and first.values["peak"][3] is None
    again = representations.compute(tracks, reps, progress=False)
    assert again.decoded == 0 and again.values["peak"][:3] == first.values["peak"][:3]
