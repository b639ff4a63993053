import json
import os

import pandas as pd
import pytest

from helpers import data
from helpers.data import registry
from helpers.data.gtzan import GENRES as GTZAN_GENRES
from helpers.data.gtzan import track_id_of

from .conftest import write_corrupt, write_tone


def test_kaggle_layout_with_corrupt_file_is_listed_not_fatal(tmp_path):
    for genre in ("blues", "jazz"):
        for i in range(2):
            write_tone(tmp_path / "genres_original" / genre / f"{genre}.{i:05d}.wav")
    write_corrupt(tmp_path / "genres_original" / "jazz" / "jazz.00054.wav")
    layout = data.discover(tmp_path)
    assert (layout.kind, layout.dataset, layout.genres) == ("kaggle", "gtzan", ("blues", "jazz"))
    with pytest.warns(UserWarning, match="jazz.00054.wav"):
        tracks = data.load_tracks(layout)
    assert len(tracks) == 5 and tracks["ok"].sum() == 4
    assert tracks.loc[~tracks["ok"], "track_id"].tolist() == ["jazz.00054"]
    assert list(tracks.columns) == registry.TRACK_COLUMNS
    assert len(data.readable(tracks)) == 4
    inventory = data.inventory(tracks, GTZAN_GENRES)
    assert inventory.loc["jazz", "unreadable"] == 1
    assert inventory.loc["rock", "clips"] == 0  # missing GTZAN genre still gets a row
    text = data.completeness(tracks, "gtzan")
    assert "4 readable clips in 2 of 10" in text and "missing genres: classical" in text


def test_marsyas_layout_au_files(tmp_path):
    write_tone(tmp_path / "genres" / "rock" / "rock.00003.au")
    layout = data.discover(tmp_path)
    assert layout.kind == "marsyas"
    tracks = data.load_tracks(layout)
    assert tracks.loc[0, ["track_id", "genre", "format"]].tolist() == ["rock.00003", "rock", "au"]


def test_gtzan_tracks_carry_the_shipped_fault_filtered_split(tmp_path):
    for name in ("blues.00029", "blues.00000", "blues.00099"):  # train, valid, in no list (jazz-free example)
        write_tone(tmp_path / "genres_original" / "blues" / f"{name}.wav", seconds=0.5)
    tracks = data.load_tracks(tmp_path).set_index("track_id")
    assert tracks.loc["blues.00029", "fixed_split"] == "train"
    assert tracks.loc["blues.00000", "fixed_split"] == "valid"


def test_shipped_split_lists_match_their_published_checksums():
    from helpers.data import gtzan

    gtzan.fault_filtered_lists.cache_clear()
    lists = gtzan.fault_filtered_lists()
    assert {k: len(v) for k, v in lists.items()} == {"train": 443, "valid": 197, "test": 290}
    assert not set(lists["train"]) & set(lists["test"])


def test_altered_split_list_is_refused(tmp_path, monkeypatch):
    from helpers.data import gtzan

    for name in ("train", "valid", "test"):
        (tmp_path / f"{name}_filtered.txt").write_bytes((gtzan.SPLIT_LISTS_DIR / f"{name}_filtered.txt").read_bytes())
    (tmp_path / "test_filtered.txt").write_text("blues/blues.00000.wav\n")
    monkeypatch.setattr(gtzan, "SPLIT_LISTS_DIR", tmp_path)
    gtzan.fault_filtered_lists.cache_clear()
    try:
        with pytest.raises(gtzan.SplitListError, match="SHA-256"):
            gtzan.fault_filtered_lists()
    finally:
        gtzan.fault_filtered_lists.cache_clear()


def test_genre_folders_of_own_music_are_not_called_gtzan(tmp_path):
    write_tone(tmp_path / "pop" / "pop.00001.flac", sr=44100, channels=2)
    write_tone(tmp_path / "pop" / "my song.ogg")
    (tmp_path / "pop" / "cover.jpg").write_bytes(b"x")
    layout = data.discover(tmp_path)
    assert (layout.dataset, layout.kind) == ("folders", "genre-folders")
    tracks = data.load_tracks(layout)
    assert sorted(tracks["track_id"]) == ["pop.my song", "pop.pop.00001"]
    assert set(tracks["sample_rate"]) == {22050, 44100} and (tracks["fixed_split"] == "").all()


def test_bare_gtzan_named_genre_folders_are_gtzan(tmp_path):
    write_tone(tmp_path / "blues" / "blues.00001.wav", seconds=0.5)
    assert data.discover(tmp_path).dataset == "gtzan"


@pytest.mark.parametrize("duplicate", ["blues.00000.WAV", "blues.00000.flac"])
def test_one_track_twice_is_kept_once_and_the_copy_listed(tmp_path, duplicate):
    """Two files with one track id would sit on both sides of a random split and share one PNG."""
    write_tone(tmp_path / "genres_original" / "blues" / "blues.00000.wav", seconds=0.5)
    write_tone(tmp_path / "genres_original" / "blues" / "blues.00001.wav", seconds=0.5)
    write_tone(tmp_path / "genres_original" / "blues" / duplicate, seconds=0.5, format="FLAC" if "flac" in duplicate else "WAV")
    with pytest.warns(UserWarning, match="duplicate of track blues.00000"):
        tracks = data.load_tracks(tmp_path)
    usable = data.readable(tracks)
    assert usable["track_id"].is_unique and len(usable) == 2
    assert usable.set_index("track_id").loc["blues.00000", "path"].lower().endswith("blues.00000.wav")  # .wav before .flac
    assert "duplicate" in tracks.loc[~tracks["ok"], "error"].item()


@pytest.mark.parametrize("make", ["missing", "empty", "wrong", "file", "archive"])
def test_not_a_dataset_says_how_to_get_one(tmp_path, make):
    root = tmp_path / ("some.zip" if make == "archive" else "nothing")
    if make in ("file", "archive"):
        root.write_bytes(b"PK")
    elif make != "missing":
        root.mkdir()
    if make == "wrong":
        (root / "notes.txt").write_text("hi")
        (root / "blues").mkdir()
        (root / "blues" / "readme.md").write_text("no audio")
    with pytest.raises(data.DatasetNotFoundError, match="download gtzan") as caught:
        data.discover(root)
    if make == "archive":
        assert "extract it" in str(caught.value)


def test_features_only_dataset_with_fixed_split(tmp_path):
    pd.DataFrame({"filename": ["blues.00029.wav", "rock.00001.wav"], "tempo": [90.0, 120.0], "label": ["blues", "rock"]}).to_csv(
        tmp_path / "features_30_sec.csv", index=False
    )
    layout = data.discover(tmp_path)
    assert layout.kind == "features-only"
    assert data.load_tracks(layout).empty
    table = data.features_table(layout)
    assert table["track_id"].tolist() == ["blues.00029", "rock.00001"]
    assert table["fixed_split"].tolist()[0] == "train"


def test_features_table_segment_rows_map_to_tracks(tmp_path):
    pd.DataFrame({"filename": ["blues.00000.0.wav", "blues.00000.1.wav"], "label": ["blues", "blues"]}).to_csv(
        tmp_path / "features_3_sec.csv", index=False
    )
    pd.DataFrame({"filename": ["blues.00000.wav"], "label": ["blues"]}).to_csv(tmp_path / "features_30_sec.csv", index=False)
    table = data.features_table(data.discover(tmp_path), segments=True)
    assert table["track_id"].tolist() == ["blues.00000", "blues.00000"]


def test_limit_per_genre(synthetic_dir):
    tracks = data.load_tracks(synthetic_dir)
    limited = data.limit_per_genre(tracks, 2)
    assert limited.groupby("genre").size().tolist() == [2] * 10
    assert data.limit_per_genre(tracks, None) is tracks


def test_check_cli(tmp_path, synthetic_dir, capsys):
    assert data.main(["check", str(synthetic_dir)]) == 0
    out = capsys.readouterr().out
    assert "synthetic (kaggle layout)" in out and "30 readable clips in 10 of 10 synthetic genres" in out


@pytest.mark.parametrize("target", ["empty-folder", "file", "missing"])
def test_check_cli_user_errors_are_one_line(tmp_path, capsys, target):
    from helpers import cli

    path = {"empty-folder": tmp_path, "file": tmp_path / "a.wav", "missing": tmp_path / "nope"}[target]
    if target == "file":
        write_tone(path)
    assert cli.run(data.main, ["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_check_cli_lists_corrupt_and_truncated_files_with_decode(tmp_path, capsys):
    write_tone(tmp_path / "genres_original" / "jazz" / "jazz.00000.wav")
    write_corrupt(tmp_path / "genres_original" / "jazz" / "jazz.00054.wav")
    whole = write_tone(tmp_path / "genres_original" / "jazz" / "jazz.00001.mp3", seconds=4.0)
    truncated = tmp_path / "genres_original" / "jazz" / "jazz.00002.mp3"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert data.main(["check", str(tmp_path), "--decode"]) == 0
    out = capsys.readouterr().out
    assert "2 file(s) skipped" in out and "jazz.00054.wav" in out
    assert "jazz.00002.mp3: truncated" in out
    only_bad = tmp_path / "bad"
    write_corrupt(only_bad / "genres_original" / "jazz" / "jazz.00001.wav")
    assert data.main(["check", str(only_bad)]) == 1


def test_truncated_wav_is_caught_from_its_header(tmp_path):
    from helpers.data import audio

    whole = write_tone(tmp_path / "whole.wav", seconds=2.0)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(audio.AudioError, match="truncated"):
        audio.info(cut)
    assert audio.info(whole).frames == 44100


def test_synth_cli_and_ensure_reuses(tmp_path, capsys):
    from helpers import cli
    from helpers.data import synthetic

    out = tmp_path / "syn"
    assert data.main(["synth", "--out", str(out), "--per-genre", "1", "--seconds", "2", "--seed", "3"]) == 0
    assert sorted(p.parent.name for p in out.glob("genres_original/*/*.wav")) == sorted(GTZAN_GENRES)
    assert json.loads((out / "SYNTHETIC.json").read_text())["seed"] == 3
    with pytest.raises(SystemExit):
        data.main(["synth", "--out", str(out), "--per-genre", "0"])
    assert "give 1 or more" in capsys.readouterr().err
    mtime = (out / "genres_original" / "blues" / "blues.00000.wav").stat().st_mtime
    synthetic.ensure(out, per_genre=1, seconds=2.0, seed=3)  # complete: nothing rewritten
    assert (out / "genres_original" / "blues" / "blues.00000.wav").stat().st_mtime == mtime
    (out / "SYNTHETIC.json").write_text("{trunc")  # damaged marker: regenerated, not a traceback
    synthetic.ensure(out, per_genre=1, seconds=2.0, seed=3)
    assert json.loads((out / "SYNTHETIC.json").read_text())["seed"] == 3
    assert cli.run(data.main, ["synth", "--out", str(out / "SYNTHETIC.json")]) == 2


def test_download_cli_names_valid_datasets(capsys):
    from helpers import cli

    assert cli.run(data.main, ["download", "mnist"]) == 2
    err = capsys.readouterr().err
    assert "valid: " in err and "gtzan" in err and "fma-small" in err and "Traceback" not in err


def test_a_new_dataset_needs_only_its_module_and_the_registry(tmp_path, monkeypatch):
    """The registry is the only place that lists datasets: a module registered there is found everywhere."""
    import sys
    import types

    from helpers.data.base import Dataset, Layout

    class Tiny(Dataset):
        name, title, genres = "tiny", "Tiny", ("a", "b")

        def detect(self, root):
            return Layout(self.name, root, "tiny", root, genres=self.genres) if (root / "TINY").is_file() else None

        def list_tracks(self, layout):
            rows = [dict(track_id=p.stem, genre=p.stem[0], path=str(p)) for p in sorted(layout.root.glob("*.wav"))]
            return pd.DataFrame(rows).assign(artist="", fixed_split="")

    module = types.ModuleType("tiny_dataset")
    module.DATASET = Tiny()
    monkeypatch.setitem(sys.modules, "tiny_dataset", module)
    monkeypatch.setattr(registry, "REGISTRY", {"tiny": "tiny_dataset", **registry.REGISTRY})
    (tmp_path / "TINY").write_text("")
    write_tone(tmp_path / "a1.wav", seconds=0.5)
    write_tone(tmp_path / "b1.wav", seconds=0.5)
    tracks = data.load_tracks(tmp_path)
    assert tracks["genre"].tolist() == ["a", "b"] and tracks["ok"].all()
    assert data.check(tmp_path) == 0


def test_real_gtzan_check(real_gtzan, capsys):
    assert data.main(["check", str(real_gtzan)]) == 0
    out = capsys.readouterr().out
    assert "440 readable clips in 10 of 10 GTZAN genres" in out
    assert "skipped files: none" in out
    assert "fault-filtered split of the readable clips: train 194" in out
    tracks = data.load_tracks(real_gtzan)
    assert tracks["ok"].all() and set(tracks["format"]) == {"flac", "ogg"}
    table = data.features_table(data.discover(real_gtzan))
    assert len(table) == 1000 and table["genre"].value_counts().eq(100).all()
    assert table["fixed_split"].value_counts().to_dict() == {"train": 443, "test": 290, "valid": 197, "": 70}


@pytest.mark.parametrize("name, expected", [
    ("blues/blues.00012.wav", "blues.00012"), ("blues.00012.au", "blues.00012"),
    ("blues.00012.3.wav", "blues.00012"), ("my song.ogg", "my song"), ("jazz.00054", "jazz.00054"),
    ("blues00012", "blues.00012"),  # Kaggle image stems
])
def test_track_id_of(name, expected):
    assert track_id_of(name) == expected


def test_download_from_an_archive_on_disk_is_verified_then_extracted(tmp_path, monkeypatch, capsys):
    import tarfile

    from helpers import cli
    from helpers.data import download, gtzan

    source = write_tone(tmp_path / "src" / "genres" / "blues" / "blues.00000.au", seconds=0.5)
    archive = tmp_path / "genres.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(source.parents[1], arcname="genres")
    remote = gtzan.DATASET.remotes["gtzan"]
    monkeypatch.setitem(gtzan.DATASET.remotes, "gtzan", download.Remote(
        remote.filename, remote.urls, "md5:" + download.file_hash(archive, "md5"), remote.size_hint))
    assert cli.run(data.main, ["download", "gtzan", "--dest", str(tmp_path / "dest"), "--url", str(archive)]) == 0
    assert data.discover(tmp_path / "dest").kind == "marsyas"
    monkeypatch.setitem(gtzan.DATASET.remotes, "gtzan", remote)  # the real checksum: this archive is not it
    assert cli.run(data.main, ["download", "gtzan", "--dest", str(tmp_path / "d2"), "--url", str(archive)]) == 2
    assert "does not match the published" in capsys.readouterr().err
    assert cli.run(data.main, ["download", "gtzan", "--dest", str(tmp_path / "d3"), "--url", "notaurl"]) == 2
    err = capsys.readouterr().err
    assert "neither an http(s) address nor an archive" in err and "Traceback" not in err


def test_synth_refuses_absurd_sizes(tmp_path, capsys):
    from helpers import cli

    assert cli.run(data.main, ["synth", "--out", str(tmp_path / "s"), "--per-genre", "100000", "--seconds", "1e9"]) == 2
    assert "at most" in capsys.readouterr().err and not (tmp_path / "s").exists()


def test_commands_that_need_audio_refuse_a_metadata_only_dataset(tmp_path, capsys):
    from helpers import cli
    from helpers.data import splits
    from helpers.inputs import spectrograms
    from helpers.studies import prepare
    from tests.test_fma import write_official_tracks_csv

    write_official_tracks_csv(tmp_path / "fma" / "fma_metadata" / "tracks.csv")
    root = str(tmp_path / "fma")
    for command in ([splits.main, ["random", root]], [splits.main, ["fixed", root]],
                    [spectrograms.main, ["render", root, "--out", str(tmp_path / "png")]],
                    [prepare.main, ["--profile", "smoke", "--dataset", root]]):
        assert cli.run(*command) == 2, command
        err = capsys.readouterr().err
        assert err.startswith("error: ") and ("no audio" in err or "needs audio" in err) and "Traceback" not in err


def test_written_files_keep_the_usual_permissions(tmp_path):
    from helpers.data import cache

    previous = os.umask(0o022)
    try:
        path = cache.write_json(tmp_path / "e.json", {"a": 1})
    finally:
        os.umask(previous)
    assert path.stat().st_mode & 0o777 == 0o644


def test_unwritable_output_is_one_line(tmp_path, capsys, synthetic_dir):
    from helpers import cli
    from helpers.data import splits

    assert cli.run(splits.main, ["random", str(synthetic_dir), "--fractions", "80/20", "--out", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and err.count("\n") == 1


def _tracks(counts: dict[str, int], unreadable: dict[str, int] | None = None) -> pd.DataFrame:
    rows = [dict(track_id=f"{g}.{i:05d}", genre=g, ok=True) for g, n in counts.items() for i in range(n)]
    rows += [dict(track_id=f"{g}.bad{i}", genre=g, ok=False) for g, n in (unreadable or {}).items() for i in range(n)]
    return pd.DataFrame(rows)


def test_balanced_subset_keeps_the_genres_with_the_most_readable_clips():
    counts = {"blues": 5, "classical": 5, "country": 2, "jazz": 5, "rock": 5, "pop": 2}
    subset, name, label = data.balanced_subset(_tracks(counts, {"country": 9}), "gtzan", "GTZAN")
    assert name == "gtzan-4genres"
    assert label == "GTZAN, 4 balanced genres (blues, classical, jazz, rock; 5 clips each)"
    assert subset["genre"].value_counts().to_dict() == {"blues": 5, "classical": 5, "jazz": 5, "rock": 5}
    assert subset["ok"].all()  # unreadable clips neither count nor enter
    assert data.balanced_subset(_tracks({"blues": 3, "jazz": 3}, {"rock": 4}), "gtzan", "GTZAN") is None  # balanced
    assert data.balanced_subset(_tracks({"blues": 5, "jazz": 3, "rock": 3}), "gtzan", "GTZAN") is None  # one largest genre
    features = _tracks(counts).drop(columns="ok")  # a features table has no ok column
    assert data.balanced_subset(features, "gtzan", "GTZAN")[1] == "gtzan-4genres"


def test_balanced_subset_of_genres_given():
    tracks = _tracks({"blues": 5, "classical": 5, "country": 2, "jazz": 4})
    subset, name, label = data.balanced_subset(tracks, "gtzan", "GTZAN", genres=["jazz", "blues", "jazz"])
    assert name == "gtzan-blues-jazz" and label == "GTZAN, 2 balanced genres (blues, jazz; 4 clips each)"
    assert subset["genre"].value_counts().to_dict() == {"blues": 4, "jazz": 4}
    assert subset.loc[subset["genre"] == "blues", "track_id"].tolist() == [f"blues.{i:05d}" for i in range(4)]
    with pytest.raises(ValueError, match=r"genres \['metal'\] have no readable clips; available: blues \(5\), classical"):
        data.balanced_subset(tracks, "gtzan", "GTZAN", genres=["blues", "metal"])
    with pytest.raises(ValueError, match="at least 2 genres"):
        data.balanced_subset(tracks, "gtzan", "GTZAN", genres=["blues"])


def test_real_gtzan_balanced_subset(real_gtzan):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the corrupt jazz.00054 is listed, not fatal
        tracks = data.load_tracks(real_gtzan)
    subset, name, label = data.balanced_subset(tracks, "gtzan", "GTZAN")
    assert name == "gtzan-4genres" and label == "GTZAN, 4 balanced genres (blues, classical, jazz, rock; 95 clips each)"
    assert len(subset) == 380
