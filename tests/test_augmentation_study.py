"""Notebook 07's helpers: copies only for training clips, leaky conditions that leak by design, scores by source clip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import data
from helpers.inputs import augment
from helpers.models import heads
from helpers.studies import augmentation_segments as study

GENRES = ("blues", "classical", "jazz", "rock")


def _inputs(per_genre: int = 10, segments: int = 3, dim: int = 8, seed: int = 0) -> study.SegmentInputs:
    """Feature vectors that carry their genre (so a head learns), several segments per clip."""
    rng = np.random.default_rng(seed)
    rows, X = [], []
    for g, genre in enumerate(GENRES):
        for i in range(per_genre):
            for s in range(segments):
                rows.append(dict(track_id=f"{genre}.{i:05d}", genre=genre, segment=s, copy="original"))
                X.append(np.eye(dim)[g] * 2 + rng.normal(0, 0.5, dim))
    return study.SegmentInputs(np.asarray(X, np.float32), pd.DataFrame(rows), [])


def _copies(inputs: study.SegmentInputs, names=("stretch-0.81", "shift-5s")) -> study.SegmentInputs:
    tables = [inputs.table.assign(copy=name) for name in names]
    return study.SegmentInputs(np.concatenate([inputs.X] * len(names)), pd.concat(tables, ignore_index=True), [])


def test_no_validation_or_test_track_nor_a_copy_of_one_enters_training():
    inputs = _inputs()
    copies = _copies(inputs)
    frame, split, _ = study.condition_split(inputs.table, "track-random")
    combined, combined_split = study.with_training_copies(inputs, copies, split)
    table = combined.table.assign(split=combined_split.to_numpy())
    held_out = set(table.loc[table["split"].isin(["valid", "test"]), "track_id"])
    trained = table[table["split"] == "train"]
    assert held_out and not held_out & set(trained["track_id"])
    assert (table.loc[table["copy"] != "original", "split"] == "train").all()
    # every training track got each of its copies, and nothing else was added
    train_tracks = set(table.loc[(table["split"] == "train") & (table["copy"] == "original"), "track_id"])
    assert len(table) == len(inputs.table) + 2 * len(inputs.table[inputs.table["track_id"].isin(train_tracks)])
    assert len(combined.X) == len(table)


def test_the_leaky_conditions_put_a_clips_siblings_on_both_sides_and_the_honest_ones_never():
    inputs = _inputs()
    for condition, leaky in (("segment-random", True), ("track-random", False)):
        frame, split, protocol = study.condition_split(inputs.table, condition)
        parts_per_clip = frame.assign(split=split.to_numpy()).groupby("source_track")["split"].nunique()
        assert (parts_per_clip.max() > 1) == leaky, condition
    table = pd.concat([inputs.table, _copies(inputs).table], ignore_index=True)
    frame, split, protocol = study.condition_split(table, "augment-before-split")
    assert protocol == "augment-before-split 70/10/20" and frame["track_id"].str.contains("#").all()
    assert frame.assign(split=split.to_numpy()).groupby("source_track")["split"].nunique().max() > 1
    with pytest.raises(ValueError, match="valid: segment-random, track-random, fixed"):
        study.condition_split(inputs.table, "clip-random")
    with pytest.raises(ValueError, match="fixed protocol"):
        study.condition_split(inputs.table, "fixed")


def test_run_condition_records_conditions_sizes_and_test_predictions(tmp_path):
    inputs = _inputs()
    copies = _copies(inputs)
    settings = dict(dataset="toy", representation="vectors", seed=0, resamples=50, results_dir=tmp_path, profile="smoke",
                    epochs=8, patience=3)
    honest, _ = study.run_condition("dense-head", inputs, condition="augment-after-split", copies=copies, augmentation="toy",
                                    label=study.run_name("dense-head", 3.0, None, "toy"), **settings)
    leaky, _ = study.run_condition("dense-head", inputs, condition="segment-random",
                                   label=study.run_name("dense-head", 3.0), **settings)
    e = honest["extra"]
    assert e["condition"] == "augment-after-split" and not e["leaky"] and e["unit"] == "clip"
    assert e["rows"]["train"] == 3 * 3 * e["source_tracks"]["train"]  # 3 segments x (original + 2 copies)
    assert len(e["test_clips"]["id"]) == honest["sizes"]["test"] == e["source_tracks"]["test"]
    assert len(e["test_segments_by_source"]["source"]) == e["rows"]["test"] == 3 * honest["sizes"]["test"]
    assert leaky["extra"]["leaky"] and leaky["extra"]["unit"] == "segment" and leaky["protocol"] == "segment-random 70/10/20"
    assert honest["metrics"]["accuracy"]["value"] > 0.5  # the toy vectors carry their genre
    assert len(list((tmp_path / study.EXPERIMENT).glob("*.json"))) == 2
    table = study.study_table([honest, leaky], resamples=50)
    assert table.loc[1, "clip accuracy"] == study.LEAKY_CELL and table.loc[0, "clip accuracy"] and table.loc[1, "segment accuracy"]
    differences = study.differences_table([honest, {**honest, "model": "copy"}], honest, resamples=20)  # reference left out
    assert list(differences["model"]) == ["copy"] and list(differences.columns)[-2:] == ["accuracy difference", "macro-F1 difference"]
    assert differences.loc[0, "accuracy difference"] == "+0.000 [+0.000, +0.000]"  # the same predictions
    assert study._signed_cell(-0.0001, -0.02, 0.01) == "+0.000 [-0.020, +0.010]"
    with pytest.raises(ValueError, match="needs the augmented copies"):
        study.run_condition("dense-head", inputs, condition="augment-before-split", label="x", **settings)


def _record(sources, truth, predicted, clips=None, status_ok=True) -> dict:
    clips = clips or sorted(set(sources))
    return {"model": "m", "protocol": "p", "confusion": {"labels": list(GENRES)}, "failure": None if status_ok else "did not learn",
            "sizes": {"train": 2, "test": len(clips)},
            "extra": {"test_segments_by_source": dict(source=list(sources), truth=list(truth), predicted=list(predicted)),
                      "test_clips": dict(id=clips, truth=[GENRES[0]] * len(clips), predicted=[GENRES[0]] * len(clips))}}


def test_segment_scores_resample_whole_clips():
    # Two clips of four segments: one all right, one all wrong. Resampling clips gives 0, 0.5 or 1;
    # resampling segments as if independent would almost never reach 0 or 1.
    sources = ["a"] * 4 + ["b"] * 4
    record = _record(sources, [0] * 8, [0] * 4 + [1] * 4)
    value, low, high = study.segment_score(record, resamples=400, seed=0)
    assert value == 0.5 and low == 0.0 and high == 1.0
    same = study.leakage_effect(record, record, resamples=200)
    assert same[0] == 0.0 and same[1] < 0 < same[2]
    perfect = _record(["c"] * 4 + ["d"] * 4, [0] * 8, [0] * 8)
    assert study.leakage_effect(perfect, record, resamples=200)[0] == 0.5


def test_paired_differences_need_the_same_test_clips():
    a = _record(["x"], [0], [0], clips=["x", "y"])
    assert study.paired_difference(a, a, resamples=50) == (0.0, 0.0, 0.0)
    with pytest.raises(ValueError, match="not tested on the same clips"):
        study.paired_difference(a, _record(["z"], [0], [0], clips=["x", "z"]), resamples=50)


def test_the_reading_does_not_compare_a_run_that_did_not_learn(monkeypatch):
    monkeypatch.setattr(study.evaluate, "status", lambda r: "ok" if r["failure"] is None else f"FAILED: {r['failure']}")
    good = _record(["a", "b"], [0, 1], [0, 1])
    failed = _record(["a", "b"], [0, 1], [0, 0], status_ok=False)
    text = study.reading({"segment-random": failed, "track-random": good}, {"none": good, "six-fold": failed}, [], "toy", 50)
    assert "Leakage by segments**: not measured" in text and "six-fold** minus no augmentation: not measured" in text
    assert "Did not learn" in text
    # two runs that learned: their difference is one training run each, never a finding
    other = _record(["c", "d"], [0, 1], [0, 1])
    text = study.reading({"segment-random": good, "track-random": other}, {"none": good, "six-fold": good}, [], "toy", 50)
    compared = [line for line in text.splitlines() if "minus" in line]
    assert len(compared) == 2 and all(study.comparisons.VERDICT_WORDS["one run"] in line for line in compared)


def test_copies_are_cached_per_clip_and_the_key_follows_the_policy(synthetic_dir, tmp_path, monkeypatch):
    tracks = data.load_tracks(data.discover(synthetic_dir)).head(2)
    policy = augment.WaveformPolicy("noise-mask", copies=2)
    first = study.copy_inputs(tracks, policy, 3.0, per_clip=1, cache_dir=tmp_path)
    assert list(first.table["copy"]) == ["noise-mask-1", "noise-mask-2"] * 2 and first.X.shape[1:] == (64, 130, 1)

    def no_decode(*args, **kwargs):
        raise AssertionError("decoded although every copy is cached")

    monkeypatch.setattr(study.audio, "load", no_decode)
    monkeypatch.setattr("helpers.inputs.representations.audio.load", no_decode)
    again = study.copy_inputs(tracks, policy, 3.0, per_clip=1, cache_dir=tmp_path)
    assert np.array_equal(again.X, first.X)
    with pytest.raises(AssertionError, match="decoded although"):
        study.copy_inputs(tracks, augment.WaveformPolicy("noise-mask", copies=1), 3.0, per_clip=1, cache_dir=tmp_path)


def test_musicnn_segments_average_the_windows_inside_each_segment(monkeypatch):
    tracks = pd.DataFrame({"track_id": ["t"], "genre": ["jazz"], "duration": [10.0]})
    windows = np.arange(8, dtype=np.float32)[:, None] * np.ones((1, 3), np.float32)  # window i starts at i s
    monkeypatch.setattr(heads, "window_embeddings", lambda *a, **k: heads.WindowSet(tracks, windows, np.zeros(8, int)))
    five = study.musicnn_segment_inputs(tracks, 5.0)
    # 5-s segments: [0, 5) holds windows 0-2, [5, 10) holds windows 5-7
    assert list(five.table["segment"]) == [0, 1] and np.allclose(five.X[:, 0], [1.0, 6.0])
    three = study.musicnn_segment_inputs(tracks, 3.0)
    assert np.allclose(three.X[:, 0], [0.0, 3.0, 6.0])  # one window per 3-s segment


def _segment_record(model: str, seconds: float, correct: int, per_clip: int, clips: int = 40) -> dict:
    """A run that gets its first ``correct`` of ``clips`` test clips right."""
    ids = [f"c{i}" for i in range(clips)]
    accuracy = correct / clips
    return {"model": study.run_name(model, seconds, per_clip), "protocol": "p", "failure": None, "sizes": {"test": clips},
            "confusion": {"labels": ["jazz", "rock"]},
            "metrics": {"accuracy": {"value": accuracy, "ci_low": accuracy - 0.05, "ci_high": accuracy + 0.05}},
            "extra": {"segments_per_clip": per_clip,
                      "test_clips": dict(id=ids, truth=["jazz"] * clips, predicted=["jazz"] * correct + ["rock"] * (clips - correct))}}


def test_the_segment_length_reading_pairs_lengths_and_says_when_a_model_saw_fewer_segments(monkeypatch):
    monkeypatch.setattr(study.evaluate, "status", lambda r: "ok")
    runs = [_segment_record("base-cnn", 3.0, 36, 10), _segment_record("base-cnn", 10.0, 10, 3),
            _segment_record("resnet18", 3.0, 21, 2), _segment_record("resnet18", 10.0, 20, 2)]
    text = study.reading({}, {}, runs, "toy", 200)
    resnet = next(line for line in text.splitlines() if line.startswith("- **resnet18**"))
    base = next(line for line in text.splitlines() if line.startswith("- **base-cnn**"))
    assert "at most 2 segments per clip" in resnet and "segments per clip" not in base
    assert "paired on the same 40 test clips, it minus 10 s +0.650" in base and "one training run per length: not a finding" in base
    assert "3-s segments" in resnet and "1 interval(s) reach zero" in resnet


def test_segment_study_inputs_pick_each_models_segments(synthetic_dir, tmp_path, monkeypatch):
    tracks = data.load_tracks(data.discover(synthetic_dir)).head(2)
    settings = dict(per_clip=None, resnet_per_clip=1)
    every, per_clip = study.segment_study_inputs("base-cnn", tracks, 3.0, settings, tmp_path)
    capped, resnet_per_clip = study.segment_study_inputs("resnet18", tracks, 3.0, settings, tmp_path)
    assert per_clip is None and resnet_per_clip == 1
    assert (capped.table.groupby("track_id").size() == 1).all() and (every.table.groupby("track_id").size() > 1).all()
    assert "fixed_split" in every.table and every.table["track_id"].isin(tracks["track_id"]).all()
    monkeypatch.setattr(study, "musicnn_segment_inputs", lambda tracks, seconds: ("musicnn", seconds))
    assert study.segment_study_inputs("msd-musicnn-head", tracks, 5.0, settings) == (("musicnn", 5.0), None)
    with pytest.raises(ValueError, match="valid: base-cnn, resnet18, msd-musicnn-head"):
        study.segment_study_inputs("vgg16", tracks, 3.0, settings)
