import json

import pandas as pd
import pytest

from helpers import GTZAN_GENRES, data

from .conftest import write_corrupt, write_tone


def test_kaggle_layout_with_corrupt_file_is_listed_not_fatal(tmp_path):
    for genre in ("blues", "jazz"):
        for i in range(2):
            write_tone(tmp_path / "genres_original" / genre / f"{genre}.{i:05d}.wav")
    write_corrupt(tmp_path / "genres_original" / "jazz" / "jazz.00054.wav")
    layout = data.discover(tmp_path)
    assert (layout.kind, layout.name, layout.genres) == ("kaggle", "gtzan", ("blues", "jazz"))
    with pytest.warns(UserWarning, match="jazz.00054.wav"):
        tracks = data.load_tracks(layout)
    assert len(tracks) == 5 and tracks["ok"].sum() == 4
    assert tracks.loc[~tracks["ok"], "track_id"].tolist() == ["jazz.00054"]
    assert list(tracks.columns) == data.TRACK_COLUMNS
    assert len(data.readable(tracks)) == 4
    inventory = data.inventory(tracks)
    assert inventory.loc["jazz", "unreadable"] == 1
    assert inventory.loc["rock", "clips"] == 0  # missing GTZAN genre still gets a row
    text = data.completeness(tracks)
    assert "4 readable clips in 2 of 10" in text and "missing genres: classical" in text


def test_marsyas_layout_au_files(tmp_path):
    write_tone(tmp_path / "genres" / "rock" / "rock.00003.au")
    layout = data.discover(tmp_path)
    assert layout.kind == "marsyas"
    tracks = data.load_tracks(layout)
    assert tracks.loc[0, ["track_id", "genre", "clip", "format"]].tolist() == ["rock.00003", "rock", 3, "au"]


def test_bare_genre_folders_with_mixed_formats_and_odd_names(tmp_path):
    write_tone(tmp_path / "pop" / "pop.00001.flac", sr=44100, channels=2)
    write_tone(tmp_path / "pop" / "my song.ogg")
    (tmp_path / "pop" / "cover.jpg").write_bytes(b"x")
    tracks = data.load_tracks(tmp_path)
    assert sorted(tracks["track_id"]) == ["pop.00001", "pop.my song"]
    assert set(tracks["sample_rate"]) == {22050, 44100}


@pytest.mark.parametrize("make", ["missing", "empty", "wrong"])
def test_not_a_dataset_says_how_to_get_gtzan(tmp_path, make):
    root = tmp_path / "nothing"
    if make != "missing":
        root.mkdir()
    if make == "wrong":
        (root / "notes.txt").write_text("hi")
        (root / "blues").mkdir()
        (root / "blues" / "readme.md").write_text("no audio")
    with pytest.raises(data.DatasetNotFoundError, match="download gtzan"):
        data.discover(root)


def test_features_only_dataset(tmp_path):
    pd.DataFrame({"filename": ["blues.00000.wav", "rock.00001.wav"], "tempo": [90.0, 120.0], "label": ["blues", "rock"]}).to_csv(
        tmp_path / "features_30_sec.csv", index=False
    )
    layout = data.discover(tmp_path)
    assert layout.kind == "features-only"
    assert data.load_tracks(layout).empty
    table = data.features_table(layout)
    assert table["track_id"].tolist() == ["blues.00000", "rock.00001"]


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
    assert "synthetic (kaggle layout)" in out and "30 readable synthetic clips" in out
    assert data.main(["check", str(tmp_path)]) == 2
    assert "is not a GTZAN dataset" in capsys.readouterr().err


def test_check_cli_lists_corrupt_files_and_decode(tmp_path, capsys):
    write_tone(tmp_path / "genres_original" / "jazz" / "jazz.00000.wav")
    write_corrupt(tmp_path / "genres_original" / "jazz" / "jazz.00054.wav")
    assert data.main(["check", str(tmp_path), "--decode"]) == 0
    out = capsys.readouterr().out
    assert "1 unreadable file(s)" in out and "jazz.00054.wav" in out
    only_bad = tmp_path / "bad"
    write_corrupt(only_bad / "jazz" / "jazz.00001.wav")
    assert data.main(["check", str(only_bad)]) == 1


def test_synth_cli_and_ensure_synthetic_reuses(tmp_path, capsys):
    out = tmp_path / "syn"
    assert data.main(["synth", "--out", str(out), "--per-genre", "1", "--seconds", "2", "--seed", "3"]) == 0
    assert sorted(p.parent.name for p in out.glob("genres_original/*/*.wav")) == sorted(GTZAN_GENRES)
    assert json.loads((out / "SYNTHETIC.json").read_text())["seed"] == 3
    assert data.main(["synth", "--out", str(out), "--per-genre", "0"]) == 2
    mtime = (out / "genres_original" / "blues" / "blues.00000.wav").stat().st_mtime
    data.ensure_synthetic(out, per_genre=1, seconds=2.0, seed=3)  # complete: nothing rewritten
    assert (out / "genres_original" / "blues" / "blues.00000.wav").stat().st_mtime == mtime


def test_real_gtzan_check(real_gtzan, capsys):
    assert data.main(["check", str(real_gtzan)]) == 0
    out = capsys.readouterr().out
    assert "440 readable clips in 10 of 10 GTZAN genres" in out
    assert "unreadable files: none" in out
    tracks = data.load_tracks(real_gtzan)
    assert tracks["ok"].all() and set(tracks["format"]) == {"flac", "ogg"}
    table = data.features_table(data.discover(real_gtzan))
    assert len(table) == 1000 and table["genre"].value_counts().eq(100).all()


@pytest.mark.parametrize("name, expected", [
    ("blues/blues.00012.wav", "blues.00012"), ("blues.00012.au", "blues.00012"),
    ("blues.00012.3.wav", "blues.00012"), ("my song.ogg", "my song"), ("jazz.00054", "jazz.00054"),
    ("blues00012", "blues.00012"),  # Kaggle image stems
])
def test_track_id_of(name, expected):
    assert data.track_id_of(name) == expected
