"""Candidates for the default model beyond one head (helpers.models.head_ensembles) and notebook 05's choice among
them (helpers.studies.pretrained_music: default_candidates, seeded_table, save_default)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers.data import cache
from helpers.models import artifacts, head_ensembles, heads, pretrained
from helpers.results import comparisons, evaluate
from helpers.studies import pretrained_music as study

from .test_transfer import separable, windows_of


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setenv("MGC_CACHE_DIR", str(tmp_path / "cache"))


def toy_windows(per_clip: int = 6, dims: int = 6) -> heads.WindowSet:
    emb = separable(n_per_genre=16, dims=dims)
    windows = windows_of(emb, per_clip=per_clip)
    windows.layer = "taggram"
    return windows


def test_window_positions_count_from_each_clip_s_first_window():
    windows = heads.WindowSet(pd.DataFrame(), np.zeros((6, 1)), np.array([0, 0, 0, 1, 2, 2]))
    assert head_ensembles.window_positions(windows).tolist() == [0, 1, 2, 0, 0, 1]


def test_groups_average_their_heads_and_fewer_windows_keep_one_in_three():
    windows = toy_windows()
    split = heads.validation_split(windows.tracks, "fault-filtered", 0).to_numpy()
    rng = np.random.default_rng(0)
    fake = [(s, f"head {s}", rng.random((len(windows.X), 3))) for s in range(4)]
    [(one, mean, fewer), (one2, mean2, _)] = head_ensembles.ensembles(windows, split, fake, 2)
    assert (one.seeds, mean.seeds, one2.seeds, mean2.seeds) == ((0,), (0, 1), (2,), (2, 3))
    assert mean.heads == ("head 0", "head 1") and one.deployable and mean.deployable and not fewer.deployable
    test = split[windows.rows] == "test"
    ids = windows.tracks["track_id"].to_numpy()[windows.rows]
    first = mean.test[0][0]
    by_hand = ((fake[0][2] + fake[1][2]) / 2)[test & (ids == first)]
    assert np.allclose(mean.test[1][0], by_hand.mean(0))
    assert np.allclose(fewer.test[1][0], by_hand[::3].mean(0))  # windows 0 and 3 of 6
    assert list(mean.valid[0]) == list(fewer.valid[0]) and len(mean.test[0]) == (windows.tracks["fixed_split"] == "test").sum()


def test_regression_chooses_c_on_validation_and_fills_missing_features():
    windows = toy_windows()
    split = heads.validation_split(windows.tracks, "fault-filtered", 0).to_numpy()
    y, labels = heads.training.encode_labels(windows.tracks["genre"])
    trained = head_ensembles.seeded_heads(windows, split, [1], epochs=2, patience=1)
    [(one, _, _)] = head_ensembles.ensembles(windows, split, trained, 1)
    statistics = head_ensembles.clip_statistics(windows)
    assert statistics.shape == (len(windows.tracks), 2 * windows.X.shape[1])
    missing = statistics.iloc[:-5]  # five clips without a row: the training mean stands in
    found = head_ensembles.regression(missing, windows, split, "regression", one)
    assert found.params["C"] in head_ensembles.REGRESSION_C and found.kind == "regression" and not found.deployable
    assert list(found.test[0]) == list(one.test[0]) and np.allclose(found.test[1].sum(1), 1)
    assert head_ensembles.validation_scores(found, windows)["valid_balanced_accuracy"] > 0.8  # separable genres
    mixed = head_ensembles.blend(one, found, windows)
    w = mixed.params["weight"]
    assert w in head_ensembles.BLEND_WEIGHTS and np.allclose(mixed.test[1], (1 - w) * one.test[1] + w * found.test[1])


def test_a_genre_without_training_clips_gets_probability_zero():
    windows = toy_windows()
    split = heads.validation_split(windows.tracks, "fault-filtered", 0).to_numpy()
    split[(windows.tracks["genre"] == "rock").to_numpy() & (split == "train")] = "test"
    reference = head_ensembles.Scored("x", "head", (1,), *(
        (np.asarray(windows.tracks["track_id"][split == part]), None) for part in ("valid", "test")))
    found = head_ensembles.regression(head_ensembles.clip_statistics(windows), windows, split, "r", reference)
    assert np.all(found.test[1][:, 2] == 0) and np.allclose(found.test[1].sum(1), 1)


def test_the_saved_ensemble_scores_what_its_heads_score_and_loads_in_safe_mode(tmp_path):
    windows = toy_windows(dims=50)  # the width of MSD-musicnn's taggram
    split = heads.validation_split(windows.tracks, "fault-filtered", 0).to_numpy()
    trained = head_ensembles.seeded_heads(windows, split, [1, 2], epochs=2, patience=1)
    [(_, mean, _)] = head_ensembles.ensembles(windows, split, trained, 2)
    model = heads.deployable("msd-musicnn", mean.heads)
    record = head_ensembles.deployed_record(model, windows, split, name="msd-musicnn taggram · default (mean of heads)",
                                            dataset="toy", protocol="fault-filtered", seeds=[1, 2], resamples=20)
    labels = np.array(mean.heads[0].labels)
    assert record["extra"]["test_clips"]["predicted"] == list(labels[mean.test[1].argmax(1)])
    assert record["extra"]["valid_balanced_accuracy"] == head_ensembles.validation_scores(mean, windows)["valid_balanced_accuracy"]
    path = heads.save_default_model("msd-musicnn", record, list(mean.heads), tmp_path, model=model, seeds=[1, 2])
    loaded, sidecar = artifacts.load_artifact(path)
    assert "mean of 2 dense heads" in sidecar["card"]["summary"] and "seeds 1, 2" in sidecar["card"]["summary"]
    inputs = np.random.default_rng(0).uniform(0, 3, (2, 187, 96)).astype(np.float32)
    taggram = pretrained.model("msd-musicnn").predict_on_batch(inputs)["taggram"]
    by_hand = np.mean([h.net.predict((taggram - h.mean) / h.std, verbose=0) for h in mean.heads], axis=0)
    assert np.allclose(loaded.predict(inputs, verbose=0), by_hand, atol=1e-5)
    with pytest.raises(ValueError, match="different layers"):
        heads.deployable("msd-musicnn", [mean.heads[0], heads.Head(None, None, None, [], "penultimate")])


def _candidate(name: str, correct: list[bool], seed: int | None, valid: float, kind: str = "head") -> dict:
    truth = ["jazz", "rock"] * (len(correct) // 2)
    predicted = [t if ok else ("rock" if t == "jazz" else "jazz") for t, ok in zip(truth, correct)]
    return evaluate.evaluate(truth, predicted, ["jazz", "rock"], experiment=study.EXPERIMENT, model=f"msd-musicnn taggram · {name}",
                             dataset="toy", protocol="fault-filtered", resamples=20, seed=0, params={"seed": seed},
                             extra={"valid_balanced_accuracy": valid, "valid_accuracy": valid, "seeds": [seed] if seed else [],
                                    "candidate": kind, "test_clips": {"id": [f"c{i}" for i in range(len(truth))],
                                                                      "truth": truth, "predicted": predicted}})


def _found(ensemble_valid: float = 0.8) -> study.Candidates:
    n = 40
    groups = []
    for g, seed in enumerate((42, 45, 48)):
        one = [i % 4 != g for i in range(n)]  # 75 % right
        better = [True] * (n - 2) + [False, False]  # 95 % right in every group: a finding
        groups.append({"one head": _candidate("one head", one, seed, 0.7),
                       "mean of heads": _candidate("mean of heads", better, seed, ensemble_valid, "ensemble"),
                       "fewer windows": _candidate("mean, 3-s hop", one, seed, 0.7, "fewer windows"),
                       "blend": _candidate("blend", one[::-1], seed, 0.7, "blend")})
    regression = _candidate("regression", [i % 2 == 0 for i in range(n)], None, 0.9, "regression")
    scored = [{"one head": head_ensembles.Scored("one head", "head", (42,), (), (), heads=("h42",)),
               "mean of heads": head_ensembles.Scored("mean of heads", "ensemble", (42, 43, 44), (), (),
                                                      heads=("h42", "h43", "h44"))}]
    windows = heads.WindowSet(pd.DataFrame(), np.zeros((0, 50)), np.array([]), "taggram")
    return study.Candidates("msd-musicnn", "gtzan+reference", "fault-filtered", windows, np.array([]), groups,
                            {"regression": regression}, scored)


def test_seeded_table_calls_a_gain_in_every_group_a_finding_and_pairs_the_regression_with_each_head():
    table = study.seeded_table(_found(), resamples=200)
    verdicts = dict(zip(table["candidate minus one head"], table["verdict"]))
    assert verdicts["mean of heads"] == "finding" and verdicts["mean, 3-s hop"] == "not measurable"
    assert set(table["seed groups"]) == {3} and verdicts["regression"] in {"finding", "not measurable"}
    assert len(table.columns) <= 8
    text = study.candidates_reading(_found(), _found().groups[0]["one head"], resamples=200)
    assert "mean of heads minus one head on the same" in text and "over 3 groups of training seeds: +0.200" in text
    assert comparisons.VERDICT_WORDS["finding"] in text
    assert "MuQ's 0.856" in text and "a choice made on test data" in text and "musicnn + SVM 0.772" in text
    elsewhere = _found()
    elsewhere.dataset = "synthetic"
    assert "do not apply to synthetic" in study.candidates_reading(elsewhere, elsewhere.groups[0]["one head"], resamples=50)


@pytest.mark.parametrize("ensemble_valid, tuned_valid, expected", [
    (0.8, 0.5, "mean of heads"), (0.7, 0.5, "one head"), (0.8, 0.95, "fine-tuned")],
    ids=["ensemble", "tie-keeps-the-simplest", "fine-tuned"])
def test_save_default_takes_the_best_validation_score_and_scores_the_saved_model(monkeypatch, tmp_path, ensemble_valid,
                                                                               tuned_valid, expected):
    found = _found(ensemble_valid)
    tuned = _candidate("fine-tuned", [True] * 40, 42, tuned_valid)  # a better test score never decides
    best = study.FineTuned("msd-musicnn", found.groups[0]["one head"], "head", tuned, "tuned model", hop_seconds=10.0)
    saved, deployed = {}, {}

    def fake_save(name, record, head, folder, *, model=None, head_record=None, seeds=(), hop_seconds=1.0):
        saved.update(record=record, head=head, model=model, head_record=head_record, seeds=seeds, hop=hop_seconds)
        return tmp_path / "models" / "musicnn-default.keras"

    def fake_deployed(model, windows, split, *, name, seeds, extra, **kwargs):
        deployed.update(model=model, name=name, seeds=seeds)
        return _candidate(name.split(" · ")[1], [True] * 40, seeds[0], 0.1, extra["candidate"])

    monkeypatch.setattr(heads, "save_default_model", fake_save)
    monkeypatch.setattr(heads, "deployable", lambda name, members: ("model of", tuple(members)))
    monkeypatch.setattr(head_ensembles, "deployed_record", fake_deployed)
    record, path = study.save_default(best, found, tmp_path / "models", tmp_path / "results", "smoke", resamples=20)
    assert record["extra"]["default_model"] is True and path.name == "musicnn-default.keras"
    assert saved["record"]["profile"] == "smoke"  # the sidecar copies the record's profile: saved first
    if expected == "fine-tuned":
        assert record is tuned and saved["model"] == "tuned model" and saved["head_record"] is found.groups[0]["one head"]
        assert saved["hop"] == 10.0  # the hop its scores were measured at
        assert not deployed
    else:
        members = ("h42", "h43", "h44") if expected == "mean of heads" else ("h42",)
        assert deployed["model"] == ("model of", members) and saved["head"] == list(members) and saved["head_record"] is None
        assert saved["hop"] == 1.0
        assert record["model"] == f"msd-musicnn taggram · default ({expected})"
    [stored] = evaluate.load_all(tmp_path / "results")
    assert stored["model"] == record["model"] and stored["extra"]["default_model"] is True
