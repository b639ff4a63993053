"""Spectrogram networks: splits, fitting, clip-level scoring, the grid search and saved models."""

import numpy as np
import pandas as pd
import pytest

from helpers.models import networks, tuning, zoo
from helpers.results import evaluate

GENRES = ("blues", "jazz", "rock")
TINY = {"filters": (4, 4, 4), "dense_units": 8}
FAST = dict(epochs=2, patience=1, batch_size=16, resamples=20)


@pytest.fixture(scope="module")
def segments():
    """10 clips per genre, 2 segments each; a bright band at a genre-specific height makes them separable."""
    rng = np.random.default_rng(0)
    rows, images = [], []
    for g, genre in enumerate(GENRES):
        for clip in range(10):
            for segment in range(2):
                image = rng.random((16, 16, 1), dtype=np.float32) * 0.2
                image[4 * g:4 * g + 4] += 0.8
                images.append(image)
                rows.append(dict(track_id=f"{genre}.{clip:05d}", genre=genre, segment=segment))
    return np.stack(images), pd.DataFrame(rows)


def test_network_split_is_per_track_and_names_valid_protocols(segments):
    _, table = segments
    tracks = table.drop_duplicates("track_id")
    split = networks.network_split(tracks, "random-50/20/30", seed=1)
    assert split.value_counts().to_dict() == {"train": 15, "test": 9, "valid": 6}
    with pytest.raises(ValueError, match="valid: random-70/10/20, random-50/20/30, fault-filtered, official"):
        networks.network_split(tracks, "random-90/10")


@pytest.mark.parametrize("protocol", ["fault-filtered", "official"])
def test_fixed_network_protocols_read_the_tables_split(segments, protocol):
    _, table = segments
    tracks = table.drop_duplicates("track_id").reset_index(drop=True)
    with pytest.raises(ValueError, match=f"this dataset has no {protocol} split"):
        networks.network_split(tracks, protocol)
    fixed = tracks.assign(fixed_split=np.array(["train", "valid", "test", ""])[np.arange(len(tracks)) % 4])
    split = networks.network_split(fixed, protocol)
    assert split.tolist() == fixed["fixed_split"].tolist()  # valid stays valid: networks stop early on it


def test_run_network_scores_clips_by_averaging_segments_and_is_reproducible(segments):
    X, table = segments
    runs = networks.run_network_protocols("base-cnn", X, table, ["random-50/20/30"], experiment="t", dataset="synthetic",
                                          representation="toy", params=TINY, seed=3, **FAST)
    record, predictions, fit = runs["random-50/20/30"]
    assert record["sizes"] == {"train": 15, "valid": 6, "test": 9}  # clips, not segments
    assert record["extra"]["test_segments"] == 18 and record["extra"]["unit"] == "clip"
    assert len(predictions) == 9 and set(predictions.columns) == {"track_id", "genre", "predicted", "confidence"}
    assert list(fit.history.columns[:4]) == ["accuracy", "loss", "val_accuracy", "val_loss"] and len(fit.history) <= 2
    assert record["params"]["training"]["patience"] == 1 and record["params"]["model"]["filters"] == [4, 4, 4]
    again = networks.run_network_protocols("base-cnn", X, table, ["random-50/20/30"], experiment="t", dataset="synthetic",
                                           representation="toy", params=TINY, seed=3, **FAST)["random-50/20/30"]
    assert np.allclose(again[2].history["loss"], fit.history["loss"])  # same seed, same numbers


def test_clip_level_split_never_leaks_segments(segments):
    X, table = segments
    split = pd.Series(np.where(np.arange(len(table)) % 2 == 0, "train", "test"))  # segments of a clip apart
    with pytest.raises(AssertionError, match="several splits"):
        networks.run_network("base-cnn", X, table, split, experiment="t", dataset="d", protocol="p", representation="r")


def test_a_protocol_with_an_empty_split_is_skipped_with_a_message(segments, capsys):
    X, table = segments
    parts = {"blues.00000": "train", "jazz.00000": "train", "rock.00000": "valid"}  # no test clip among these
    fixed = table.assign(fixed_split=table["track_id"].map(parts).fillna(""))
    runs = networks.run_network_protocols("base-cnn", X, fixed, ["fault-filtered"], experiment="t", dataset="d",
                                          representation="r", params=TINY, **FAST)
    assert runs == {} and "skipped base-cnn under fault-filtered: the fault-filtered split leaves no test clips" in capsys.readouterr().out


def test_a_fixed_protocol_on_a_dataset_without_one_is_an_error_not_a_skip(segments):
    X, table = segments
    with pytest.raises(ValueError, match="this dataset has no official split"):
        networks.run_network_protocols("base-cnn", X, table, ["official"], experiment="t", dataset="d",
                                       representation="r", params=TINY, **FAST)


def test_fixed_protocol_trains_and_scores_on_the_tables_parts(segments):
    X, table = segments
    ids = sorted(table["track_id"].unique())
    parts = dict(zip(ids, np.array(["train", "train", "valid", "test", "train"])[np.arange(len(ids)) % 5]))
    fixed = table.assign(fixed_split=table["track_id"].map(parts))
    record, predictions, _ = networks.run_network_protocols("base-cnn", X, fixed, ["fault-filtered"], experiment="t",
                                                            dataset="d", representation="r", params=TINY,
                                                            **FAST)["fault-filtered"]
    assert record["sizes"] == {"train": 18, "valid": 6, "test": 6}
    assert set(predictions["track_id"]) == {t for t, part in parts.items() if part == "test"}


def test_augmentation_reaches_training_batches_only(segments):
    from helpers.inputs.augment import spectrogram_augmenter

    X, table = segments
    y = np.arange(len(X)) % 3
    layer = spectrogram_augmenter(time_shift=0.3, seed=0)
    train = np.concatenate([x for x, _ in networks.network_dataset(X, y, 3, 8, shuffle=False, augment=layer)])
    plain = np.concatenate([x for x, _ in networks.network_dataset(X, y, 3, 8)])
    assert np.allclose(plain, X) and not np.allclose(train, X)


def test_grid_search_tries_every_combination_then_reloads(segments, tmp_path):
    X, table = segments
    tracks = table.drop_duplicates("track_id")
    per_track = networks.network_split(tracks, "random-50/20/30", seed=0)
    split = table["track_id"].map(dict(zip(tracks["track_id"], per_track)))
    grid = {"filters": [(2, 2, 2), (4, 4, 4)], "dropout": [0.1, 0.3]}
    settings = dict(directory=tmp_path, project_name="toy", epochs=1, batch_size=16, seed=0, params={"dense_units": 8})
    trials, best = tuning.grid_search("base-cnn", grid, X, table, split, **settings)
    assert len(trials) == 4 and set(trials["filters"]) == {"2-2-2", "4-4-4"} and (trials["status"] == "COMPLETED").all()
    assert trials["val_accuracy"].is_monotonic_decreasing and best["filters"] in grid["filters"]
    reloaded, best_again = tuning.grid_search("base-cnn", grid, X, table, split, overwrite=False, **settings)
    assert reloaded.equals(trials) and best_again == best
    with pytest.raises(ValueError, match="not parameters of base-cnn"):
        tuning.grid_search("base-cnn", {"units": [1]}, X, table, split, **settings)
    with pytest.raises(networks.EmptySplitError, match="needs valid rows"):
        tuning.grid_search("base-cnn", grid, X, table, split.replace({"valid": "train"}), **settings)


def test_profile_grids_and_network_settings_are_complete():
    from helpers import config

    for profile in config.PROFILES.values():
        assert set(profile.networks) >= {"image_size", "epochs", "patience", "grid", "tuner_epochs", "segments_per_clip"}
        grid = zoo.grid(profile.networks["grid"])
        assert set(grid) <= set(zoo.spectrogram_defaults("base-cnn"))
    assert len(zoo.grid("smoke")["dropout"]) == 2  # two trials in smoke
    with pytest.raises(ValueError, match="valid grids: paper, report, smoke"):
        zoo.grid("huge")


def test_evaluate_helpers_for_networks():
    ids, mean = evaluate.clip_probabilities(np.array([[0.2, 0.8], [0.6, 0.4], [1.0, 0.0]]), ["a", "a", "b"])
    assert ids == ["a", "b"] and np.allclose(mean, [[0.4, 0.6], [1.0, 0.0]])
    record = evaluate.evaluate(["x", "x", "x", "y"], ["y", "y", "x", "y"], ["x", "y"], experiment="e", model="m",
                               dataset="d", protocol="fault-filtered", resamples=10, extra={"train_accuracy": np.float32(0.5)})
    mistakes = evaluate.top_confusions(record)
    assert mistakes.iloc[0].to_dict() == {"true": "x", "predicted": "y", "count": 2, "share": 2 / 3}
    assert evaluate.per_genre_table(record).index[0] == "x"  # worst recall first
    absent = evaluate.evaluate(["x", "x"], ["x", "x"], ["x", "y", "z"], experiment="e", model="m", dataset="d",
                               protocol="fault-filtered", resamples=10)
    undefined = evaluate.per_genre_table(absent)
    assert list(undefined.index) == ["x", "y", "z"] and undefined.loc["x", "precision"] == "1.000"
    assert (undefined.loc[["y", "z"], ["precision", "recall", "f1"]] == "n/a").all().all()  # no test clip, never predicted
    table = evaluate.accuracy_table([record])
    assert table.loc[0, "train / valid acc."].startswith("0.500 / ") and table.loc[0, "test acc. [95 % CI]"].startswith("0.500 [")


# ----------------------------------------------------------------------------- honest comparisons


def with_parts(table, pattern=("train", "train", "valid", "test", "train")):
    """A fixed split by sorted track id (every fifth track valid, every fifth test)."""
    ids = sorted(table["track_id"].unique())
    parts = dict(zip(ids, np.array(pattern)[np.arange(len(ids)) % len(pattern)]))
    return table.assign(fixed_split=table["track_id"].map(parts))


def test_equal_size_control_cuts_training_clips_and_their_segments(segments, evaluate_calls, tmp_path):
    X, table = segments
    split = networks.row_split(table, "random-50/20/30", seed=3)
    runs = networks.run_network_protocols("base-cnn", X, table, ["random-50/20/30"], experiment="t", dataset="d",
                                          representation="r", params=TINY, seed=3, train_size=6, results_dir=tmp_path,
                                          profile="smoke", **FAST)
    assert list(runs) == ["random-50/20/30@6"]
    record, predictions, fit = runs["random-50/20/30@6"]
    assert record["protocol"] == "random-50/20/30@6" and record["extra"]["subsampled_from"] == 15
    assert record["sizes"] == {"train": 6, "valid": 6, "test": 9}  # validation and test untouched
    assert record["extra"]["train_segments"] == 12  # both segments of each kept clip
    call = evaluate_calls[-1]
    assert sorted(call["train_genres"]) == ["blues"] * 2 + ["jazz"] * 2 + ["rock"] * 2  # per clip, stratified
    assert len(call["valid_genres"]) == 6 and record["sizes_per_genre"]["valid"] == {"blues": 2, "jazz": 2, "rock": 2}
    assert set(predictions["track_id"]) == set(table.loc[(split == "test").to_numpy(), "track_id"])
    assert len(list(tmp_path.rglob("*.json"))) == 1
    with pytest.raises(ValueError, match=r"random-50/20/30: train_size 16 is outside the valid range 3\.\.15"):
        networks.run_network_protocols("base-cnn", X, table, ["random-50/20/30"], experiment="t", dataset="d",
                                       representation="r", params=TINY, train_size=16, **FAST)


def test_unknown_names_fail_before_any_training(segments):
    X, table = segments
    with pytest.raises(ValueError, match="valid spectrogram models: base-cnn, small-cnn, crnn"):
        networks.run_network_protocols("resnet", X, table, ["random-50/20/30"], experiment="t", dataset="d", representation="r")
    with pytest.raises(ValueError, match="valid: random-70/10/20, random-50/20/30, fault-filtered, official; an @<n> suffix"):
        networks.run_network_protocols("base-cnn", X, table, ["random-50/20/30@9"], experiment="t", dataset="d",
                                       representation="r")


def test_network_fixed_train_size_counts_the_train_list_only(segments):
    _, table = segments
    fixed = with_parts(table)
    assert networks.fixed_train_size(fixed, "fault-filtered") == 18  # 3 of every 5 clips; valid is for early stopping
    assert networks.fixed_train_size(table, "fault-filtered") is None
    assert networks.fixed_train_size(with_parts(table, ("train", "test")), "official") is None  # no valid part: skipped
    with pytest.raises(ValueError, match="fixed protocols: fault-filtered, official"):
        networks.fixed_train_size(fixed, "random-70/10/20")


def test_majority_baselines_use_the_network_splits(segments, evaluate_calls, tmp_path, capsys):
    _, table = segments
    keep = (table["genre"] == "rock") | (table["track_id"].str[-1].astype(int) < 5)  # 10 rock clips, 5 of the others
    data = with_parts(table[keep].reset_index(drop=True))
    baselines = networks.majority_baselines(data, ["random-70/10/20", "fault-filtered"], experiment="t", dataset="d",
                                            representation="r", resamples=20, results_dir=tmp_path, profile="smoke")
    assert list(baselines) == ["random-70/10/20", "fault-filtered"] and len(list(tmp_path.rglob("*.json"))) == 2
    for protocol, record in baselines.items():
        split = networks.row_split(data, protocol)
        test_clips = data.loc[(split == "test").to_numpy()].drop_duplicates("track_id")
        assert record["model"] == "majority-class baseline" and record["extra"]["baseline"] is True
        assert record["extra"]["majority_genre"] == "rock" and record["sizes"]["test"] == len(test_clips)
        assert record["metrics"]["accuracy"]["value"] == pytest.approx((test_clips["genre"] == "rock").mean())
        assert record.get("failure") is None
    assert len(evaluate_calls[-1]["train_genres"]) == baselines["fault-filtered"]["sizes"]["train"] == 12  # per clip
    controlled = networks.majority_baselines(data, ["random-70/10/20"], experiment="t", dataset="d", representation="r",
                                             resamples=20, train_size=8)
    assert list(controlled) == ["random-70/10/20@8"] and controlled["random-70/10/20@8"]["sizes"]["train"] == 8
    skipped = networks.majority_baselines(with_parts(table, ("train", "test")), ["fault-filtered"], experiment="t",
                                          dataset="d", representation="r", resamples=20)
    assert skipped == {} and "skipped the majority-class baseline under fault-filtered: the fault-filtered split leaves no valid" \
        in capsys.readouterr().out


def test_grid_search_per_protocol_tunes_each_protocol_on_its_own_parts(segments, tmp_path, monkeypatch, capsys):
    X, table = segments
    fixed = with_parts(table)
    seen = {}

    def fake(name, grid, X_part, table_part, split, *, project_name, **settings):
        seen[project_name] = (len(X_part), set(table_part["track_id"]), list(split))
        return pd.DataFrame({"trial": ["0"]}), {"dropout": grid["dropout"][0]}

    monkeypatch.setattr(tuning, "grid_search", fake)
    settings = dict(directory=tmp_path, project_prefix="toy", epochs=1, seed=0)
    searches = tuning.grid_search_per_protocol("base-cnn", {"dropout": [0.1]}, X, fixed, ["random-50/20/30", "fault-filtered"],
                                               **settings)
    assert list(searches) == ["random-50/20/30", "fault-filtered"]
    assert set(seen) == {"toy-random-50-20-30", "toy-fault-filtered"}
    for protocol, project in (("random-50/20/30", "toy-random-50-20-30"), ("fault-filtered", "toy-fault-filtered")):
        split = networks.row_split(fixed, protocol, seed=0)
        rows, ids, parts = seen[project]
        assert ids == set(fixed.loc[split.isin(["train", "valid"]).to_numpy(), "track_id"])  # the protocol's own parts ...
        assert not ids & set(fixed.loc[(split == "test").to_numpy(), "track_id"]) and set(parts) == {"train", "valid"}
        assert rows == 2 * len(ids)  # ... with every segment, and never a test row
    no_valid = with_parts(table, ("train", "test"))
    assert tuning.grid_search_per_protocol("base-cnn", {"dropout": [0.1]}, X, no_valid, ["fault-filtered"], **settings) == {}
    assert "skipped the grid search of base-cnn under fault-filtered: the fault-filtered split leaves no valid" in capsys.readouterr().out
    with pytest.raises(ValueError, match="valid: random-70/10/20"):
        tuning.grid_search_per_protocol("base-cnn", {"dropout": [0.1]}, X, fixed, ["random"], **settings)


def test_grid_search_per_protocol_runs_keras_tuner(segments, tmp_path):
    X, table = segments
    searches = tuning.grid_search_per_protocol("base-cnn", {"dropout": [0.1, 0.3]}, X, with_parts(table), ["fault-filtered"],
                                               directory=tmp_path, project_prefix="toy", epochs=1, batch_size=16, seed=0,
                                               params={"filters": (2, 2, 2), "dense_units": 8})
    trials, best = searches["fault-filtered"]
    assert len(trials) == 2 and best["dropout"] in (0.1, 0.3) and (tmp_path / "toy-fault-filtered").is_dir()
