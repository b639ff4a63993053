import numpy as np
import pandas as pd
import pytest

from helpers.data.gtzan import GENRES as GTZAN_GENRES
from helpers.models import training, zoo


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
        zoo.feature_model("lstm-on-csv")
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


@pytest.mark.parametrize("name", [m for m in zoo.FEATURE_MODELS if m != "dense-net"])
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


# ----------------------------------------------------------------------------- honest comparisons


def imbalanced(table):
    """Twelve rock clips, six of every other genre: rock is the majority of any stratified training set."""
    cut = (table["genre"] != "rock") & (table.groupby("genre").cumcount() >= 6)
    return table[~cut].reset_index(drop=True)


@pytest.mark.parametrize("protocol", ["random-80/20", "fault-filtered", "5-fold-cv"])
def test_records_carry_the_genre_of_every_training_clip(table, evaluate_calls, protocol):
    fixed = with_fixed_split(table)
    record, _ = training.run_protocol(fixed, COLUMNS, "knn", protocol, experiment="t", dataset="d", representation="r",
                                      resamples=10)
    train_genres = evaluate_calls[-1]["train_genres"]
    assert len(train_genres) == record["sizes"]["train"] == {"random-80/20": 100, "fault-filtered": 80, "5-fold-cv": 96}[protocol]
    counts = pd.Series(train_genres).value_counts()
    assert counts.max() - counts.min() <= 1  # stratified (12 clips per genre do not split into 5 equal folds)
    assert record["sizes_per_genre"]["train"] == counts.reindex(sorted(GTZAN_GENRES)).to_dict()


def test_equal_size_control_subsamples_training_only(table, monkeypatch, evaluate_calls):
    seen = []
    real_fit_predict = training.fit_predict

    def spy(model_name, X_train, y_train, X_test, *args, **kwargs):
        seen.append((X_train, X_test))
        return real_fit_predict(model_name, X_train, y_train, X_test, *args, **kwargs)

    monkeypatch.setattr(training, "fit_predict", spy)
    settings = dict(experiment="t", dataset="d", representation="r", resamples=10)
    full, full_predictions = training.run_protocol(table, COLUMNS, "knn", "random-80/20", **settings)
    small, small_predictions = training.run_protocol(table, COLUMNS, "knn", "random-80/20", train_size=30, **settings)
    assert small["protocol"] == "random-80/20@30" and full["protocol"] == "random-80/20"
    assert small["sizes"]["train"] == 30 and small["sizes"]["test"] == 20 and small["extra"]["subsampled_from"] == 100
    assert "subsampled_from" not in full["extra"]
    assert pd.Series(evaluate_calls[-1]["train_genres"]).value_counts().tolist() == [3] * 10  # stratified by genre
    (full_train, full_test), (small_train, small_test) = seen
    assert len(small_train) == 30 and {tuple(r) for r in small_train} <= {tuple(r) for r in full_train}
    assert np.array_equal(full_test, small_test) and full_predictions["track_id"].equals(small_predictions["track_id"])
    again, _ = training.run_protocol(table, COLUMNS, "knn", "random-80/20", train_size=30, **settings)
    assert np.array_equal(seen[-1][0], small_train)  # same seed, same subset


def test_equal_size_control_refuses_impossible_sizes(table):
    settings = dict(experiment="t", dataset="d", representation="r", resamples=10)
    for size in (9, 101):
        with pytest.raises(ValueError, match=r"random-80/20: train_size .* outside the valid range 10\.\.100"):
            training.run_protocol(table, COLUMNS, "knn", "random-80/20", train_size=size, **settings)
    with pytest.raises(ValueError, match="5-fold-cv has five"):
        training.run_protocol(table, COLUMNS, "knn", "5-fold-cv", train_size=50, **settings)
    with pytest.raises(ValueError, match="pass train_size=n instead"):
        training.protocol_split(table, "random-80/20@50")


def test_fixed_train_size_is_what_run_protocol_trains_on(table):
    fixed = with_fixed_split(table)
    size = training.fixed_train_size(fixed, "fault-filtered")
    record, _ = training.run_protocol(fixed, COLUMNS, "knn", "fault-filtered", experiment="t", dataset="d",
                                      representation="r", resamples=10)
    assert size == record["sizes"]["train"] == 80  # train + valid: these models have no tuning step
    control, _ = training.run_protocol(fixed, COLUMNS, "knn", "random-80/20", train_size=size, experiment="t",
                                       dataset="d", representation="r", resamples=10)
    assert control["protocol"] == "random-80/20@80" and control["sizes"]["train"] == 80
    assert training.fixed_train_size(table, "fault-filtered") is None  # no fixed split on this table
    assert training.fixed_train_size(table.assign(fixed_split=""), "official") is None
    assert training.fixed_train_size(fixed.replace({"fixed_split": {"test": ""}}), "fault-filtered") is None
    with pytest.raises(ValueError, match="fixed protocols: fault-filtered, official"):
        training.fixed_train_size(fixed, "random-80/20")


@pytest.mark.parametrize("protocol", ["random-80/20", "5-fold-cv", "fault-filtered"])
def test_majority_baseline_predicts_the_most_frequent_training_genre(table, protocol, evaluate_calls):
    data = with_fixed_split(imbalanced(table))
    record = training.majority_baseline(data, protocol, experiment="t", dataset="d", representation="r", resamples=20)
    majority = "rock"
    assert record["model"] == "majority-class baseline" and record["protocol"] == protocol
    assert record["extra"]["baseline"] is True and record["extra"]["majority_genre"] == majority
    assert record["confusion"]["labels"] == sorted(GTZAN_GENRES)
    predicted = np.asarray(record["confusion"]["matrix"]).sum(axis=0)
    assert predicted[sorted(GTZAN_GENRES).index(majority)] == predicted.sum() == record["sizes"]["test"]
    assert record["metrics"]["accuracy"]["value"] == record["per_genre"][majority]["support"] / record["sizes"]["test"]
    assert len(evaluate_calls[-1]["train_genres"]) == record["sizes"]["train"]
    assert record.get("failure") is None  # a baseline is never a failed run


def test_unknown_model_fails_before_any_fit(table, monkeypatch):
    monkeypatch.setattr(training, "protocol_fits", lambda *a, **k: pytest.fail("split before the model name was checked"))
    with pytest.raises(ValueError, match="valid models: knn, random-forest"):
        training.run_protocol(table, COLUMNS, "knn3", "random-80/20", experiment="t", dataset="d", representation="r")


def test_training_size_band_is_the_interval_of_the_mean_not_an_envelope(table, monkeypatch):
    """Two subsets, one always right and one always wrong: their mean is 0.5 on every test resample."""
    def opposite(model_name, X_train, y_train, X_test, seed, *args, **kwargs):
        truth = X_test[:, 0].astype(int)  # the test genre code, planted in the first column below
        return (truth if seed % 2 == 0 else truth + 1), 0.0

    codes = table.assign(f0=training.encode_labels(table["genre"])[0])
    split = training.protocol_split(codes, "random-80/20")
    monkeypatch.setattr(training, "fit_predict", opposite)
    curve = training.training_size_curve(codes, COLUMNS, split, "knn", fractions=(0.5, 1.0), repeats=2, resamples=200)
    assert list(curve.columns) == ["fraction", "train_size", "accuracy", "ci_low", "ci_high", "subset_min", "subset_max", "fits"]
    half = curve.iloc[0]
    assert (half["accuracy"], half["ci_low"], half["ci_high"]) == (0.5, 0.5, 0.5)
    assert (half["subset_min"], half["subset_max"], half["fits"]) == (0.0, 1.0, 2)
    assert curve.iloc[1][["accuracy", "ci_low", "ci_high", "subset_min", "subset_max"]].tolist() == [1.0] * 5


def test_training_size_band_of_one_fit_is_its_bootstrap_interval(table):
    from helpers.results import evaluate

    split = training.protocol_split(table, "random-80/20")
    curve = training.training_size_curve(table, COLUMNS, split, "knn", fractions=(1.0,), resamples=300, seed=5)
    y, labels = training.encode_labels(table["genre"])
    train, test = (split == "train").to_numpy(), (split == "test").to_numpy()
    predicted, _ = training.fit_predict("knn", table.loc[train, COLUMNS].to_numpy(), y[train], table.loc[test, COLUMNS].to_numpy(), 5)
    interval = evaluate.bootstrap_interval(y[test], predicted, range(len(labels)), resamples=300, seed=5)["accuracy"]
    assert curve.loc[0, ["ci_low", "ci_high"]].tolist() == pytest.approx(list(interval))
    assert curve.loc[0, "subset_min"] == curve.loc[0, "accuracy"] == curve.loc[0, "subset_max"]


def test_majority_baseline_breaks_ties_alphabetically():
    tied = pd.DataFrame({"track_id": [f"t{i}" for i in range(10)], "genre": ["rock"] * 5 + ["jazz"] * 5})
    record = training.majority_baseline(tied, "random-80/20", experiment="t", dataset="d", representation="r", resamples=10)
    assert record["extra"]["majority_genre"] == "jazz" and record["metrics"]["accuracy"]["value"] == 0.5
