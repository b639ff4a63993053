import json
import math
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
import scipy.ndimage
import soundfile as sf

from helpers import cli, data
from helpers.data import audio, cache
from helpers.data.registry import load_tracks
from helpers.inputs import features, representations

from .conftest import REPO, write_corrupt, write_tone


def _tracks(folder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tests below look at unreadable files themselves
        return load_tracks(folder)


@pytest.fixture(scope="module")
def one_per_genre(synthetic_dir):
    return data.limit_per_genre(_tracks(synthetic_dir), 1)


# ----------------------------------------------------------------------------- median filters, HPSS


@pytest.mark.parametrize("shape, width", [((7, 300), 31), ((7, 300), 30), ((40, 5), 31), ((3, 1), 5), ((50, 64), 4),
                                          ((6, 40), 2), ((5, 20), 1)])
def test_median_filters_equal_scipy_for_odd_and_even_widths_and_tiny_inputs(shape, width):
    x = np.random.default_rng(0).random(shape).astype(np.float32)
    x[:, ::4] = 0.25  # ties
    expected_time = scipy.ndimage.median_filter(x, size=(1, width), mode="reflect")
    expected_freq = scipy.ndimage.median_filter(x, size=(width, 1), mode="reflect")
    assert np.array_equal(features.median_filter_time(x, width), expected_time)
    assert np.array_equal(features.median_filter_freq(x, width), expected_freq)


@pytest.mark.parametrize("width", [0, -3, 2.5, True])
def test_median_filter_width_must_be_a_positive_whole_number(width):
    with pytest.raises(ValueError, match="width"):
        features.median_filter_time(np.ones((2, 10), np.float32), width)


def test_hpss_matches_librosa():
    import librosa

    clip = np.random.default_rng(1).standard_normal(22050 * 2).astype(np.float32)
    D = librosa.stft(clip)
    ours = features.hpss_from_stft(D)
    theirs = librosa.decompose.hpss(D)
    for a, b in zip(ours, theirs):
        assert np.allclose(a, b, rtol=1e-5, atol=1e-6)


def test_an_even_hpss_kernel_matches_librosa():
    import librosa

    clip = np.random.default_rng(2).standard_normal(22050).astype(np.float32)
    D = librosa.stft(clip)
    for a, b in zip(features.hpss_from_stft(D, kernel=30), librosa.decompose.hpss(D, kernel_size=30)):
        assert np.allclose(a, b, rtol=1e-5, atol=1e-6)


def test_features_module_does_not_use_numba():
    source = "\n".join(path.read_text() for path in (REPO / "helpers" / "features").glob("*.py"))
    assert "numba" not in source


# ----------------------------------------------------------------------------- one clip


def test_fast_features_equal_the_straightforward_computation(synthetic_dir):
    samples, sr = audio.load(next(synthetic_dir.glob("genres_original/jazz/*.wav")))
    fast = features.clip_features(samples, sr)
    reference = features.clip_features_reference(samples, sr)
    assert list(fast) == list(features.FEATURE_COLUMNS) == list(reference)
    scale = np.array([max(abs(reference[k]), 1e-3) for k in fast])
    deviation = np.abs(np.array([fast[k] - reference[k] for k in fast])) / scale
    assert deviation.max() < 1e-3


@pytest.mark.parametrize("field, value", [("hpss_kernel", 0), ("n_fft", -1), ("hop_length", 1.5), ("segment_seconds", math.nan),
                                          ("segment_seconds", -1.0), ("segment_seconds", math.inf), ("segment_seconds", 0.05)])
def test_feature_params_refuse_invalid_values(field, value):
    with pytest.raises(ValueError):
        features.FeatureParams(**{field: value})


def test_signals_shorter_than_one_frame_give_no_piece_and_are_refused():
    params = features.FeatureParams()
    assert features.pieces(np.zeros(params.n_fft - 1, np.float32), params) == []
    assert len(features.pieces(np.zeros(params.n_fft, np.float32), params)) == 1
    with pytest.raises(ValueError, match="shorter than one analysis frame"):
        features.clip_features(np.zeros(220, np.float32))
    with pytest.raises(ValueError, match="shorter than one analysis frame"):
        features.frame_sequence(np.zeros(220, np.float32))


@pytest.mark.parametrize("n_samples", [2048, 3583, 3584, 22050, 22050 * 7 + 13])
def test_sequence_steps_predicts_frame_sequence(n_samples):
    samples = np.random.default_rng(3).standard_normal(n_samples).astype(np.float32) * 0.1
    assert len(features.frame_sequence(samples, pool=8)) == features.sequence_steps(n_samples, 8)


# ----------------------------------------------------------------------------- many clips, cached


def _count_decodes(monkeypatch):
    calls = []
    real = audio.load

    def counting(*args, **kwargs):
        calls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(audio, "load", counting)
    return calls


def test_extract_kaggle_format_segments_and_cache(one_per_genre, tmp_path, monkeypatch):
    tracks = one_per_genre
    result = features.extract(tracks, jobs=1, cache_dir=tmp_path, progress=False)
    table = result.table
    assert list(table.columns) == ["track_id", "genre", *features.KAGGLE_COLUMNS]
    assert len(table) == 10 and table[list(features.FEATURE_COLUMNS)].notna().all().all()
    assert table["filename"].iloc[0] == "blues.00000.wav" and table["length"].iloc[0] == 7 * 22050
    assert result.skipped == result.silent == result.too_short == () and result.params == features.FeatureParams()
    out = features.to_kaggle_csv(table, tmp_path / "f.csv")
    assert list(pd.read_csv(out).columns) == list(features.KAGGLE_COLUMNS)

    # Unchanged files and parameters: read from the cache, nothing decoded.
    decodes = _count_decodes(monkeypatch)
    again = features.extract(tracks, jobs=1, cache_dir=tmp_path, progress=False)
    assert decodes == []
    pd.testing.assert_frame_equal(again.table, table)

    # A changed parameter (segments) recomputes: 7-s clips give two 3-s segments each.
    segments = features.extract(tracks, segment_seconds=3.0, jobs=1, cache_dir=tmp_path, progress=False)
    assert len(decodes) == 10
    assert len(segments.table) == 20 and segments.table["filename"].iloc[1] == "blues.00000.1.wav"
    assert (segments.table["length"] == 3 * 22050).all()


def test_one_pass_computes_features_and_sequences_with_one_decode_per_clip(one_per_genre, tmp_path):
    tracks = one_per_genre
    rows, frames = features.FeatureRows(cache_dir=tmp_path), features.FrameSequences(pool=8, cache_dir=tmp_path)
    first = representations.compute(tracks, [rows, frames], progress=False)
    assert first.decoded == len(tracks) == 10
    second = representations.compute(tracks, [rows, frames], progress=False)
    assert second.decoded == 0
    table, sequence_set = rows.collect(tracks, second), frames.collect(tracks, second)
    # The same numbers as the one-representation functions, which now read the cache too.
    pd.testing.assert_frame_equal(table.table, features.extract(tracks, cache_dir=None, progress=False).table)
    alone = features.sequences(tracks, pool=8, cache_dir=None, progress=False)
    assert np.array_equal(sequence_set.X, alone.X) and sequence_set.X.dtype == np.float32
    assert sequence_set.X.shape == (10, features.sequence_steps(7 * 22050, 8), len(features.SEQUENCE_FEATURES))
    assert list(sequence_set.rows["track_id"]) == list(tracks["track_id"])


def test_sequences_are_cached(one_per_genre, tmp_path, monkeypatch):
    tracks = one_per_genre.head(2)
    first = features.sequences(tracks, cache_dir=tmp_path, progress=False)
    assert len(list((tmp_path / "sequences").rglob("*.npz"))) == 2
    decodes = _count_decodes(monkeypatch)
    again = features.sequences(tracks, cache_dir=tmp_path, progress=False)
    assert decodes == [] and np.array_equal(first.X, again.X)


def _single_entry(root, kind, suffix):
    (path,) = list((root / kind).rglob(f"*{suffix}"))
    return path


@pytest.mark.parametrize("content", [
    "",  # empty file
    "[{\"segment\": -1, \"len",  # truncated
    "{}",  # a value of the wrong type: once read as "no rows", i.e. a too-short clip
    "[{\"segment\": -1}]",  # a row without features
], ids=["empty", "truncated", "empty-object", "row-without-features"])
def test_unusable_feature_cache_entries_are_recomputed_with_one_warning(one_per_genre, tmp_path, content):
    tracks = one_per_genre.head(1)
    expected = features.extract(tracks, cache_dir=tmp_path, progress=False)
    entry = _single_entry(tmp_path, "features", ".json")
    entry.write_text(content)
    with pytest.warns(cache.CacheWarning) as caught:
        again = features.extract(tracks, cache_dir=tmp_path, progress=False)
    assert len([w for w in caught if issubclass(w.category, cache.CacheWarning)]) == 1
    pd.testing.assert_frame_equal(again.table, expected.table)
    assert again.too_short == ()
    assert features.FeatureRows().is_valid(json.loads(entry.read_text()))  # rewritten


def test_a_feature_entry_with_a_nan_or_a_changed_column_is_recomputed(one_per_genre, tmp_path):
    tracks = one_per_genre.head(1)
    expected = features.extract(tracks, cache_dir=tmp_path, progress=False)
    entry = _single_entry(tmp_path, "features", ".json")
    good = json.loads(entry.read_text())
    for broken in ({**good[0], "tempo": float("nan")}, {k: v for k, v in good[0].items() if k != "mfcc20_var"},
                   {**good[0], "segment": 0}, {**good[0], "silent": "no"}):
        entry.write_text(json.dumps([broken]))
        with pytest.warns(cache.CacheWarning):
            again = features.extract(tracks, cache_dir=tmp_path, progress=False)
        pd.testing.assert_frame_equal(again.table, expected.table)


@pytest.mark.parametrize("damage", ["truncate", "wrong-shape", "empty"])
def test_unusable_sequence_cache_entries_are_recomputed_with_one_warning(one_per_genre, tmp_path, damage):
    tracks = one_per_genre.head(1)
    expected = features.sequences(tracks, cache_dir=tmp_path, progress=False)
    entry = _single_entry(tmp_path, "sequences", ".npz")
    if damage == "truncate":
        entry.write_bytes(entry.read_bytes()[:100])
    elif damage == "wrong-shape":
        cache.write_arrays(entry, sequence=np.zeros((5, 3), np.float32))
    else:
        entry.write_bytes(b"")
    with pytest.warns(cache.CacheWarning) as caught:
        again = features.sequences(tracks, cache_dir=tmp_path, progress=False)
    assert len([w for w in caught if issubclass(w.category, cache.CacheWarning)]) == 1
    assert np.array_equal(again.X, expected.X)


# ----------------------------------------------------------------------------- what is left out, and why


def test_every_unreadable_clip_is_listed_from_the_table_and_from_decoding(tmp_path):
    for i in range(3):
        write_tone(tmp_path / "blues" / f"blues.0000{i}.wav", seconds=1.0)
    write_corrupt(tmp_path / "blues" / "blues.00003.wav")
    write_corrupt(tmp_path / "blues" / "blues.00004.wav")
    tracks = _tracks(tmp_path)
    assert (~tracks["ok"]).sum() == 2
    write_corrupt(tmp_path / "blues" / "blues.00001.wav")  # broken after the table was read: fails to decode
    (tmp_path / "blues" / "blues.00002.wav").unlink()  # gone after the table was read
    result = features.extract(tracks, cache_dir=tmp_path / "cache", progress=False)
    assert list(result.table["track_id"]) == ["blues.00000"]
    assert len(result.skipped) == 4
    assert all(any(f"blues.0000{i}" in line for line in result.skipped) for i in (1, 2, 3, 4))
    assert len(features.sequences(tracks, cache_dir=None, progress=False).skipped) == 4
    assert len(features.eda_table(tracks, cache_dir=None, progress=False).skipped) == 4


def test_tiny_clips_are_too_short_and_raise_no_librosa_warning(tmp_path):
    (tmp_path / "blues").mkdir()
    sf.write(str(tmp_path / "blues" / "blues.00000.wav"), 0.1 * np.ones(220), 22050)  # 0.01 s
    sf.write(str(tmp_path / "blues" / "blues.00001.wav"), 0.1 * np.random.default_rng(0).standard_normal(2048), 22050)
    sf.write(str(tmp_path / "blues" / "blues.00002.wav"), 0.1 * np.random.default_rng(1).standard_normal(22050), 22050)
    tracks = _tracks(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = features.extract(tracks, cache_dir=None, progress=False)
        sequence_set = features.sequences(tracks, cache_dir=None, progress=False)
    assert result.too_short == ("blues.00000",)
    assert list(result.table["track_id"]) == ["blues.00001", "blues.00002"]
    # A sequence needs `pool` frames: 2048 samples make 5 frames, too short for one step of 8.
    assert sequence_set.too_short == ("blues.00000", "blues.00001")
    assert list(sequence_set.rows["track_id"]) == ["blues.00002"] and sequence_set.X.shape[:2] == (1, 5)


def test_silent_and_short_clips(tmp_path):
    (tmp_path / "blues").mkdir()
    sf.write(str(tmp_path / "blues" / "blues.00000.wav"), np.zeros(22050 * 4), 22050)
    sf.write(str(tmp_path / "blues" / "blues.00001.wav"), 0.1 * np.ones(22050), 22050)
    tracks = _tracks(tmp_path)
    result = features.extract(tracks, cache_dir=None, progress=False)
    assert len(result.table) == 2 and not result.table[list(features.FEATURE_COLUMNS)].isna().any().any()
    assert result.silent == ("blues.00000.wav",)
    segments = features.extract(tracks, segment_seconds=3.0, cache_dir=None, progress=False)
    assert segments.too_short == ("blues.00001",) and segments.silent == ("blues.00000.0.wav",)
    eda = features.eda_table(tracks, cache_dir=None, progress=False)
    assert eda.table.set_index("track_id").loc["blues.00000", list(features.EDA_COLUMNS)].isna().all()
    assert eda.table.set_index("track_id").loc["blues.00001", list(features.EDA_COLUMNS)].notna().all()


def test_extract_refuses_contradicting_segment_lengths(one_per_genre):
    with pytest.raises(ValueError, match="contradicts"):
        features.extract(one_per_genre, segment_seconds=3.0, params=features.FeatureParams(segment_seconds=5.0))


# ----------------------------------------------------------------------------- comparisons


def test_parity_against_kaggle_csv_on_real_lossless_clips(real_gtzan):
    """The acceptance target on a sample: every feature within 2 % of its std, tempo within 1 %."""
    tracks = _tracks(real_gtzan)
    flac = tracks[tracks["format"] == "flac"].groupby("genre").head(1)
    reference = data.read_features_csv(real_gtzan / "features_30_sec.csv")
    measured = features.parity(features.extract(flac, cache_dir=None, progress=False).table, reference)
    assert measured.clips == len(flac) >= 5
    assert (measured.table["median |deviation| / std"] < 0.02).all()
    assert measured.tempo_within_1pct >= 0.9


def test_parity_of_tables_without_shared_tracks():
    ours = pd.DataFrame({"track_id": ["a"], **{c: [1.0] for c in features.FEATURE_COLUMNS}})
    reference = pd.DataFrame({"track_id": ["b", "c"], **{c: [1.0, 2.0] for c in features.FEATURE_COLUMNS}})
    measured = features.parity(ours, reference)
    assert measured.clips == 0 and math.isnan(measured.tempo_within_1pct)


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


def test_results_travel_as_return_values_not_attrs(one_per_genre):
    result = features.extract(one_per_genre.head(1), cache_dir=None, progress=False)
    assert result.table.attrs == {}
    source = "\n".join(path.read_text() for path in (REPO / "helpers" / "features").glob("*.py"))
    assert ".attrs" not in source


# ----------------------------------------------------------------------------- command line


def _run(argv, capsys):
    status = cli.run(features.main, argv)
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_cli_extract(synthetic_dir, tmp_path, capsys):
    out = tmp_path / "f.csv"
    status, stdout, _ = _run(["extract", str(synthetic_dir), "--out", str(out), "--jobs", "1", "--no-cache"], capsys)
    assert status == 0 and len(pd.read_csv(out)) == 30 and "wrote 30 rows" in stdout
    status, stdout, _ = _run(["eda", str(synthetic_dir), "--out", str(tmp_path / "eda.csv"), "--jobs", "1"], capsys)
    assert status == 0 and list(pd.read_csv(tmp_path / "eda.csv").columns) == ["track_id", "genre", *features.EDA_COLUMNS]


def test_cli_lists_every_skipped_clip(tmp_path, capsys):
    for i in range(2):
        write_tone(tmp_path / "data" / "blues" / f"blues.0000{i}.wav", seconds=1.0)
    write_corrupt(tmp_path / "data" / "blues" / "blues.00002.wav")
    write_corrupt(tmp_path / "data" / "blues" / "blues.00003.wav")
    argv = ["extract", str(tmp_path / "data"), "--out", str(tmp_path / "f.csv"), "--no-cache", "--jobs", "1"]
    status, stdout, _ = _run(argv, capsys)
    assert status == 0 and "wrote 2 rows" in stdout
    assert "skipped (unreadable): 2" in stdout and "blues.00002" in stdout and "blues.00003" in stdout


@pytest.mark.parametrize("make_argv, expected", [
    (lambda d, t: ["extract", d, "--out", t], "is a folder"),
    (lambda d, t: ["extract", d, "--out", f"{t}/f.csv", "--segment-seconds", "100"],
     "no clip is 100 s long (the longest is 7.00 s)"),
    (lambda d, t: ["extract", d, "--out", f"{t}/f.csv", "--segment-seconds", "0.05"], "fewer than one analysis frame"),
    (lambda d, t: ["extract", f"{t}/nothing", "--out", f"{t}/f.csv"], "does not exist"),
    (lambda d, t: ["eda", d, "--out", t], "is a folder"),
    (lambda d, t: ["parity", d], "reference CSV"),
    (lambda d, t: ["parity", d, "--csv", __file__, "--formats", "mp3"], "no mp3 clips"),
    (lambda d, t: ["parity", d, "--csv", __file__], "is not a Kaggle features CSV"),
], ids=["out-folder", "segment-too-long", "segment-too-short", "no-dataset", "eda-out-folder", "parity-no-csv",
        "parity-no-format", "parity-not-a-features-csv"])
def test_cli_user_errors_are_one_line(synthetic_dir, tmp_path, capsys, make_argv, expected):
    status, stdout, stderr = _run(make_argv(str(synthetic_dir), str(tmp_path)), capsys)
    assert status == 2
    assert stderr.startswith("error: ") and expected in stderr.splitlines()[0] and "Traceback" not in stderr
    if "does not exist" not in expected:  # the dataset registry adds how to get a dataset below its line
        assert len(stderr.strip().splitlines()) == 1
    assert not (tmp_path / "f.csv").exists()


@pytest.mark.parametrize("option, value", [("--jobs", "0"), ("--segment-seconds", "nan"), ("--segment-seconds", "-1"),
                                           ("--segment-seconds", "inf"), ("--jobs", "two")])
def test_cli_refuses_bad_numbers_while_parsing(synthetic_dir, tmp_path, capsys, option, value):
    with pytest.raises(SystemExit) as exit_info:
        features.main(["extract", str(synthetic_dir), "--out", str(tmp_path / "f.csv"), option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}" in err and ("not allowed" in err or "not a" in err)


def test_cli_ctrl_c_is_one_line_and_status_130(synthetic_dir, tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(representations, "compute", interrupted)
    status, _, stderr = _run(["extract", str(synthetic_dir), "--out", str(tmp_path / "f.csv")], capsys)
    assert status == 130 and "interrupted" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "f.csv").exists()


def test_python_dash_m_runs_the_command_line_through_cli_run(tmp_path):
    argv = ["extract", str(tmp_path / "nothing"), "--out", str(tmp_path / "f.csv")]
    run = subprocess.run([sys.executable, "-m", "helpers.inputs.features", *argv], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 2
    assert run.stderr.startswith("error: dataset folder") and "Traceback" not in run.stderr
