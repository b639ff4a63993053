"""Notebook 07's studies as its cells call them: which runs each study makes and in what order (the run itself
replaced by a recorder), which runs are reused rather than trained twice, the inputs they share, and the segment
length each record stores."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.studies import augmentation_segments as study

SETTINGS = dict(seconds=(3.0, 5.0), segment_models=("base-cnn", "resnet18", "msd-musicnn-head"), per_clip=2, augment_per_clip=1,
                noise_copies=1, resnet_per_clip=1, epochs=2, patience=1, head_epochs=5, head_patience=3, batch_size=16)
MODEL_PARAMS = {"base-cnn": {"filters": 8}, "resnet18": {"width": 4}}
RUN = dict(seed=3, resamples=10, results_dir=None)


def _inputs(name: str, seconds: float = 3.0, failed=()) -> study.SegmentInputs:
    table = pd.DataFrame({"track_id": [name], "genre": ["a"], "segment": [0], "copy": ["original"]})
    return study.SegmentInputs(np.zeros((1, 2), np.float32), table, list(failed), seconds)


@pytest.fixture
def runs(monkeypatch):
    """Every run_condition call as a dict of its arguments; each returns a record naming its call."""
    calls = []

    def fake_run_condition(model, inputs, **kwargs):
        calls.append(dict(model=model, inputs=inputs, **kwargs))
        return {"model": kwargs["label"], "call": len(calls) - 1, "condition": kwargs["condition"]}, None

    monkeypatch.setattr(study, "run_condition", fake_run_condition)
    return calls


def _study_inputs() -> study.StudyInputs:
    return study.StudyInputs({3.0: _inputs("three"), 5.0: _inputs("five", 5.0)}, _inputs("capped"),
                             {"six-fold": _inputs("six"), "noise-mask": _inputs("noise")})


def test_fit_settings_give_the_head_its_own_epochs():
    assert study.fit_settings(SETTINGS) == dict(epochs=2, patience=1, batch_size=16)
    assert study.fit_settings(SETTINGS, head=True) == dict(epochs=5, patience=3, batch_size=16)


def test_the_honest_condition_and_the_split_conditions_follow_the_fixed_split():
    assert study.honest_condition("fault-filtered") == "fixed" and study.honest_condition(None) == "track-random"
    assert study.split_conditions("fault-filtered") == ["segment-random", "track-random", "fixed"]
    assert study.split_conditions(None) == ["segment-random", "track-random"]


def test_study_inputs_make_each_length_the_capped_segments_and_each_policys_copies(monkeypatch):
    made = []
    monkeypatch.setattr(study, "segment_inputs", lambda tracks, seconds, per_clip, cache_dir, jobs:
                        made.append(("segments", seconds, per_clip)) or _inputs(f"{seconds}/{per_clip}", seconds, [f"bad{seconds}"]))
    monkeypatch.setattr(study, "copy_inputs", lambda tracks, policy, seconds, per_clip, seed, cache_dir, jobs:
                        made.append((policy.name, policy.copies, seconds, per_clip, seed)) or _inputs(policy.name, failed=["bad3.0"]))
    inputs = study.study_inputs(pd.DataFrame(), {**SETTINGS, "noise_copies": 3}, seed=9)
    six_fold = study.augment.WaveformPolicy("six-fold").copies
    assert made == [("segments", 3.0, 2), ("segments", 5.0, 2), ("segments", 3.0, 1),
                    ("six-fold", six_fold, 3.0, 1, 9), ("noise-mask", 3, 3.0, 1, 9)]
    assert list(inputs.originals) == [3.0, 5.0] and list(inputs.copies) == ["six-fold", "noise-mask"]
    assert inputs.failed == ["bad3.0"]  # once, however many inputs left the clip out


def test_leakage_runs_split_conditions_then_the_control_and_the_six_fold_pair(runs):
    leakage = study.leakage_runs(_study_inputs(), SETTINGS, dataset="toy", model_params=MODEL_PARAMS, fixed_protocol="fault-filtered",
                                 **RUN)
    assert list(leakage) == ["segment-random", "track-random", "fixed", "track-random-control", "augment-after-split",
                             "augment-before-split"]
    assert [r["condition"] for r in leakage.values()] == ["segment-random", "track-random", "fixed", "track-random",
                                                          "augment-after-split", "augment-before-split"]
    assert [c["inputs"].table["track_id"][0] for c in runs] == ["three"] * 3 + ["capped"] * 3
    assert [c["label"] for c in runs] == ["base-cnn · 3-s segments (2 per clip)"] * 3 + [
        "base-cnn · 3-s segments (1 per clip)"] + ["base-cnn · 3-s segments (1 per clip) + six-fold"] * 2
    assert all(c["params"] == {"filters": 8} and c["epochs"] == 2 and c["seed"] == 3 and c["fixed_protocol"] == "fault-filtered"
               for c in runs)
    assert runs[4]["copies"].table["track_id"][0] == "six" and runs[5]["augmentation"] == "six-fold"
    assert list(study.leakage_runs(_study_inputs(), SETTINGS, dataset="toy", **RUN))[:2] == ["segment-random", "track-random"]


def test_augmentation_runs_reuse_the_leakage_twins_only_without_a_fixed_split(runs):
    leakage = {"track-random-control": {"model": "control"}, "augment-after-split": {"model": "after"}}
    random_split = study.augmentation_runs(_study_inputs(), leakage, SETTINGS, dataset="toy", model_params=MODEL_PARAMS, **RUN)
    assert list(random_split) == ["none", "six-fold", "noise-mask", "spectrogram masks"]
    assert random_split["none"] is leakage["track-random-control"] and random_split["six-fold"] is leakage["augment-after-split"]
    assert [c["augmentation"] for c in runs] == ["noise-mask", "spectrogram masks"]
    assert runs[0]["copies"].table["track_id"][0] == "noise" and runs[0]["augment"] is None
    assert runs[1]["copies"] is None and runs[1]["augment"] == study.augment.SPEC_MASKS
    assert {c["condition"] for c in runs} == {"track-random"}
    runs.clear()
    fixed = study.augmentation_runs(_study_inputs(), leakage, SETTINGS, dataset="toy", fixed_protocol="fault-filtered", **RUN)
    assert [c["augmentation"] for c in runs] == list(study.AUGMENTATIONS) and {c["condition"] for c in runs} == {"fixed"}
    assert fixed["none"]["model"] == "base-cnn · 3-s segments (1 per clip)"


def test_segment_length_runs_go_by_length_then_model_and_reuse_the_honest_3_s_run(runs, monkeypatch):
    monkeypatch.setattr(study, "segment_study_inputs", lambda model, tracks, seconds, settings, cache_dir, jobs:
                        (_inputs(f"{model}/{seconds}", seconds), None if model == "msd-musicnn-head" else 2))
    honest = {"model": "the leakage study's honest run"}
    records = study.segment_length_runs(pd.DataFrame(), {"fixed": honest}, SETTINGS, dataset="toy", model_params=MODEL_PARAMS,
                                        fixed_protocol="fault-filtered", **RUN)
    assert records[0] is honest and len(records) == 6
    assert [r["model"] for r in records[1:]] == ["resnet18 · 3-s segments (2 per clip)", "msd-musicnn-head · 3-s segments",
                                                 "base-cnn · 5-s segments (2 per clip)", "resnet18 · 5-s segments (2 per clip)",
                                                 "msd-musicnn-head · 5-s segments"]
    head = runs[1]
    assert head["model"] == "dense-head" and head["params"] is None and head["epochs"] == 5 and head["patience"] == 3
    assert runs[0]["params"] == {"width": 4} and runs[0]["epochs"] == 2 and {c["condition"] for c in runs} == {"fixed"}
    runs.clear()
    study.segment_length_runs(pd.DataFrame(), {"fixed": honest}, SETTINGS, dataset="toy", **RUN)  # no honest random run to reuse
    assert runs[0]["model"] == "base-cnn" and runs[0]["condition"] == "track-random"


def test_every_genre_runs_split_every_clip_with_the_capped_segments(runs, monkeypatch):
    monkeypatch.setattr(study, "segment_inputs", lambda tracks, seconds, per_clip, cache_dir, jobs: _inputs(f"every/{per_clip}"))
    second = study.every_genre_runs(pd.DataFrame(), SETTINGS, dataset="all", model_params=MODEL_PARAMS, **RUN)
    assert list(second) == ["segment-random", "track-random"]
    assert {c["inputs"].table["track_id"][0] for c in runs} == {"every/1"} and {c["dataset"] for c in runs} == {"all"}
    assert {c["label"] for c in runs} == {"base-cnn · 3-s segments (1 per clip)"}


def test_first_segments_show_the_original_each_copy_and_the_masks():
    table = pd.DataFrame({"track_id": ["x", "y", "x", "x"], "genre": "a", "segment": [0, 0, 1, 0],
                          "copy": ["stretch", "stretch", "stretch", "shift"]})
    copies = study.SegmentInputs(np.arange(4, dtype=np.float32)[:, None, None, None] * np.ones((4, 8, 8, 1), np.float32), table, [])
    capped = study.SegmentInputs(np.ones((2, 8, 8, 1), np.float32),
                                 pd.DataFrame({"track_id": ["y", "x"], "genre": "a", "segment": 0, "copy": "original"}), [])
    shown = study.first_segments(study.StudyInputs({3.0: capped}, capped, {"six-fold": copies}), "x", seed=0)
    assert [name for name, _ in shown] == ["original", "stretch", "shift", "spectrogram masks"]
    assert [float(a.max()) for _, a in shown[1:3]] == [0.0, 3.0]  # the first segment of each copy of clip x
    assert shown[-1][1].shape == (8, 8, 1)


def test_records_store_their_segment_length_and_older_ones_are_read_from_their_name(tmp_path):
    rng = np.random.default_rng(0)
    rows = [dict(track_id=f"{g}{i}", genre=g, segment=s, copy="original") for g in "ab" for i in range(8) for s in range(2)]
    X = np.asarray([np.eye(4)["ab".index(r["genre"])] * 2 + rng.normal(0, 0.3, 4) for r in rows], np.float32)
    inputs = study.SegmentInputs(X, pd.DataFrame(rows), [], 5.0)
    record, _ = study.run_condition("dense-head", inputs, condition="track-random", dataset="toy", representation="vectors",
                                    label=study.run_name("dense-head", 5.0), seed=0, resamples=10, epochs=2, patience=1)
    assert record["extra"]["segment_seconds"] == 5.0 and record["extra"]["segments_per_clip"] == 2
    assert study.segment_seconds(record) == 5.0
    assert inputs.subset(np.arange(len(rows)) < 4).seconds == 5.0
    older = {"model": "resnet18 · 10-s segments (2 per clip)", "extra": {"segments_per_clip": 2}}
    assert study.segment_seconds(older) == 10.0
    assert study.segment_seconds({"model": "resnet18 · 3-s segments", "extra": {"segment_seconds": 2.5}}) == 2.5


def test_level_rows_put_each_runs_clip_and_segment_levels_side_by_side():
    def record(model, hits):
        truth = [0, 0, 1, 1]
        predicted = [t if h else 1 - t for t, h in zip(truth, hits)]
        return {"model": model, "protocol": "p", "failure": None, "confusion": {"labels": ["a", "b"]}, "sizes": {"test": 2},
                "metrics": {"accuracy": {"value": 0.5, "ci_low": 0.1, "ci_high": 0.9}},
                "extra": {"condition": "fixed",
                          "test_segments_by_source": dict(source=["c1", "c1", "c2", "c2"], truth=truth, predicted=predicted)}}
    rows = study.level_rows([record("m · 3-s segments", [1, 1, 1, 1]), record("m · 5-s segments", [0, 0, 0, 0])], resamples=20)
    assert list(rows["label"]) == ["m · 3-s segments"] * 2 + ["m · 5-s segments"] * 2
    assert list(rows["group"]) == ["per clip", "per segment"] * 2 and list(rows["value"]) == [0.5, 1.0, 0.5, 0.0]
    assert study.leakage_label({**record("base-cnn · 3-s segments", [1] * 4), "protocol": "fault-filtered"}) == (
        "fixed (fault-filtered) · 3-s segments")
