"""Notebook 03's study: the protocols and equal-size control, every model under every protocol with its
baselines (records saved, one file each), the best runs and the LSTM's sets."""

import json

import numpy as np
import pandas as pd
import pytest

from helpers.data.gtzan import GENRES
from helpers.inputs import features
from helpers.studies import features_ml as study


@pytest.fixture(scope="module")
def table():
    """Toy rows with the 57 feature columns: the genre shifts every feature's mean."""
    rng = np.random.default_rng(0)
    rows = []
    for g, genre in enumerate(GENRES[:4]):
        for i in range(15):
            rows.append({"track_id": f"{genre}.{i:05d}", "genre": genre,
                         **{c: g + rng.normal(0, 0.5) for c in features.FEATURE_COLUMNS}})
    frame = pd.DataFrame(rows)
    return frame.assign(fixed_split=np.array(["train", "valid", "test"])[np.arange(len(frame)) % 3])


def test_plan_adds_the_equal_size_control_only_when_the_fixed_split_trains_on_fewer_clips(table):
    plan = study.plan(table, "fault-filtered", seed=0)
    assert plan.protocols == ["random-80/20", "5-fold-cv", "fault-filtered"]
    assert plan.equal_size == 40  # train + valid of the fixed split, fewer than the random split's 48
    assert plan.runs()[-1] == ("random-80/20", 40)
    assert study.plan(table.drop(columns="fixed_split"), None).runs() == [("random-80/20", None), ("5-fold-cv", None)]
    everything_trains = table.assign(fixed_split=np.where(np.arange(len(table)) < 55, "train", "test"))
    assert study.plan(everything_trains, "fault-filtered", seed=0).equal_size is None
    assert "at the fault-filtered training size, 40 clips" in plan.describe("Toy", table, "toy features")


def test_run_models_saves_a_baseline_per_protocol_and_every_model_in_its_own_file(table, tmp_path):
    plan = study.plan(table, "fault-filtered", seed=0)
    records, predictions = study.run_models(table, plan, tmp_path, profile="smoke", dataset="toy", representation="toy features",
                                            seed=0, resamples=20, model_params={}, models=["knn"])
    protocols = [(r["model"], r["protocol"]) for r in records]
    assert protocols == [("majority-class baseline", "random-80/20"), ("knn", "random-80/20"),
                         ("majority-class baseline", "5-fold-cv"), ("knn", "5-fold-cv"),
                         ("majority-class baseline", "fault-filtered"), ("knn", "fault-filtered"), ("knn", "random-80/20@40")]
    saved = sorted((tmp_path / study.EXPERIMENT).glob("*.json"))
    assert len(saved) == len(records) and all(json.loads(p.read_text())["profile"] == "smoke" for p in saved)
    assert set(predictions) == {("knn", "random-80/20", None), ("knn", "5-fold-cv", None), ("knn", "fault-filtered", None),
                                ("knn", "random-80/20", 40)}


def test_best_runs_are_the_best_seed_split_model_under_both_splits(table, tmp_path):
    plan = study.plan(table, "fault-filtered", seed=0)
    records, _ = study.run_models(table, plan, tmp_path, profile="smoke", dataset="toy", representation="toy features",
                                  seed=0, resamples=20, model_params={}, models=["knn", "random-forest"])
    for record in records:  # make the random forest clearly best on the seed's split
        if record["model"] == "random-forest" and record["protocol"] == "random-80/20":
            record["metrics"]["balanced_accuracy"]["value"] = 2.0
    best = study.best_runs(records, "fault-filtered")
    assert [(r["model"], r["protocol"]) for r in best] == [("random-forest", "random-80/20"), ("random-forest", "fault-filtered")]
    failed = [dict(r, failure="did not learn") if r["model"] == "random-forest" else r for r in records]
    assert {r["model"] for r in study.best_runs(failed, "fault-filtered")} == {"knn"}  # a failed run is never the best


def test_sequence_sets_add_the_balanced_subset_of_uneven_audio():
    tracks = pd.DataFrame({"track_id": [f"t{i}" for i in range(13)], "genre": ["blues"] * 5 + ["jazz"] * 5 + ["rock"] * 3})
    rows = tracks[["track_id"]].copy()
    sets = study.sequence_sets(tracks, rows, "toy", "Toy")
    assert list(sets) == ["toy", "toy-2genres"]
    name, (label, chosen) = list(sets.items())[1]
    assert set(tracks.loc[chosen, "genre"]) == {"blues", "jazz"} and len(chosen) == 10
    even = study.sequence_sets(tracks.iloc[:10], rows.iloc[:10], "toy", "Toy")
    assert list(even) == ["toy"]


def test_resampling_figures_are_titled_with_the_split_sizes_and_saved(tmp_path):
    import matplotlib.pyplot as plt
    split = pd.Series(["train"] * 8 + ["test"] * 2)
    retrain = pd.DataFrame({"accuracy": [0.5, 0.6, 0.7], "macro_f1": [0.4, 0.5, 0.6]})
    study.bootstrap_figure(retrain, split, "Toy", tmp_path)
    title = " ".join(plt.gcf().axes[0].get_title().split())
    assert title.endswith("3 bootstrap resamples (8 training clips each, 2 test clips)")
    assert (tmp_path / "03_bootstrap_retrain.png").exists()
    plt.close("all")
