import numpy as np
import pandas as pd
import pytest

from helpers import models, training
from helpers.datasets.gtzan import GENRES as GTZAN_GENRES


@pytest.fixture(scope="module")
def table():
    """Separable toy features: genre shifts the mean of 6 features, with noise."""
    rng = np.random.default_rng(0)
    rows = []
    for g, genre in enumerate(GTZAN_GENRES):
        for i in range(12):
            rows.append({"track_id": f"{genre}.{i:05d}", "genre": genre,
                         **{f"f{k}": g * (k % 3 + 1) + rng.normal(0, 2.0) for k in range(6)}})
    return pd.DataFrame(rows)


COLUMNS = [f"f{k}" for k in range(6)]


def with_fixed_split(table):
    """Every third track in train, valid, test: the dataset's own split, as the tracks table carries it."""
    return table.assign(fixed_split=np.array(["train", "valid", "test"])[np.arange(len(table)) % 3])


def test_unknown_model_and_protocol_name_the_valid_ones(table):
    with pytest.raises(ValueError, match="valid models: knn"):
        models.feature_model("lstm-on-csv")
    with pytest.raises(ValueError, match="valid protocols: random-80/20, 5-fold-cv, fault-filtered, official"):
        training.protocol_split(table, "leave-one-out")


@pytest.mark.parametrize("protocol", ["fault-filtered", "official"])
def test_a_fixed_protocol_without_a_fixed_split_says_the_dataset_has_none(table, protocol):
    with pytest.raises(ValueError, match=f"no fixed_split column: this dataset has no {protocol} split"):
        training.protocol_split(table, protocol)
    with pytest.raises(ValueError, match=f"this dataset has no {protocol} split: none of the 120 rows"):
        training.protocol_split(table.assign(fixed_split=""), protocol)
    only_train = table.assign(fixed_split="train")
    with pytest.raises(training.EmptySplitError, match=f"the {protocol} split leaves no test clips"):
        training.protocol_split(only_train, protocol)
    with pytest.raises(ValueError, match="holds \\['tset'\\]"):
        training.protocol_split(with_fixed_split(table).replace({"fixed_split": {"test": "tset"}}), protocol)


@pytest.mark.parametrize("name", [m for m in models.FEATURE_MODELS if m != "dense-net"])
def test_every_feature_model_learns_the_toy_problem(table, name):
    params = {"n_estimators": 50} if "xgboost" in name or name == "random-forest" else None
    record, predictions = training.run_protocol(table, COLUMNS, name, "random-80/20", experiment="t", dataset="synthetic",
                                                representation="toy", params=params, resamples=50)
    assert record["metrics"]["accuracy"]["value"] > 0.3  # chance is 0.1
    assert record["sizes"] == {"train": 100, "valid": 0, "test": 20}
    assert len(predictions) == 20 and set(predictions.columns) == {"track_id", "genre", "predicted"}


def test_dense_net_fits_and_is_seeded(table):
    record_a, _ = training.run_protocol(table, COLUMNS, "dense-net", "random-80/20", experiment="t", dataset="synthetic",
                                        representation="toy", params={"epochs": 3}, resamples=20)
    record_b, _ = training.run_protocol(table, COLUMNS, "dense-net", "random-80/20", experiment="t", dataset="synthetic",
                                        representation="toy", params={"epochs": 3}, resamples=20)
    assert record_a["metrics"]["accuracy"]["value"] == record_b["metrics"]["accuracy"]["value"]


def test_cross_validation_predicts_every_track_once(table):
    record, predictions = training.run_protocol(table, COLUMNS, "knn", "5-fold-cv", experiment="t", dataset="synthetic",
                                                representation="toy", resamples=20)
    assert record["sizes"]["test"] == len(table) and predictions["track_id"].is_unique


@pytest.mark.parametrize("protocol", ["fault-filtered", "official"])
def test_fixed_protocols_read_the_tables_split_and_train_on_train_and_valid(table, protocol):
    fixed = with_fixed_split(table)
    fixed.loc[fixed.index[-3:], "fixed_split"] = ""  # tracks in no part are left out
    split = training.protocol_split(fixed, protocol)
    assert split.value_counts().to_dict() == {"train": 78, "test": 39, "": 3}
    record, predictions = training.run_protocol(fixed, COLUMNS, "knn", protocol, experiment="t", dataset="synthetic",
                                                representation="toy", resamples=20)
    assert record["sizes"] == {"train": 78, "valid": 0, "test": 39} and record["protocol"] == protocol
    assert set(predictions["track_id"]) == set(fixed.loc[fixed["fixed_split"] == "test", "track_id"])


def test_fit_predict_copes_with_a_missing_genre(table):
    X = table[COLUMNS].to_numpy()
    y, _ = training.encode_labels(table["genre"])
    keep = y != 3  # genre 3 absent from training: codes are no longer contiguous
    predicted, _ = training.fit_predict("xgboost", X[keep], y[keep], X, params={"n_estimators": 10})
    assert 3 not in set(predicted) and set(predicted) <= set(y)


def test_bootstrap_retrain_resamples_the_training_set_only(table, monkeypatch):
    split = training.protocol_split(table, "random-80/20")
    train_rows = {tuple(row) for row in table.loc[split == "train", COLUMNS].to_numpy()}
    test_rows = table.loc[split == "test", COLUMNS].to_numpy()
    seen = []
    real_fit_predict = training.fit_predict

    def spy(model_name, X_train, y_train, X_test, *args, **kwargs):
        seen.append((X_train, X_test))
        return real_fit_predict(model_name, X_train, y_train, X_test, *args, **kwargs)

    monkeypatch.setattr(training, "fit_predict", spy)
    study = training.bootstrap_retrain(table, COLUMNS, split, "knn", resamples=6)
    assert study["resample"].tolist() == list(range(6)) and len(seen) == 6
    assert study["accuracy"].between(0, 1).all() and study["macro_f1"].between(0, 1).all()
    # Noisy toy data: which clips are drawn changes the model, so the scores vary.
    assert study["accuracy"].nunique() > 1
    for X_train, X_test in seen:
        assert {tuple(row) for row in X_train} <= train_rows  # drawn from the training rows only ...
        assert len(X_train) == len(train_rows) and len({tuple(r) for r in X_train}) < len(X_train)  # ... with replacement
        assert np.array_equal(X_test, test_rows)  # every fit is scored on the same, untouched test set


def test_training_size_curve(table):
    split = training.protocol_split(table, "random-80/20")
    curve = training.training_size_curve(table, COLUMNS, split, "knn", fractions=(0.2, 0.6, 1.0), repeats=2, resamples=50)
    assert curve["train_size"].tolist() == [20, 60, 100]
    assert curve["fits"].tolist() == [2, 2, 1]
    assert (curve["ci_low"] <= curve["accuracy"]).all() and (curve["accuracy"] <= curve["ci_high"]).all()


def test_lstm_learns_an_easy_sequence_problem():
    """Four genres whose sequences differ in the mean of one feature: an LSTM that learns is far above chance."""
    rng = np.random.default_rng(0)
    genres = ["blues", "jazz", "metal", "rock"]
    X = rng.normal(0, 1, (4 * 24, 12, 3)).astype(np.float32)
    rows = pd.DataFrame({"track_id": [f"t{i:03d}" for i in range(len(X))], "genre": np.repeat(genres, 24)})
    for g in range(len(genres)):
        X[g * 24:(g + 1) * 24, :, 0] += 3.0 * g
    params = {"units": (16,), "epochs": 20, "batch_size": 16, "patience": 20, "learning_rate": 1e-2}
    record, _ = training.run_protocol(rows, [], "lstm", "random-80/20", experiment="t", dataset="synthetic",
                                      representation="toy sequences", params=params, resamples=20, X=X)
    assert record["sizes"]["test"] == 20
    # Chance is 0.25; one epoch reaches 0.5, twenty reach 1.0 here.
    assert record["metrics"]["accuracy"]["value"] >= 0.8
