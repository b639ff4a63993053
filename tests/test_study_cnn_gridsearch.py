"""Notebook 04's study as its cells call it: the protocols and fit settings, the inputs, the equal-size control,
the networks on the images and on the audio (every clip and the balanced genres), the grid search's trial files and
figures, the tuned CNN's confusions, and the saved models that classify new audio."""

import json

import numpy as np
import pandas as pd
import pytest

from helpers.models import artifacts, networks
from helpers.results import evaluate
from helpers.studies import cnn_gridsearch as study

GENRES = ("blues", "jazz", "rock")
NET = dict(epochs=3, batch_size=8, patience=2, image_size=16, tuner_epochs=1)
FIT = study.fit_settings(NET, resamples=20, seed=5)


def _clips(per_genre=(10, 10, 10), fixed=None) -> pd.DataFrame:
    """One row per clip, genres in blocks; ``fixed``: a pattern of fixed-split parts by track."""
    rows = [dict(track_id=f"{g}.{i:05d}", genre=g) for g, n in zip(GENRES, per_genre) for i in range(n)]
    table = pd.DataFrame(rows)
    if fixed is not None:
        table["fixed_split"] = np.array(fixed)[np.arange(len(table)) % len(fixed)]
    return table


def _inputs(table: pd.DataFrame, name: str = "toy images") -> study.Inputs:
    """Inputs whose value is their row number, so that a test can tell which rows reached a network."""
    return study.Inputs(table, np.arange(len(table), dtype=np.float32)[:, None], name)


class _Fit:
    def __init__(self, history=None, model=None):
        self.history, self.model = history, model


@pytest.fixture
def network_calls(monkeypatch):
    """Every call of ``networks.run_network_protocols`` (which does not train): a record per protocol."""
    calls = []

    def fake(name, X, table, protocols, *, representation, label=None, train_size=None, **settings):
        calls.append(dict(name=name, X=X, table=table, protocols=list(protocols), representation=representation, label=label,
                          train_size=train_size, **settings))
        keys = [f"{p}@{train_size}" if train_size else p for p in protocols]
        return {k: ({"model": label or name, "protocol": k}, pd.DataFrame(), _Fit(f"history {k}")) for k in keys}

    monkeypatch.setattr(networks, "run_network_protocols", fake)
    return calls


def test_protocols_list_each_reports_random_split_first_and_the_fixed_split_when_there_is_one():
    assert study.protocols(None) == (["random-70/10/20"], ["random-50/20/30"])
    assert study.protocols("fault-filtered") == (["random-70/10/20", "fault-filtered"], ["random-50/20/30", "fault-filtered"])
    assert FIT == dict(epochs=3, batch_size=8, patience=2, augment=study.augment.AUGMENT, resamples=20, seed=5)


def test_the_equal_size_control_runs_only_when_the_fixed_split_trains_on_fewer_clips():
    fewer = _clips(fixed=("train", "train", "valid", "test", "train"))  # 18 of 30 clips train; the random split: 21
    assert study.equal_train_size(fewer, "fault-filtered", seed=0) == 18
    more = _clips(fixed=("train",) * 8 + ("valid", "test"))  # 24 train: nothing to control for
    assert study.equal_train_size(more, "fault-filtered", seed=0) is None
    assert study.equal_train_size(fewer, None, seed=0) is None
    assert study.equal_train_size(_clips(), "fault-filtered", seed=0) is None  # no fixed split in the table


def test_network_runs_add_the_equal_size_control_under_the_seeds_split_only(network_calls):
    images = _inputs(_clips())
    runs = study.network_runs("base-cnn", images, ["random-70/10/20", "fault-filtered"], params={"dropout": 0.1},
                              equal_size=18, experiment="e", dataset="d", results_dir=None, **FIT)
    assert list(runs) == ["random-70/10/20", "fault-filtered", "random-70/10/20@18"]
    assert [(c["protocols"], c["train_size"]) for c in network_calls] == [(["random-70/10/20", "fault-filtered"], None),
                                                                         (["random-70/10/20"], 18)]
    assert all(c["representation"] == "toy images" and c["params"] == {"dropout": 0.1} and c["seed"] == 5 for c in network_calls)
    network_calls.clear()
    assert list(study.network_runs("crnn", images, ["random-70/10/20"], params=None, **FIT)) == ["random-70/10/20"]
    assert len(network_calls) == 1
    assert study.records(runs)[2] == {"model": "base-cnn", "protocol": "random-70/10/20@18"}
    assert study.histories(runs) == {k: f"history {k}" for k in runs}


def test_tuned_runs_retrain_each_protocols_own_best_setting_under_that_protocol_only(network_calls):
    searches = {"random-70/10/20": (pd.DataFrame({"trial": range(8)}), {"dropout": 0.4}),
                "fault-filtered": (pd.DataFrame({"trial": range(8)}), {"dropout": 0.1})}
    tuned = study.tuned_runs(searches, _inputs(_clips()), params={"dropout": 0.25, "dense_units": 8}, **FIT)
    assert list(tuned) == ["random-70/10/20", "fault-filtered"]
    assert [run[0]["extra"]["grid_trials"] for run in tuned.values()] == [8, 8]  # the search's size, for the README
    assert [(c["protocols"], c["label"], c["params"]) for c in network_calls] == [
        (["random-70/10/20"], "tuned-cnn", {"dropout": 0.4, "dense_units": 8}),
        (["fault-filtered"], "tuned-cnn", {"dropout": 0.1, "dense_units": 8})]
    assert study.tuned_runs({}, _inputs(_clips()), params=None, **FIT) == {}


def test_audio_sets_add_the_balanced_genres_only_when_the_clips_are_imbalanced():
    assert study.audio_sets(_clips(), "toy", "Toy") == {"toy": None}
    sets = study.audio_sets(_clips((10, 10, 4)), "toy", "Toy")
    assert list(sets) == ["toy", "toy-2genres"] and sets["toy"] is None
    assert sets["toy-2genres"] == {f"{g}.{i:05d}" for g in ("blues", "jazz") for i in range(10)}


def test_audio_runs_train_each_network_with_its_baselines_on_each_set_with_the_rows_it_keeps(network_calls, tmp_path):
    clips = _clips((4, 10, 10))  # the balanced genres are not the first rows
    segments = pd.concat([clips.assign(segment=s) for s in (0, 1)]).sort_values(["track_id", "segment"]).reset_index(drop=True)
    on_audio = study.audio_networks(_inputs(segments, "segments"), ["random-50/20/30"], _inputs(clips, "pngs"), ["random-70/10/20"],
                                    small_patience=7)
    runs = study.audio_runs(on_audio, study.audio_sets(clips, "toy", "Toy"), experiment="e", results_dir=tmp_path, profile="smoke",
                            model_params={"small-cnn": {"dense_units": 4}}, fit=FIT)
    assert [(c["dataset"], c["name"], c["label"], c["protocols"]) for c in network_calls] == [
        ("toy", "small-cnn", "small-cnn", ["random-50/20/30"]), ("toy", "base-cnn", "base-cnn (own PNGs)", ["random-70/10/20"]),
        ("toy-2genres", "small-cnn", "small-cnn", ["random-50/20/30"]),
        ("toy-2genres", "base-cnn", "base-cnn (own PNGs)", ["random-70/10/20"])]
    assert [c["params"] for c in network_calls] == [{"dense_units": 4}, None] * 2
    assert [c["patience"] for c in network_calls] == [7, 2] * 2  # the small CNN's own patience; the rest of FIT as given
    for call in network_calls:  # each network sees the rows of its own inputs that the set keeps, renumbered
        source = segments if call["name"] == "small-cnn" else clips
        assert call["table"].index.equals(pd.RangeIndex(len(call["table"])))
        assert source.loc[call["X"][:, 0].astype(int), "track_id"].tolist() == call["table"]["track_id"].tolist()
        assert set(call["table"]["genre"]) == (set(GENRES) if call["dataset"] == "toy" else {"jazz", "rock"})
    assert set(runs) == {(d, m, p) for d in ("toy", "toy-2genres")
                         for m, p in [("small-cnn baseline", "random-50/20/30"), ("base-cnn (own PNGs) baseline", "random-70/10/20"),
                                      ("small-cnn", "random-50/20/30"), ("base-cnn (own PNGs)", "random-70/10/20")]}
    baseline = runs["toy-2genres", "base-cnn (own PNGs) baseline", "random-70/10/20"][0]
    assert evaluate.is_baseline(baseline) and baseline["dataset"] == "toy-2genres" and baseline["representation"] == "pngs"
    saved = [json.loads(p.read_text()) for p in tmp_path.rglob("*.json")]
    assert sorted((r["dataset"], r["representation"]) for r in saved) == [
        ("toy", "pngs"), ("toy", "segments"), ("toy-2genres", "pngs"), ("toy-2genres", "segments")]


def test_audio_runs_keep_each_networks_baseline_when_they_share_a_protocol(network_calls, tmp_path):
    clips = _clips((10, 10, 10))
    segments = pd.concat([clips.assign(segment=s) for s in (0, 1)]).sort_values(["track_id", "segment"]).reset_index(drop=True)
    on_audio = study.audio_networks(_inputs(segments, "segments"), ["random-70/10/20"], _inputs(clips, "pngs"), ["random-70/10/20"],
                                    small_patience=7)
    runs = study.audio_runs(on_audio, {"toy": None}, experiment="e", results_dir=tmp_path, profile="smoke",
                            model_params={}, fit=FIT)
    baselines = [record for record, predictions, _ in runs.values() if predictions is None]
    assert sorted(r["representation"] for r in baselines) == ["pngs", "segments"]  # one per network's inputs


def _record(protocol: str, truth, predicted) -> dict:
    return evaluate.evaluate(truth, predicted, list(GENRES), experiment=study.EXPERIMENT, model="tuned-cnn", dataset="toy",
                             protocol=protocol, representation="toy images", resamples=20)


def test_tuned_confusions_save_a_figure_per_protocol_and_stack_the_per_genre_tables(tmp_path):
    truth = ["blues", "blues", "jazz", "jazz", "rock", "rock"]
    tuned = {"random-70/10/20": (_record("random-70/10/20", truth, ["blues", "jazz", "jazz", "jazz", "rock", "rock"]), None, None),
             "fault-filtered": (_record("fault-filtered", truth, truth), None, None)}
    table, mistakes = study.tuned_confusions(tuned, "Toy", tmp_path)
    assert sorted(p.name for p in tmp_path.glob("*.png")) == ["04_confusion_tuned_cnn_fault-filtered.png",
                                                              "04_confusion_tuned_cnn_random-70-10-20.png"]
    assert list(table.columns.get_level_values("protocol").unique()) == ["random-70/10/20", "fault-filtered"]
    assert table.loc["blues", ("random-70/10/20", "recall")] == "0.500" and table.loc["blues", ("fault-filtered", "recall")] == "1.000"
    assert len(table.columns) <= 8 and set(table.index) == {"blues", "jazz", "rock"}  # genres as rows
    assert mistakes.splitlines() == ["random-70/10/20: most frequent mistakes: blues as jazz (1 of the blues clips, 50%)",
                                     "fault-filtered: most frequent mistakes: "]
    empty, none = study.tuned_confusions({}, "Toy", tmp_path)
    assert empty.empty and none == ""


def test_save_searches_writes_each_protocols_trials_beside_the_records_and_its_figure(tmp_path):
    trials = pd.DataFrame({"trial": ["0", "1"], "dropout": ["0.1", "0.25"], "val_accuracy": [0.5, 0.25], "best_epoch": [1, 1],
                           "status": ["COMPLETED"] * 2})
    searches = {"random-70/10/20": (trials, {"dropout": 0.1}), "fault-filtered": (trials.iloc[::-1], {"dropout": 0.25})}
    paths = study.save_searches(searches, dataset="toy", grid_name="smoke", results_dir=tmp_path / "results", title="Toy",
                                figures_dir=tmp_path / "figures")
    assert [p.relative_to(tmp_path).as_posix() for p in paths] == [
        "results/cnn_gridsearch/toy__base-cnn__grid-smoke__random-70-10-20__trials.csv",
        "results/cnn_gridsearch/toy__base-cnn__grid-smoke__fault-filtered__trials.csv"]
    assert pd.read_csv(paths[1])["trial"].tolist() == [1, 0]
    assert sorted(p.name for p in (tmp_path / "figures").iterdir()) == ["04_grid_trials_fault-filtered.png",
                                                                        "04_grid_trials_random-70-10-20.png"]
    assert study.grid_summary("smoke", 3) == "grid 'smoke': dropout in [0.1, 0.25] (2 trials per protocol, at most 3 epochs each)"
    assert "dropout" in study.grid_reading(searches)


def test_grid_searches_tune_the_base_cnn_in_a_folder_named_after_dataset_grid_and_size(monkeypatch):
    calls = []
    monkeypatch.setattr(study.tuning, "grid_search_per_protocol", lambda *args, **kwargs: calls.append((args, kwargs)) or {})
    images = _inputs(_clips())
    study.grid_searches("smoke", images, ["random-70/10/20"], net=NET, dataset="toy", directory="tuner", overwrite=False, seed=3,
                        params={"dense_units": 8})
    (args, kwargs), = calls
    assert args[0] == "base-cnn" and args[1] == {"dropout": [0.1, 0.25]} and args[3] is images.table
    assert kwargs["project_prefix"] == "toy-base-cnn-smoke-16px"
    assert (kwargs["epochs"], kwargs["batch_size"], kwargs["patience"], kwargs["seed"]) == (1, 8, 2, 3)
    assert kwargs["overwrite"] is False and kwargs["params"] == {"dense_units": 8}


def test_inputs_from_audio_carry_the_fixed_split_and_name_their_representation(synthetic_dir, tmp_path):
    from helpers import data

    tracks = data.load_tracks(data.discover(synthetic_dir)).head(2).assign(fixed_split=["train", "test"])
    own = study.own_images(tracks, 16, tmp_path / "pngs", tmp_path / "cache")
    assert own.name == "own mel PNGs 16x16" and own.X.shape == (2, 16, 16, 1)
    assert own.table[["track_id", "fixed_split"]].values.tolist() == tracks[["track_id", "fixed_split"]].values.tolist()
    segments = study.segment_inputs(tracks, 1, tmp_path / "cache")
    assert segments.name == "log-mel 3 s x 64 bands (1 per clip)" and segments.X.shape[:2] == (2, 64)
    assert segments.table["fixed_split"].tolist() == ["train", "test"]
    assert study.kaggle_images(None, 16, "grayscale", None, lambda table: table["genre"]) is None


def test_saved_audio_models_reload_with_their_sidecar_and_example_clips_name_their_audio(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(3, activation="softmax")])
    predictions = pd.DataFrame({"track_id": ["blues.00001", "jazz.00000"], "genre": ["blues", "jazz"]})
    record = _record("random-70/10/20", ["blues", "jazz", "rock"], ["blues", "jazz", "jazz"])
    runs = {("toy", "base-cnn (own PNGs)", "random-70/10/20"): (record, predictions, _Fit(model=model))}
    own = study.AudioNetwork("base-cnn (own PNGs)", "base-cnn", _inputs(_clips()), ["random-70/10/20"])
    prep = {"base-cnn-own-png": artifacts.preprocessing("mel-image", image_size=16, window_seconds=7.0)}
    saved = study.save_audio_models(runs, [own], "toy", prep, tmp_path)
    reloaded, sidecar = saved["base-cnn-own-png"]
    assert (tmp_path / "base-cnn-own-png.keras").is_file()
    assert sidecar["genres"] == list(GENRES) and sidecar["protocol"] == "random-70/10/20" and sidecar["dataset"] == "toy"
    assert np.allclose(reloaded.predict(own.inputs.X[:4], verbose=0), model.predict(own.inputs.X[:4], verbose=0))
    tracks = pd.DataFrame({"track_id": ["jazz.00000", "blues.00001"], "path": ["j.wav", "b.wav"]})
    clips = study.example_clips(runs, tracks, "toy", "base-cnn-own-png", n=5)  # the first test clip of each genre
    assert clips.to_dict("list") == {"track_id": ["blues.00001", "jazz.00000"], "genre": ["blues", "jazz"],
                                     "path": ["b.wav", "j.wav"]}


def test_the_headline_record_is_the_fixed_split_s_else_the_last_protocol_s():
    tuned = {"random-80/20": ({"protocol": "random-80/20"}, None, None), "fault-filtered": ({"protocol": "fault-filtered"}, None, None),
             "random-70/10/20": ({"protocol": "random-70/10/20"}, None, None)}
    assert study.headline_record(tuned, "fault-filtered")["protocol"] == "fault-filtered"
    assert study.headline_record(tuned, None)["protocol"] == "random-70/10/20"
