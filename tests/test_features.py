import numpy as np
import pandas as pd
import soundfile as sf

from helpers import data, features

from .conftest import write_corrupt


def test_eda_table_on_synthetic(synthetic_dir):
    tracks = data.limit_per_genre(data.load_tracks(synthetic_dir), 1)
    table = features.eda_table(tracks, jobs=1, progress=False)
    assert list(table.columns) == ["track_id", "genre", "spectral_centroid_mean", "tempo"]
    assert len(table) == 10 and table[list(features.EDA_COLUMNS)].notna().all().all()
    assert table["tempo"].between(40, 260).all()


def test_silent_clip_gives_nan_and_corrupt_is_listed(tmp_path):
    (tmp_path / "blues").mkdir()
    sf.write(str(tmp_path / "blues" / "blues.00000.wav"), np.zeros(22050 * 3), 22050)
    tracks = data.load_tracks(tmp_path)
    write_corrupt(tmp_path / "blues" / "blues.00001.wav")
    tracks = pd.concat([tracks, tracks.assign(track_id="blues.00001", path=str(tmp_path / "blues" / "blues.00001.wav"))])
    table = features.eda_table(tracks, progress=False)
    assert table["spectral_centroid_mean"].isna().all() and len(table) == 1
    assert len(table.attrs["skipped"]) == 1 and "blues.00001" in table.attrs["skipped"][0]


def test_centroid_matches_kaggle_csv_on_real_flac(real_gtzan):
    """Our descriptor agrees with the Kaggle CSV on lossless clips (the full parity study is in notebook 03)."""
    tracks = data.load_tracks(real_gtzan)
    flac = tracks[tracks["format"] == "flac"].groupby("genre").head(1)
    ours = features.eda_table(flac, progress=False).set_index("track_id")
    csv = data.features_table(data.discover(real_gtzan)).set_index("track_id").loc[ours.index]
    rel = (ours["spectral_centroid_mean"] - csv["spectral_centroid_mean"]).abs() / csv["spectral_centroid_mean"]
    assert rel.max() < 0.01


def test_cli(synthetic_dir, tmp_path):
    out = tmp_path / "eda.csv"
    assert features.main(["eda", str(synthetic_dir), "--out", str(out), "--jobs", "1"]) == 0
    assert len(pd.read_csv(out)) == 30


def test_eta_squared_bounds():
    perfect = pd.DataFrame({"genre": ["a", "a", "b", "b"], "x": [1.0, 1.0, 5.0, 5.0]})
    none = pd.DataFrame({"genre": ["a", "b", "a", "b"], "x": [1.0, 1.0, 5.0, 5.0]})
    assert features.eta_squared(perfect, "x") == 1.0
    assert features.eta_squared(none, "x") == 0.0
    assert np.isnan(features.eta_squared(perfect.assign(x=2.0), "x"))


def test_compare_with_reference():
    ours = pd.DataFrame({"track_id": ["a", "b", "c"], "x": [100.0, 105.0, 1.0]})
    ref = pd.DataFrame({"track_id": ["a", "b", "d"], "x": [100.0, 100.0, 0.0]})
    table = features.compare_with_reference(ours, ref, ["x"])
    assert table.loc["x", "clips"] == 2
    assert table.loc["x", "median relative difference"] == 0.025
    assert table.loc["x", "share within 1 %"] == 0.5
