"""Two-genre songs, the seed's sigmoid head, set metrics, the threshold chosen on validation, and the saved multi-genre model."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import soundfile as sf
from sklearn.metrics import f1_score

from helpers import predict
from helpers.data import audio, cache
from helpers.models import artifacts, multigenre
from helpers.results import evaluate, records

from .conftest import write_corrupt

SR = 8000
GENRES = ["blues", "jazz", "rock", "metal"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setenv("MGC_CACHE_DIR", str(tmp_path / "cache"))


def tone_tracks(folder, genres=GENRES, per_genre=3, base=300.0, seconds=1.0, prefix="") -> pd.DataFrame:
    """Clips of a sine tone per genre (genre i at base + 200 i Hz), amplitude varying per clip, at 8 kHz."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    t = np.arange(int(seconds * SR)) / SR
    for g, genre in enumerate(genres):
        for i in range(per_genre):
            path = folder / f"{prefix}{genre}.{i:05d}.wav"
            sf.write(str(path), (0.1 + 0.2 * i) * np.sin(2 * np.pi * (base + 200 * g) * t), SR)
            rows.append(dict(track_id=f"{prefix}{genre}.{i:05d}", genre=genre, path=str(path)))
    return pd.DataFrame(rows)


def genre_counts(items: pd.DataFrame) -> Counter:
    return Counter(items["genre_a"].tolist() + items["genre_b"].tolist())


# ---------------------------------------------------------------------------- two-genre songs

@pytest.mark.parametrize("n_genres", [2, 3, 4, 5, 10])
def test_pairs_cycle_over_every_genre_pair_and_keep_genres_balanced_after_any_item(n_genres):
    genres = [f"g{i}" for i in range(n_genres)]
    cycle = n_genres * (n_genres - 1) // 2
    pairs = multigenre.genre_pairs(genres, max(9, 2 * cycle + 3), seed=7)
    assert all(a != b for a, b in pairs)
    assert len({frozenset(p) for p in pairs[:cycle]}) == cycle  # the first cycle holds every pair once
    for k in range(1, len(pairs) + 1):
        counts = Counter(g for p in pairs[:k] for g in p)
        assert max(counts.get(g, 0) for g in genres) - min(counts.get(g, 0) for g in genres) <= 1, (k, counts)
    assert multigenre.genre_pairs(genres, 9, seed=7) == pairs[:9]
    assert multigenre.genre_pairs(genres, 9, seed=8) != pairs[:9] or n_genres == 2


def test_two_genre_set_is_balanced_reproducible_and_uses_only_the_given_clips(tmp_path):
    test_clips = tone_tracks(tmp_path / "test")
    other_part = tone_tracks(tmp_path / "train", prefix="train-")
    made = multigenre.two_genre_set(test_clips, 10, "mix", seed=3, sr=SR, seconds=1.0, progress=False)
    items = made.items
    assert list(items.columns) == ["item", "track_a", "track_b", "genre_a", "genre_b", "mode"] and len(items) == 10
    assert items["item"].tolist() == list(range(10)) and (items["mode"] == "mix").all() and made.failed == [] and made.sr == SR
    counts = genre_counts(items)
    assert max(counts.values()) - min(counts.values()) <= 1 and set(counts) == set(GENRES)
    assert (items["genre_a"] != items["genre_b"]).all()
    genre_of = dict(zip(test_clips["track_id"], test_clips["genre"]))
    assert set(items["track_a"]) | set(items["track_b"]) <= set(test_clips["track_id"])
    assert not (set(items["track_a"]) | set(items["track_b"])) & set(other_part["track_id"])
    assert all(genre_of[t] == g for t, g in zip(items["track_a"], items["genre_a"]))
    # per genre, no clip twice before all 3 of its clips were used
    for genre in GENRES:
        drawn = [t for _, r in items.iterrows() for t, g in ((r.track_a, r.genre_a), (r.track_b, r.genre_b)) if g == genre]
        assert len(set(drawn[:3])) == min(3, len(drawn)), (genre, drawn)
    again = multigenre.two_genre_set(test_clips, 10, "mix", seed=3, sr=SR, seconds=1.0, progress=False)
    assert again.items.equals(items) and all(np.array_equal(a, b) for a, b in zip(again.waveforms, made.waveforms))
    other = multigenre.two_genre_set(test_clips, 10, "mix", seed=4, sr=SR, seconds=1.0, progress=False)
    assert not other.items.equals(items)


def rms(x):
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def test_mix_sums_both_clips_at_equal_loudness_below_the_peak_limit(tmp_path):
    rng = np.random.default_rng(0)
    loud, quiet = rng.uniform(-0.9, 0.9, 4000).astype(np.float32), (0.01 * rng.normal(size=4000)).astype(np.float32)
    out = multigenre.mix(loud, quiet)
    assert np.max(np.abs(out)) <= 0.99 + 1e-6
    # out = g (loud / rms(loud) + quiet / rms(quiet)) for one gain g: both contribute the same RMS
    unit = loud / rms(loud) + quiet / rms(quiet)
    gain = float(np.dot(out, unit) / np.dot(unit, unit))
    assert np.allclose(out, gain * unit, atol=1e-5) and gain > 0
    soft_a = 0.01 * loud
    soft = multigenre.mix(soft_a, quiet)  # quiet enough: both at the mean of their RMS, not scaled up to the limit
    level = (rms(soft_a) + rms(quiet)) / 2
    assert np.allclose(soft, level * (soft_a / rms(soft_a) + quiet / rms(quiet)), atol=1e-6) and np.max(np.abs(soft)) < 0.5
    assert np.allclose(multigenre.mix(loud, np.zeros_like(loud)), loud / 2, atol=1e-6)  # a silent clip stays silent
    # in a two-genre set: each item is the mix of its two decoded clips
    tracks = tone_tracks(tmp_path / "clips")
    made = multigenre.two_genre_set(tracks, 4, "mix", seed=0, sr=SR, seconds=1.0, progress=False)
    path = dict(zip(tracks["track_id"], tracks["path"]))
    for (_, row), wave in zip(made.items.iterrows(), made.waveforms):
        a, b = (audio.load(path[t], sr=SR)[0] for t in (row.track_a, row.track_b))
        assert np.allclose(wave, multigenre.mix(a, b), atol=1e-6)
        assert np.max(np.abs(wave)) <= 0.99 + 1e-6


def test_concat_plays_the_first_half_of_each_clip_and_clips_are_trimmed_or_padded(tmp_path):
    tracks = tone_tracks(tmp_path / "clips", seconds=1.0)
    made = multigenre.two_genre_set(tracks, 5, "concat", seed=1, sr=SR, seconds=0.5, progress=False)
    path = dict(zip(tracks["track_id"], tracks["path"]))
    for (_, row), wave in zip(made.items.iterrows(), made.waveforms):
        a, b = (audio.load(path[t], sr=SR)[0] for t in (row.track_a, row.track_b))
        assert len(wave) == SR // 2  # clips trimmed to 0.5 s: 0.25 s of each
        assert np.array_equal(wave[: SR // 4], a[: SR // 4]) and np.array_equal(wave[SR // 4:], b[: SR // 4])
    padded = multigenre.two_genre_set(tracks, 2, "concat", seed=1, sr=SR, seconds=3.0, progress=False)
    assert all(len(w) == 3 * SR for w in padded.waveforms)
    assert all(np.all(w[SR:3 * SR // 2] == 0) for w in padded.waveforms)  # a's padding (1 s of audio, 1.5 s of room)


def test_an_unreadable_clip_is_skipped_listed_and_never_used(tmp_path):
    tracks = tone_tracks(tmp_path / "clips")
    broken = write_corrupt(tmp_path / "clips" / "jazz.00009.wav")
    tracks = pd.concat([tracks, pd.DataFrame([dict(track_id="jazz.00009", genre="jazz", path=str(broken))])], ignore_index=True)
    made = multigenre.two_genre_set(tracks, 12, "mix", seed=0, sr=SR, seconds=1.0, progress=False)
    assert len(made.failed) == 1 and made.failed[0].startswith(str(broken))
    assert "jazz.00009" not in set(made.items["track_a"]) | set(made.items["track_b"])
    assert len(made.items) == 12 and max(genre_counts(made.items).values()) - min(genre_counts(made.items).values()) <= 1
    only_broken = tracks[(tracks["genre"] != "jazz") | (tracks["track_id"] == "jazz.00009")]
    with pytest.raises(ValueError, match="no readable clip of jazz"):
        multigenre.two_genre_set(only_broken, 6, "mix", sr=SR, seconds=1.0, progress=False)


def test_bad_modes_and_a_single_genre_are_refused(tmp_path):
    tracks = tone_tracks(tmp_path / "clips", genres=["blues", "jazz"], per_genre=1)
    with pytest.raises(ValueError, match="valid modes: mix, concat"):
        multigenre.two_genre_set(tracks, 2, "overlay", sr=SR, progress=False)
    with pytest.raises(ValueError, match="at least 2 genres"):
        multigenre.two_genre_set(tracks[tracks["genre"] == "jazz"], 2, "mix", sr=SR, progress=False)


# ---------------------------------------------------------------------------- sets and metrics

LABELS = ["blues", "jazz", "rock"]


def test_set_metrics_on_hand_made_items():
    truth = [["blues", "jazz"], ["blues", "rock"], ["jazz", "rock"], ["blues", "jazz"]]
    probabilities = np.array([[0.9, 0.6, 0.1],   # {blues, jazz}: exact
                              [0.7, 0.1, 0.15],  # {blues}: Jaccard 1/2; top 2 is blues, rock: both in top 2
                              [0.1, 0.15, 0.12],  # empty set: wrong; top 2 jazz, rock
                              [0.5, 0.3, 0.8]])   # {rock, blues, jazz}: Jaccard 2/3, top 2 rock, blues
    predicted = multigenre.predict_sets(probabilities, LABELS, 0.2)
    assert predicted == [["blues", "jazz"], ["blues"], [], ["rock", "blues", "jazz"]]  # most probable first
    assert multigenre.predict_sets(np.array([[0.2, 0.19, 0.5]]), LABELS, 0.2) == [["rock", "blues"]]  # >= threshold
    m = multigenre.set_metrics(truth, predicted, probabilities, LABELS)
    assert m["exact_set_accuracy"] == 0.25
    assert np.isclose(m["jaccard"], (1 + 0.5 + 0 + 2 / 3) / 4)
    assert m["both_in_top2"] == 0.75 and m["empty_sets"] == 0.25 and m["mean_set_size"] == 1.5
    truth_hot, pred_hot = multigenre.multi_hot(truth, LABELS), multigenre.multi_hot(predicted, LABELS)
    assert np.isclose(m["macro_f1"], f1_score(truth_hot, pred_hot, average="macro", zero_division=0))
    assert m["per_genre"]["rock"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 2}  # predicted once, wrongly
    assert m["per_genre"]["blues"]["recall"] == 1.0 and m["per_genre"]["jazz"]["support"] == 3
    with pytest.raises(ValueError, match="not in labels"):
        multigenre.multi_hot([["polka"]], LABELS)


def test_macro_f1_counts_only_genres_that_occur_in_the_truth():
    truth = [["blues", "jazz"], ["blues", "jazz"]]
    predicted = [["blues", "jazz"], ["blues", "rock"]]
    m = multigenre.set_metrics(truth, predicted, np.array([[0.9, 0.8, 0.1], [0.9, 0.1, 0.8]]), LABELS)
    assert np.isclose(m["macro_f1"], (1 + 2 / 3) / 2)  # rock never true: not averaged in, though predicted once


def test_the_threshold_is_the_best_on_its_curve_ties_going_to_the_seeds():
    curve = pd.DataFrame({"threshold": [0.1, 0.15, 0.25, 0.3, 0.5], "exact_set_accuracy": [0.2, 0.6, 0.6, 0.6, 0.7],
                          "jaccard": [0.5, 0.7, 0.7, 0.6, 0.4], "macro_f1": [0.1, 0.5, 0.5, 0.5, 0.5]})
    assert multigenre.choose_threshold(curve) == 0.5
    assert multigenre.choose_threshold(curve, "jaccard") == 0.15  # 0.15 and 0.25 tie and are equally close: the lower
    assert multigenre.choose_threshold(curve, "macro_f1") == 0.15
    with pytest.raises(ValueError, match="valid: exact_set_accuracy, jaccard, macro_f1"):
        multigenre.choose_threshold(curve, "accuracy")
    probabilities = np.array([[0.9, 0.45, 0.1], [0.1, 0.45, 0.9]])
    table = multigenre.threshold_curve(probabilities, [["blues", "jazz"], ["jazz", "rock"]], LABELS)
    assert list(table.columns) == ["threshold", "exact_set_accuracy", "jaccard", "macro_f1", "mean_set_size"]
    assert len(table) == 19 and table["threshold"].iloc[0] == 0.05 and table["threshold"].iloc[-1] == 0.95
    exact = dict(zip(table["threshold"], table["exact_set_accuracy"]))
    assert exact[0.45] == 1.0 and exact[0.5] == 0.0 and exact[0.05] == 0.0
    assert table["mean_set_size"].is_monotonic_decreasing


def test_a_record_follows_the_results_schema_and_its_intervals_hold_the_values(tmp_path):
    rng = np.random.default_rng(0)
    genres = ["blues", "jazz", "rock", "metal"]
    truth = [list(p) for p in multigenre.genre_pairs(genres, 40, seed=0)]
    probabilities = np.clip(multigenre.multi_hot(truth, genres) * 0.5 + rng.uniform(0, 0.45, (40, 4)), 0, 1)
    record = multigenre.multi_genre_record(
        truth, probabilities, genres, 0.3, model="toy · mix · threshold chosen on validation", dataset="synthetic",
        protocol="fault-filtered", mode="mix", sizes={"train": 100, "valid": 20}, threshold_source="validation two-genre set (mix)",
        resamples=200, seed=1, extra={"note": "toy"}, train_genres=["blues"] * 5 + ["jazz"] * 4 + ["rock"] * 2 + ["metal"])
    for key in (*evaluate.REQUIRED_KEYS, "representation", "sizes_per_genre", "per_genre", "confusion", "bootstrap", "created",
                "profile", "notes", "extra", "failure"):
        assert key in record, key
    assert record["experiment"] == multigenre.EXPERIMENT and record["schema"] == evaluate.SCHEMA_VERSION
    assert record["sizes"] == {"train": 100, "valid": 20, "test": 40}
    assert record["sizes_per_genre"]["test"] == dict(Counter(g for t in truth for g in t))
    assert sum(record["sizes_per_genre"]["test"].values()) == 80 and record["sizes_per_genre"]["train"]["blues"] == 5
    assert set(record["metrics"]) == {"exact_set_accuracy", "jaccard", "both_in_top2", "macro_f1"}
    for name, m in record["metrics"].items():
        assert m["ci_low"] <= m["value"] <= m["ci_high"], name
        assert m["ci_low"] < m["ci_high"] or m["value"] in (0.0, 1.0), name
    extra = record["extra"]
    assert extra["threshold"] == 0.3 and extra["threshold_source"] == "validation two-genre set (mix)" and extra["note"] == "toy"
    assert extra["mode"] == "mix" and extra["items"] == 40 and sum(extra["pairs_per_genre_pair"].values()) == 40
    # always answering the two commonest training genres (blues + jazz)
    assert extra["chance_exact_set_accuracy"] == np.mean([set(t) == {"blues", "jazz"} for t in truth]) > 0
    assert record["failure"] is None and records.failure(record) is None and records.status(record) == "ok"
    path = evaluate.save(record, tmp_path / "results", profile="smoke")
    assert path.parent.name == "multi_genre" and json.loads(path.read_text())["metrics"] == record["metrics"]
    again = multigenre.multi_genre_record(truth, probabilities, genres, 0.3, model="m", dataset="d", protocol="p", mode="mix",
                                          sizes={}, threshold_source="s", resamples=200, seed=1)
    assert again["metrics"] == record["metrics"] and again["extra"]["chance_exact_set_accuracy"] == 0.0  # seeded; no counts
    assert multigenre.record_table([record]).loc[0, "threshold"] == "0.30 (validation)"
    assert multigenre.record_table([record]).index.name == f"{record['dataset']}, {record['protocol']}"  # the caption
    assert multigenre.record_table([again]).loc[0, "threshold"] == "0.30 (fixed)"  # source "s": neither validation nor seed's


# ---------------------------------------------------------------------------- the threshold is chosen on validation songs

class Identity:
    """A stand-in head network: its input rows are already the genre probabilities."""

    def predict(self, X, verbose=0):
        return np.asarray(X)


def frequency_probabilities(waveforms, sr):
    """One row per song: which genre tones it holds, told apart by frequency. Validation clips (tones below 1 kHz)
    give 0.5 to present genres and 0.3 to the others, test clips 0.9 and 0.6: the best threshold on validation songs
    (0.35) is not the best on test songs (0.65 or more)."""
    rows = []
    for wave in waveforms:
        spectrum = np.abs(np.fft.rfft(wave))
        freqs = np.fft.rfftfreq(len(wave), 1 / sr)
        low, high = ([spectrum[np.argmin(np.abs(freqs - (base + 200 * g)))] for g in range(3)] for base in (300, 1300))
        valid = max(low) > max(high)
        present = np.array(low if valid else high) > 0.2 * max(low + high)
        rows.append(np.where(present, 0.5, 0.3) if valid else np.where(present, 0.9, 0.6))
    return np.array(rows), np.arange(len(waveforms))


def test_the_threshold_is_chosen_on_validation_songs_never_on_test_songs(tmp_path):
    genres = ["blues", "jazz", "rock"]
    valid = tone_tracks(tmp_path / "valid", genres=genres, per_genre=2, base=300, prefix="v-")
    test = tone_tracks(tmp_path / "test", genres=genres, per_genre=2, base=1300, prefix="t-")
    head = multigenre.SigmoidHead(Identity(), np.zeros(3), np.ones(3), genres, "toy", {"blues": 9, "jazz": 5, "rock": 1})
    records_, curves = multigenre.evaluate_multi_genre("toy head", frequency_probabilities, head, valid, test, dataset="synthetic",
                                                       protocol="fault-filtered", sizes={"train": 30, "valid": 6}, n_valid=6,
                                                       n_test=9, sr=SR, seconds=1.0, resamples=50, progress=False)
    assert [r["model"] for r in records_] == ["toy head · mix · threshold chosen on validation", "toy head · mix · seed's threshold 0.2",
                                              "toy head · concat · threshold chosen on validation",
                                              "toy head · concat · seed's threshold 0.2"]
    for mode in multigenre.MODES:
        chosen, seed = (r for r in records_ if r["extra"]["mode"] == mode)
        curve = curves[mode]
        test_curve, valid_curve = curve[curve["part"] == "test"], curve[curve["part"] == "valid"]
        assert test_curve.loc[test_curve["exact_set_accuracy"].idxmax(), "threshold"] >= 0.65  # what test would have chosen
        assert valid_curve["exact_set_accuracy"].max() == 1.0
        assert chosen["extra"]["threshold"] == 0.35 and chosen["extra"]["valid_exact_set_accuracy"] == 1.0
        assert chosen["extra"]["threshold_source"] == f"validation two-genre set ({mode}), best exact set accuracy"
        assert chosen["metrics"]["exact_set_accuracy"]["value"] == 0.0  # every genre above 0.35 in the test songs
        assert chosen["metrics"]["both_in_top2"]["value"] == 1.0
        assert seed["extra"]["threshold"] == 0.2 and seed["extra"]["threshold_source"] == "seed's threshold 0.2"
        assert chosen["sizes"] == {"train": 30, "valid": 6, "test": 9} and chosen["extra"]["valid_items"] == 6
        assert chosen["extra"]["chance_exact_set_accuracy"] == pytest.approx(3 / 9)  # blues + jazz: 3 of the 9 test songs


# ---------------------------------------------------------------------------- the head and the saved model

def separable_windows(n_per_genre=40, dims=8, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n_per_genre)
    X = rng.normal(size=(len(y), dims)) + 3.0 * np.eye(dims)[y]
    return X.astype(np.float32), y


def test_the_sigmoid_head_learns_a_separable_problem_with_binary_cross_entropy():
    X, y = separable_windows()
    X_valid, y_valid = separable_windows(10, seed=1)
    head, fit = multigenre.fit_sigmoid_head(X, y, LABELS, X_valid=X_valid, y_valid=y_valid, epochs=40, patience=5, layer="toy")
    assert head.net.loss == "binary_crossentropy" and head.net.layers[-1].get_config()["activation"] == "sigmoid"
    assert head.labels == LABELS and head.layer == "toy" and head.train_counts == {"blues": 40, "jazz": 40, "rock": 40}
    assert 1 <= fit["best_epoch"] <= fit["epochs"] <= 40 and fit["valid_loss"] < 0.3 and fit["train_seconds"] > 0
    rows = np.repeat(np.arange(15), 2)  # two windows per clip
    probabilities = multigenre.clip_probabilities(head, X_valid, rows, 15)
    assert probabilities.shape == (15, 3) and (probabilities.argmax(1) == y_valid[::2]).mean() >= 0.9
    assert not np.allclose(probabilities.sum(1), 1.0, atol=0.05)  # independent sigmoids, not a softmax
    by_hand = head.net.predict((X_valid - head.mean) / head.std, verbose=0)
    assert np.allclose(probabilities[0], by_hand[:2].mean(0), atol=1e-6)
    with pytest.raises(ValueError, match="at least one window"):
        multigenre.clip_probabilities(head, X_valid[:2], np.array([0, 2]), 3)


def test_window_split_gives_each_part_its_windows_codes_and_clips():
    tracks = pd.DataFrame({"track_id": ["a", "b", "c"], "genre": ["jazz", "blues", "jazz"]})
    windows = type("WindowSet", (), {"tracks": tracks, "X": np.arange(12.0).reshape(6, 2), "rows": np.array([0, 0, 1, 1, 2, 2])})
    parts = multigenre.window_split(windows, pd.Series(["train", "valid", "train"]))
    X, y, rows = parts["train"]
    assert set(parts) == {"train", "valid"} and rows.tolist() == [0, 0, 2, 2] and y.tolist() == [1, 1, 1, 1]
    assert X.tolist() == [[0, 1], [2, 3], [8, 9], [10, 11]] and parts["valid"][1].tolist() == [0, 0]


def test_the_saved_multi_genre_model_predicts_what_the_port_and_head_predict(tmp_path):
    from helpers.models import pretrained

    X, y = separable_windows(dims=50)  # the width of msd-musicnn's taggram
    head, _ = multigenre.fit_sigmoid_head(X, y, LABELS, X_valid=X[:10], y_valid=y[:10], epochs=2, patience=1, layer="taggram")
    truth = [["blues", "jazz"], ["jazz", "rock"]]
    record = multigenre.multi_genre_record(truth, np.array([[0.5, 0.4, 0.1], [0.1, 0.4, 0.5]]), LABELS, 0.35, model="m",
                                           dataset="synthetic", protocol="fault-filtered", mode="mix",
                                           sizes={"train": 60, "valid": 10}, threshold_source="validation two-genre set (mix)",
                                           resamples=20)
    path = multigenre.save_multi_model("msd-musicnn", head, 0.35, record, tmp_path)
    assert path.name == "musicnn-multi.keras"
    model, sidecar = artifacts.load_artifact(path)
    assert sidecar["card"]["multi_label"]["threshold"] == 0.35 and predict.multi_label(sidecar)["threshold"] == 0.35
    assert sidecar["preprocessing"] == predict.musicnn_preprocessing("msd-musicnn") and sidecar["genres"] == LABELS
    windows = np.random.default_rng(0).uniform(0, 3, (2, 187, 96)).astype(np.float32)
    features = pretrained.model("msd-musicnn").predict_on_batch(windows)["taggram"]
    by_hand = head.net.predict((features - head.mean) / head.std, verbose=0)
    assert np.allclose(model.predict(windows, verbose=0), by_hand, atol=1e-5)
    text = predict.about(path, sidecar)
    assert "probability >= 0.35 (threshold: validation two-genre set (mix))" in text and "two-genre songs" in text
    assert "Test exact-set accuracy" in text and "What it cannot do" in text
    with pytest.raises(ValueError, match=r"threshold must lie in \(0, 1\)"):
        multigenre.save_multi_model("msd-musicnn", head, 1.0, record, tmp_path)
    # the featurizer of two-genre songs: the port's taggram per 3-s window, every 1 s, each row naming its song
    songs = [np.random.default_rng(1).uniform(-0.5, 0.5, 4 * SR).astype(np.float32), np.zeros(2 * SR, np.float32)]
    X_songs, rows = multigenre.musicnn_windows(songs, SR, progress=False)
    assert rows.tolist() == [0, 0, 1] and X_songs.shape == (3, 50)  # 4 s: windows at 0 and 1 s; 2 s: one, repeat-padded
    expected = pretrained.window_outputs(pretrained.resample(songs[0], SR), ["msd-musicnn"], 61)["msd-musicnn"]["taggram"]
    assert np.allclose(X_songs[:2], expected, atol=1e-6)
