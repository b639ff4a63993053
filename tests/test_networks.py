"""Spectrogram networks: splits, fitting, clip-level scoring, the grid search and saved models."""

import numpy as np
import pandas as pd
import pytest

from helpers import evaluate, models, networks, tuning

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
    from helpers.augment import spectrogram_augmenter

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
        grid = models.grid(profile.networks["grid"])
        assert set(grid) <= set(models.spectrogram_defaults("base-cnn"))
    assert len(models.grid("smoke")["dropout"]) == 2  # two trials in smoke
    with pytest.raises(ValueError, match="valid grids: paper, report, smoke"):
        models.grid("huge")


def test_evaluate_helpers_for_networks():
    ids, mean = evaluate.clip_probabilities(np.array([[0.2, 0.8], [0.6, 0.4], [1.0, 0.0]]), ["a", "a", "b"])
    assert ids == ["a", "b"] and np.allclose(mean, [[0.4, 0.6], [1.0, 0.0]])
    record = evaluate.evaluate(["x", "x", "x", "y"], ["y", "y", "x", "y"], ["x", "y"], experiment="e", model="m",
                               dataset="d", protocol="fault-filtered", resamples=10, extra={"train_accuracy": np.float32(0.5)})
    mistakes = evaluate.top_confusions(record)
    assert mistakes.iloc[0].to_dict() == {"true": "x", "predicted": "y", "count": 2, "share": 2 / 3}
    assert evaluate.per_genre_table(record).index[0] == "x"  # worst recall first
    table = evaluate.accuracy_table([record])
    assert table.loc[0, "train"] == 0.5 and table.loc[0, "test"] == 0.5
