import numpy as np
import pandas as pd
import pytest
import scipy.ndimage
import soundfile as sf

from helpers import data, features

from .conftest import write_corrupt


@pytest.mark.parametrize("shape, width", [((7, 300), 31), ((40, 5), 31), ((3, 1), 5), ((50, 64), 5)])
def test_running_median_equals_scipy_including_ties_and_tiny_inputs(shape, width):
    x = np.random.default_rng(0).random(shape).astype(np.float32)
    x[:, ::4] = 0.25  # ties
    expected_time = scipy.ndimage.median_filter(x, size=(1, width), mode="reflect")
    expected_freq = scipy.ndimage.median_filter(x, size=(width, 1), mode="reflect")
    assert np.array_equal(features.median_filter_time(x, width), expected_time)
    assert np.array_equal(features.median_filter_freq(x, width), expected_freq)


def test_hpss_matches_librosa():
    import librosa

    clip = np.random.default_rng(1).standard_normal(22050 * 2).astype(np.float32)
    D = librosa.stft(clip)
    ours = features.hpss_from_stft(D)
    theirs = librosa.decompose.hpss(D)
    for a, b in zip(ours, theirs):
        assert np.allclose(a, b, rtol=1e-5, atol=1e-6)


def test_fast_features_equal_the_straightforward_computation(synthetic_dir):
    from helpers import audio

    samples, sr = audio.load(next(synthetic_dir.glob("genres_original/jazz/*.wav")))
    fast = features.clip_features(samples, sr)
    reference = features.clip_features_reference(samples, sr)
    assert list(fast) == list(features.FEATURE_COLUMNS) == list(reference)
    scale = np.array([max(abs(reference[k]), 1e-3) for k in fast])
    deviation = np.abs(np.array([fast[k] - reference[k] for k in fast])) / scale
    assert deviation.max() < 1e-3


def test_extract_kaggle_format_segments_and_cache(synthetic_dir, tmp_path, monkeypatch):
    tracks = data.limit_per_genre(data.load_tracks(synthetic_dir), 1)
    cache = tmp_path / "cache"
    table = features.extract(tracks, jobs=1, cache_dir=cache, progress=False)
    assert list(table.columns) == ["track_id", "genre", *features.KAGGLE_COLUMNS]
    assert len(table) == 10 and table[list(features.FEATURE_COLUMNS)].notna().all().all()
    assert table["filename"].iloc[0] == "blues.00000.wav" and table["length"].iloc[0] == 7 * 22050
    out = features.to_kaggle_csv(table, tmp_path / "f.csv")
    assert list(pd.read_csv(out).columns) == list(features.KAGGLE_COLUMNS)

    # Unchanged files and parameters: read from the cache, nothing recomputed.
    calls = []
    monkeypatch.setattr(features, "clip_features", lambda *a, **k: calls.append(1) or {})
    again = features.extract(tracks, jobs=1, cache_dir=cache, progress=False)
    assert not calls
    pd.testing.assert_frame_equal(again, table)
    monkeypatch.undo()

    # A changed parameter (segments) recomputes: 7-s clips give two 3-s segments each.
    segments = features.extract(tracks, segment_seconds=3.0, jobs=1, cache_dir=cache, progress=False)
    assert len(segments) == 20 and segments["filename"].iloc[1] == "blues.00000.1.wav"
    assert (segments["length"] == 3 * 22050).all()


def test_silent_short_and_corrupt_clips(tmp_path):
    (tmp_path / "blues").mkdir()
    sf.write(str(tmp_path / "blues" / "blues.00000.wav"), np.zeros(22050 * 4), 22050)
    sf.write(str(tmp_path / "blues" / "blues.00001.wav"), 0.1 * np.ones(22050), 22050)
    tracks = data.load_tracks(tmp_path)
    write_corrupt(tmp_path / "blues" / "blues.00002.wav")
    tracks = pd.concat([tracks, tracks.iloc[:1].assign(track_id="blues.00002", path=str(tmp_path / "blues" / "blues.00002.wav"))])
    table = features.extract(tracks, cache_dir=None, progress=False)
    assert len(table) == 2 and not table[list(features.FEATURE_COLUMNS)].isna().any().any()
    assert table.attrs["silent"] == ["blues.00000.wav"]
    assert len(table.attrs["skipped"]) == 1 and "blues.00002" in table.attrs["skipped"][0]
    segments = features.extract(tracks, segment_seconds=3.0, cache_dir=None, progress=False)
    assert segments.attrs["too_short"] == ["blues.00001"]
    eda = features.eda_table(tracks, cache_dir=None, progress=False)
    assert eda.set_index("track_id").loc["blues.00000", list(features.EDA_COLUMNS)].isna().all()


def test_parity_against_kaggle_csv_on_real_lossless_clips(real_gtzan):
    """The acceptance target on a sample: every feature within 2 % of its std, tempo within 1 %."""
    tracks = data.load_tracks(real_gtzan)
    flac = tracks[tracks["format"] == "flac"].groupby("genre").head(1)
    reference = data.features_table(data.discover(real_gtzan))
    table = features.parity(features.extract(flac, cache_dir=None, progress=False), reference)
    assert (table["median |deviation| / std"] < 0.02).all()
    assert table.attrs["tempo_within_1pct"] >= 0.9


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


def test_cli(synthetic_dir, tmp_path, capsys):
    out = tmp_path / "f.csv"
    assert features.main(["extract", str(synthetic_dir), "--out", str(out), "--jobs", "1", "--no-cache"]) == 0
    assert len(pd.read_csv(out)) == 30
    assert features.main(["extract", str(synthetic_dir), "--out", str(out), "--segment-seconds", "0"]) == 2
    assert features.main(["extract", str(tmp_path / "nothing"), "--out", str(out)]) == 2
    assert features.main(["parity", str(synthetic_dir)]) == 2  # no reference CSV
    assert "reference CSV" in capsys.readouterr().err
