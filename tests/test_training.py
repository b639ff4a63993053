import numpy as np
import pandas as pd
import pytest

from helpers import GTZAN_GENRES, models, training


@pytest.fixture(scope="module")
def table():
    """Separable toy features: genre shifts the mean of 6 features, with noise."""
    rng = np.random.default_rng(0)
    rows = []
    for g, genre in enumerate(GTZAN_GENRES):
        for i in range(12):
            rows.append({"track_id": f"{genre}.{i:05d}", "genre": genre, **{f"f{k}": g * (k % 3 + 1) + rng.normal(0, 2.0) for k in range(6)}})
    return pd.DataFrame(rows)


COLUMNS = [f"f{k}" for k in range(6)]


def test_unknown_model_and_protocol_name_the_valid_ones(table):
    with pytest.raises(ValueError, match="valid models: knn"):
        models.feature_model("lstm-on-csv")
    with pytest.raises(ValueError, match="valid protocols"):
        training.protocol_split(table, "leave-one-out")
    with pytest.raises(FileNotFoundError, match="split lists"):
        training.protocol_split(table, "fault-filtered")


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


def test_fault_filtered_protocol_trains_on_train_and_valid(table, tmp_path):
    ids = table["track_id"].tolist()
    for name, part in (("train", ids[0::3]), ("valid", ids[1::3]), ("test", ids[2::3])):
        (tmp_path / f"{name}_filtered.txt").write_text("\n".join(f"{i.split('.')[0]}/{i}.wav" for i in part))
    record, _ = training.run_protocol(table, COLUMNS, "knn", "fault-filtered", experiment="t", dataset="synthetic",
                                      representation="toy", lists_dir=tmp_path, resamples=20)
    assert record["sizes"] == {"train": 80, "valid": 0, "test": 40}


def test_fit_predict_copes_with_a_missing_genre(table):
    X = table[COLUMNS].to_numpy()
    y, _ = training.encode_labels(table["genre"])
    keep = y != 3  # genre 3 absent from training: codes are no longer contiguous
    predicted, _ = training.fit_predict("xgboost", X[keep], y[keep], X, params={"n_estimators": 10})
    assert 3 not in set(predicted) and set(predicted) <= set(y)


def test_studies(table):
    split = training.protocol_split(table, "random-80/20")
    study = training.bootstrap_retrain(table, COLUMNS, split, "xgboost", resamples=3, params={"n_estimators": 10})
    assert len(study) == 3 and study["accuracy"].between(0, 1).all()
    assert study["accuracy"].nunique() >= 1
    curve = training.training_size_curve(table, COLUMNS, split, "knn", fractions=(0.2, 0.6, 1.0), repeats=2, resamples=50)
    assert curve["train_size"].tolist() == [20, 60, 100]
    assert curve["fits"].tolist() == [2, 2, 1]
    assert (curve["ci_low"] <= curve["accuracy"]).all() and (curve["accuracy"] <= curve["ci_high"]).all()


def test_lstm_on_frame_sequences(synthetic_dir):
    from helpers import data, features

    tracks = data.limit_per_genre(data.load_tracks(synthetic_dir), 3)
    X, rows = features.sequences(tracks, pool=8, progress=False)
    assert X.shape == (30, 7 * 22050 // 512 // 8, len(features.SEQUENCE_FEATURES)) and np.isfinite(X).all()
    record, _ = training.run_protocol(rows, [], "lstm", "random-80/20", experiment="t", dataset="synthetic",
                                      representation="frame sequences", params={"epochs": 2}, resamples=20, X=X)
    assert record["sizes"]["test"] == 10 and 0 <= record["metrics"]["accuracy"]["value"] <= 1
