"""Notebook 01's study as its cells call it: the descriptors from the CSV and from the audio, their box plots, the
sources side by side with their genre medians, the agreement per audio format, and the example clips per genre."""

import numpy as np
import pandas as pd
import pytest

from helpers import plots
from helpers.data import audio
from helpers.inputs import features
from helpers.studies import eda as study

from .conftest import write_tone


def _eda(values: dict[str, tuple[str, float, float]]) -> pd.DataFrame:
    """track_id -> (genre, centroid, tempo) as an EDA table."""
    rows = [dict(track_id=t, genre=g, spectral_centroid_mean=c, tempo=b) for t, (g, c, b) in values.items()]
    return pd.DataFrame(rows, columns=["track_id", "genre", *features.EDA_COLUMNS])


OURS = _eda({"blues.00000": ("blues", 1000.0, 100.0), "blues.00001": ("blues", 2000.0, 120.0),
             "jazz.00000": ("jazz", 3000.0, 90.0), "jazz.00001": ("jazz", 5000.0, 80.0)})
CSV = _eda({"blues.00000": ("blues", 1000.0, 100.0), "blues.00001": ("blues", 1900.0, 120.0),
            "jazz.00000": ("jazz", 3000.0, 100.0), "jazz.00001": ("jazz", 5000.0, 80.0),
            "rock.00000": ("rock", 4000.0, 140.0)})  # a clip whose audio is absent: the CSV covers every clip
FORMATS = pd.DataFrame({"track_id": ["blues.00000", "blues.00001", "jazz.00000", "jazz.00001"],
                        "format": ["flac", "ogg", "flac", "ogg"]})


def test_every_descriptor_has_its_figure_name_and_unit():
    assert tuple(study.DESCRIPTORS) == features.EDA_COLUMNS
    assert study.DESCRIPTORS["tempo"][2] == "BPM" and study.DESCRIPTORS["spectral_centroid_mean"][0] == "centroid"


def test_csv_descriptors_keep_the_identity_and_the_two_descriptors_only():
    assert study.csv_descriptors(None) is None
    table = CSV.assign(filename="x.wav", mfcc1_mean=1.0)
    assert list(study.csv_descriptors(table).columns) == ["track_id", "genre", "spectral_centroid_mean", "tempo"]


def test_audio_descriptors_say_what_they_cover_and_what_they_left_out(monkeypatch, capsys):
    calls = []

    def fake(tracks, jobs=1, **kwargs):
        calls.append(jobs)
        return features.EdaTable(OURS, ("a/jazz.00054.wav: bad header",), ("rock.00001",))

    monkeypatch.setattr(features, "eda_table", fake)
    table = study.audio_descriptors(pd.DataFrame(), jobs=3)
    assert table is OURS and calls == [3]
    assert capsys.readouterr().out == ("computed for 4 clips; skipped: ['a/jazz.00054.wav: bad header']; "
                                       "too short: ['rock.00001']\n")
    monkeypatch.setattr(features, "eda_table", lambda tracks, jobs=1: features.EdaTable(OURS, (), ()))
    study.audio_descriptors(pd.DataFrame())
    assert capsys.readouterr().out == "computed for 4 clips; skipped: none; too short: none\n"


def test_box_plots_save_one_figure_per_descriptor_under_the_reports_names(tmp_path, monkeypatch):
    drawn = []
    original = plots.box_by_genre

    def recording(table, column, title, ylabel):
        drawn.append((column, title, ylabel))
        return original(table, column, title, ylabel)

    monkeypatch.setattr(plots, "box_by_genre", recording)
    study.box_plots(OURS, "toy, 4 clips", "audio", tmp_path)
    assert drawn == [("spectral_centroid_mean", "toy, 4 clips: spectral centroid mean", "Hz"), ("tempo", "toy, 4 clips: tempo", "BPM")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01_centroid_by_genre_audio.png", "01_tempo_by_genre_audio.png"]


def test_descriptor_tables_put_the_csv_first_and_medians_group_by_source():
    assert list(study.descriptor_tables(OURS, None)) == ["audio (computed here)"]
    tables = study.descriptor_tables(OURS, CSV)
    assert list(tables) == ["features CSV", "audio (computed here)"]
    medians = study.genre_medians(tables)
    assert list(medians.columns) == [("features CSV", "spectral_centroid_mean"), ("features CSV", "tempo"),
                                     ("audio (computed here)", "spectral_centroid_mean"), ("audio (computed here)", "tempo")]
    assert medians.loc["blues", ("features CSV", "spectral_centroid_mean")] == 1450.0
    assert medians.loc["jazz", ("audio (computed here)", "tempo")] == 85.0
    assert np.isnan(medians.loc["rock", ("audio (computed here)", "tempo")])  # no audio of rock: NaN, not dropped


def test_format_agreement_compares_each_format_on_its_own_clips():
    assert study.format_agreement(OURS, None, FORMATS) == {}
    tables = study.format_agreement(OURS, CSV, FORMATS)
    assert list(tables) == ["flac", "ogg"]
    flac, ogg = tables["flac"], tables["ogg"]
    assert flac.loc["tempo", "clips"] == 2 and flac.loc["tempo", "median relative difference"] == 0.05  # 0 and 0.1
    assert flac.loc["tempo", "share within 1 %"] == 0.5 and flac.loc["spectral_centroid_mean", "share within 1 %"] == 1.0
    assert ogg.loc["spectral_centroid_mean", "median relative difference"] == round(100 / 1900 / 2, 4)  # rounded to 4


def test_show_format_agreement_prints_each_heading_before_its_table(capsys):
    shown = []
    study.show_format_agreement(OURS, CSV, FORMATS, "toy", show=lambda table: shown.append((capsys.readouterr().out, table)))
    assert [out for out, _ in shown] == ["toy, clips decoded from flac, ours vs features_30_sec.csv:\n",
                                         "toy, clips decoded from ogg, ours vs features_30_sec.csv:\n"]
    assert list(shown[0][1].index) == list(features.EDA_COLUMNS)
    study.show_format_agreement(OURS, None, FORMATS, "toy", show=shown.append)
    assert len(shown) == 2 and capsys.readouterr().out == ""


def test_genre_examples_take_the_first_clips_of_each_genre_in_alphabetical_order(tmp_path):
    rows = []
    for i, (genre, seconds) in enumerate([("rock", 1.0), ("blues", 1.5), ("rock", 2.0), ("blues", 0.5)]):
        path = write_tone(tmp_path / genre / f"{genre}.{i:05d}.wav", seconds=seconds, sr=16000)
        rows.append(dict(track_id=f"{genre}.{i:05d}", genre=genre, path=str(path)))
    tracks = pd.DataFrame(rows)
    examples, sr = study.genre_examples(tracks, per_genre=1)
    assert sr == audio.DEFAULT_SAMPLE_RATE
    assert [t for t, _ in examples] == ["blues.00001", "rock.00000"]
    assert [len(s) for _, s in examples] == [int(1.5 * sr), int(1.0 * sr)]  # resampled to the shared rate
    examples, _ = study.genre_examples(tracks, per_genre=2)
    assert [t for t, _ in examples] == ["blues.00001", "blues.00003", "rock.00000", "rock.00002"]


def test_genre_examples_of_no_clip_decode_nothing(tmp_path):
    tracks = pd.DataFrame({"track_id": ["rock.00000"], "genre": ["rock"], "path": [str(tmp_path / "absent.wav")]})
    assert study.genre_examples(tracks, 0) == ([], audio.DEFAULT_SAMPLE_RATE)
    with pytest.raises(audio.AudioError):  # a clip that cannot be decoded is not skipped silently
        study.genre_examples(tracks, 1)
