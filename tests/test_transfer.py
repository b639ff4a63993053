"""Classifiers on pretrained embeddings (helpers.models.transfer), the embedding models and the profile settings of notebook 05."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import config, data, predict
from helpers.data import cache
from helpers.models import artifacts, heads, pretrained, training, transfer, zoo
from helpers.models.pretrained import ClipEmbeddings
from helpers.results import evaluate, report


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "CACHE_DIR", tmp_path / "cache")
    monkeypatch.setenv("MGC_CACHE_DIR", str(tmp_path / "cache"))


def separable(n_per_genre: int = 12, genres=("blues", "jazz", "rock"), dims: int = 6, seed: int = 0) -> ClipEmbeddings:
    """Embeddings whose genres sit apart, with a fixed split (train / valid / test) like GTZAN's."""
    rng = np.random.default_rng(seed)
    rows, vectors = [], []
    for g, genre in enumerate(genres):
        for i in range(n_per_genre):
            part = "train" if i < n_per_genre // 2 else ("valid" if i < 3 * n_per_genre // 4 else "test")
            rows.append(dict(track_id=f"{genre}.{i:05d}", genre=genre, fixed_split=part, source="port" if i % 2 else "reference"))
            vectors.append(rng.normal(size=dims) + 4.0 * np.eye(dims)[g])
    return ClipEmbeddings(pd.DataFrame(rows), np.array(vectors, np.float32), [], "toy taggram")


def test_profiles_name_known_checkpoints_embeddings_and_methods():
    for name, settings in config.PRETRAINED.items():
        assert set(settings["checkpoints"]) <= set(pretrained.CHECKPOINTS), name
        assert set(settings["embeddings"]) <= set(pretrained.EMBEDDINGS), name
        assert set(settings["methods"]) <= set(zoo.EMBEDDING_MODELS), name
        assert config.get_profile(name).pretrained is settings


@pytest.mark.parametrize("name", zoo.EMBEDDING_MODELS)
def test_embedding_models_choose_their_regularisation_on_training_data(name):
    emb = separable()
    y = emb.table["genre"].to_numpy()
    predicted, seconds = training.fit_predict(name, emb.X[::2], y[::2], emb.X[1::2])
    assert (predicted == y[1::2]).mean() > 0.9 and seconds >= 0


def test_inner_folds_never_outnumber_the_clips_of_the_commonest_genre():
    assert zoo.inner_cv(0, folds=2).n_splits == 2
    assert zoo.inner_cv(0, folds=1).n_splits == 2
    assert zoo.inner_cv(0, folds=40).n_splits == 5
    tiny = separable(n_per_genre=4)
    y = tiny.table["genre"].to_numpy()
    training.fit_predict("logreg-cv", tiny.X[:6], y[:6], tiny.X[6:])  # two clips per genre: two folds, no error


def test_run_protocols_names_inputs_and_sources_and_adds_a_baseline():
    emb = separable()
    records = transfer.run_protocols(emb, "toy taggram", dataset="toy", methods=["logreg-cv"],
                                     protocols=["fault-filtered", "random-80/20"], resamples=50)
    assert [r["model"] for r in records] == ["majority-class baseline", "toy taggram · logreg-cv"] * 2
    fixed = records[1]
    assert fixed["representation"] == "toy taggram" and fixed["extra"]["sources"] == {"port": 18, "reference": 18}
    assert fixed["sizes"]["test"] == (emb.table["fixed_split"] == "test").sum()
    assert fixed["metrics"]["accuracy"]["value"] > 0.9


def test_fuse_appends_the_handcrafted_columns_of_the_same_clips_and_stack_aligns_checkpoints():
    emb = separable()
    handcrafted = emb.table[["track_id"]].assign(a=np.arange(len(emb.table)), b=1.0).iloc[::-1]  # another order
    fused = transfer.fuse(emb, handcrafted.iloc[:-3], ["a", "b"])  # three clips lack features: dropped
    assert len(fused.table) == len(emb.table) - 3 and fused.X.shape[1] == emb.X.shape[1] + 2
    assert (fused.X[:, -2] == fused.table.index.to_numpy() + 3).all() or (fused.X[:, -2] == np.arange(len(fused.table))).all()
    shuffled = ClipEmbeddings(emb.table.iloc[::-1].reset_index(drop=True), emb.X[::-1].copy(), [], "other")
    both = transfer.stack([emb, shuffled])
    assert np.allclose(both.X[:, :6], both.X[:, 6:]) and both.representation == "toy taggram + other"


def test_ranking_puts_the_most_accurate_first():
    records = transfer.run_protocols(separable(), "toy", dataset="toy", methods=["logreg-cv"], protocols=["fault-filtered"],
                                     resamples=20)
    table = transfer.ranking(records, "fault-filtered")
    assert table.iloc[0]["model"] == "toy · logreg-cv" and table.iloc[-1]["model"] == "majority-class baseline"
    assert transfer.ranking(records, "random-80/20").empty
    # the same model listed under two names (a section's head and a one-seed candidate) is marked, not ranked twice silently
    first = next(r for r in records if r["model"] == "toy · logreg-cv" and r["protocol"] == "fault-filtered")
    clips = {"id": ["a", "b"], "truth": ["x", "y"], "predicted": ["x", "x"]}
    twin = {**first, "model": "toy · one head (seed 42)", "extra": {**first.get("extra", {}), "test_clips": clips}}
    first = {**first, "extra": {**first.get("extra", {}), "test_clips": clips}}
    marked = transfer.ranking([first, twin], "fault-filtered")
    assert list(marked["status"]) == ["ok", "ok · same predictions as toy · logreg-cv"]


def windows_of(emb: ClipEmbeddings, per_clip: int = 4, seed: int = 0) -> heads.WindowSet:
    rng = np.random.default_rng(seed)
    X = np.repeat(emb.X, per_clip, axis=0) + rng.normal(scale=0.3, size=(len(emb.X) * per_clip, emb.X.shape[1]))
    return heads.WindowSet(emb.table, X.astype(np.float32), np.repeat(np.arange(len(emb.X)), per_clip))


def test_the_frozen_head_stops_on_validation_clips_and_scores_clips_by_averaged_windows():
    emb = separable()
    record, head = heads.frozen_head(windows_of(emb), "msd-musicnn", "fault-filtered", dataset="toy", epochs=30, patience=3,
                                        resamples=20)
    parts = emb.table["fixed_split"].value_counts()
    assert record["sizes"]["train"] == parts["train"] and record["sizes"]["valid"] == parts["valid"]
    assert record["sizes"]["test"] == parts["test"]  # clips, not windows
    assert record["extra"]["best_epoch"] <= record["extra"]["epochs"] <= 30
    assert 0 <= record["extra"]["valid_accuracy"] <= 1 and record["model"] == "msd-musicnn penultimate · frozen head"
    assert head.labels == ["blues", "jazz", "rock"] and head.layer == "penultimate"


def test_a_random_split_holds_out_a_tenth_of_its_training_clips_for_early_stopping():
    table = separable(n_per_genre=20).table
    split = heads.validation_split(table, "random-80/20", seed=0)
    assert set(split) == {"train", "valid", "test"}
    assert (split == "valid").sum() == max(int((split != "test").sum()) // 10, 3)
    assert not set(table["track_id"][split == "valid"]) & set(table["track_id"][split == "test"])


def test_the_default_model_is_chosen_by_validation_never_by_test():
    def rec(name, valid, test):
        return {"protocol": "fault-filtered", "model": f"{name} penultimate · frozen head",
                "extra": {"valid_accuracy": 1 - valid, "valid_balanced_accuracy": valid},
                "metrics": {"accuracy": {"value": test}}}

    trained = {("msd-musicnn penultimate · frozen head", "fault-filtered"): "A",
               ("mtt-vgg penultimate · frozen head", "fault-filtered"): "B"}
    name, record, head = heads.choose_head([rec("msd-musicnn", 0.9, 0.5), rec("mtt-vgg", 0.6, 0.99)], trained, "fault-filtered")
    assert (name, head) == ("msd-musicnn", "A")
    with pytest.raises(ValueError, match="no frozen-head record"):
        heads.choose_head([], trained, "fault-filtered")


def test_the_deployed_model_predicts_what_the_head_predicted(tmp_path):
    emb = separable(dims=200)  # the width of msd-musicnn's penultimate layer
    record, head = heads.frozen_head(windows_of(emb), "msd-musicnn", "fault-filtered", dataset="toy", epochs=3, patience=1,
                                        resamples=20)
    path = heads.save_default_model("msd-musicnn", record, head, tmp_path)
    assert 0 <= record["extra"]["valid_balanced_accuracy"] <= 1
    model, sidecar = artifacts.load_artifact(path)
    assert sidecar["preprocessing"] == predict.musicnn_preprocessing("msd-musicnn")
    assert sidecar["card"]["limitations"] and sidecar["metrics"] == evaluate.jsonable(record["metrics"])
    # the same windows through the saved model and through the port + head by hand
    windows = np.random.default_rng(0).uniform(0, 3, (2, 187, 96)).astype(np.float32)
    features = pretrained.model("msd-musicnn").predict_on_batch(windows)["penultimate"]
    by_hand = head.net.predict((features - head.mean) / head.std, verbose=0)
    assert np.allclose(model.predict(windows, verbose=0), by_hand, atol=1e-5)
    text = predict.about(path, sidecar)
    assert "What it cannot do" in text and "fault-filtered" in text


def test_the_reading_states_the_best_the_goal_and_the_controlled_comparison():
    emb = separable()
    fused = ClipEmbeddings(emb.table, np.hstack([emb.X, emb.X[:, :2]]), [], "toy taggram + handcrafted")
    alone = ClipEmbeddings(emb.table, emb.X[:, :2] * 0 + np.random.default_rng(1).normal(size=(len(emb.X), 2)), [], "handcrafted (57)")
    records = []
    for part, baseline in ((emb, True), (fused, False), (alone, False)):
        records += transfer.run_protocols(part, part.representation, dataset="toy", methods=["logreg-cv"],
                                          protocols=["fault-filtered"], baseline=baseline, resamples=20)
    text = transfer.reading(records, records, None, "fault-filtered")
    assert "Best pretrained model under fault-filtered on toy (9 test clips, the largest test set)" in text
    assert "best of 3 runs of this notebook" in text and "of which its split uses" in text
    assert "goal of 85 %" in text and "Controlled comparison" in text and "Fusion" in text
    assert transfer.reading([], [], None, "fault-filtered") == "* No fault-filtered records in this run."


def test_report_top_keeps_baselines_and_the_best_runs_and_the_readme_names_the_best_per_experiment():
    records = transfer.run_protocols(separable(), "toy", dataset="toy", methods=list(zoo.EMBEDDING_MODELS),
                                     protocols=["fault-filtered"], resamples=20)
    kept = report.top(records, n=1)
    assert len(kept) == 2 and any(evaluate.is_baseline(r) for r in kept)
    best = max(records[1:], key=lambda r: r["metrics"]["accuracy"]["value"])
    assert best in kept
    table = report.best_table(records, "fault-filtered")
    assert best["model"] in table and "| 2 |" in table  # two configurations, the baseline not counted
    assert report.best_table(records, "random-80/20") == ""


def test_clip_embeddings_of_synthetic_audio_go_through_the_port(synthetic_dir):
    tracks = data.readable(data.load_tracks(synthetic_dir)).head(3)
    emb = pretrained.clip_embeddings(tracks, "mtt-vgg", "penultimate", progress=False)
    assert emb.X.shape == (3, 512) and set(emb.table["source"]) == {"port"} and emb.representation == "mtt-vgg penultimate"
    with pytest.raises(ValueError, match="MSD-musicnn taggrams only"):
        pretrained.clip_embeddings(tracks, "mtt-vgg", "penultimate", reference={"x": np.zeros((1, 50))}, progress=False)


def test_fine_tuning_trains_the_checkpoint_from_its_head_and_keeps_batch_norm_statistics(synthetic_dir):
    tracks = data.readable(data.load_tracks(synthetic_dir))
    tracks = tracks[tracks["genre"].isin(["blues", "classical", "metal"])].reset_index(drop=True)
    record, head = heads.frozen_head(heads.window_embeddings(tracks, "msd-musicnn", progress=False), "msd-musicnn",
                                        "random-80/20", dataset="toy", epochs=2, patience=1, resamples=20)
    windows = heads.mel_windows(tracks, hop_seconds=3.0, progress=False)
    assert windows.X.shape[1:] == (187, 96) and windows.rows.max() == len(tracks) - 1
    tuned, model = heads.fine_tune(windows, "msd-musicnn", head, "random-80/20", dataset="toy", epochs=1, patience=1,
                                      resamples=20)
    assert tuned["model"] == "msd-musicnn · fine-tuned" and tuned["sizes"]["test"] == record["sizes"]["test"]
    assert tuned["extra"]["epochs"] == 1 and 0 <= tuned["extra"]["valid_accuracy"] <= 1
    original = pretrained.model("msd-musicnn")
    for name in ("batch_normalization", "batch_normalization_9"):  # statistics kept, inference mode
        assert np.array_equal(model.get_layer(name).moving_mean.numpy(), original.get_layer(name).moving_mean.numpy())
    assert not np.array_equal(model.get_layer("dense").kernel.numpy(), original.get_layer("dense").kernel.numpy())
    chosen, deployed = heads.choose_default([(record, None), (tuned, model)])
    key = "valid_balanced_accuracy"
    assert chosen is (record if (record["extra"][key], record["extra"]["valid_accuracy"]) >= (tuned["extra"][key],
                                                                                             tuned["extra"]["valid_accuracy"]) else tuned)
    shown = heads.head_table([record, tuned])
    assert set(shown.columns) >= {"valid balanced acc.", "accuracy"} and len(shown.columns) <= 8


def test_reference_taggram_windows_stand_in_for_absent_audio_only(synthetic_dir):
    tracks = data.readable(data.load_tracks(synthetic_dir)).head(2)
    present = tracks["track_id"].tolist()
    reference = {present[0]: np.full((3, 50), 0.5, np.float32), "jazz.09999": np.full((2, 50), 0.25, np.float32)}
    reference_tracks = pd.DataFrame({"track_id": [present[0], "jazz.09999"], "genre": [tracks["genre"].iloc[0], "jazz"],
                                     "fixed_split": ["train", "test"]})
    windows = heads.window_embeddings(tracks, "msd-musicnn", layer="taggram", reference=reference,
                                         reference_tracks=reference_tracks, progress=False)
    assert windows.tracks["source"].tolist() == ["port", "port", "reference"] and windows.layer == "taggram"
    assert (windows.X[windows.rows == 2] == 0.25).all() and not (windows.X[windows.rows == 0] == 0.5).all()
    with pytest.raises(ValueError, match="msd-musicnn taggram windows"):
        heads.window_embeddings(tracks, "mtt-vgg", reference=reference, reference_tracks=reference_tracks, progress=False)


def test_uneven_test_genres_are_named_and_the_default_model_reaches_the_readme():
    uneven = {"sizes_per_genre": {"test": {"blues": 30, "jazz": 30, "rock": 30, "pop": 2, "metal": 0}}}
    assert report.test_coverage(uneven) == "4 of 5 genres in its test clips, the largest four 100 % of them"
    assert report.test_coverage({"sizes_per_genre": {"test": {"blues": 30, "jazz": 28}}}) == ""
    assert report.coverage_text({"sizes_per_genre": {"test": {"blues": 30, "jazz": 28}}}) == "every genre, none under half the largest"
    assert report.coverage_text(uneven) == report.test_coverage(uneven)
    records = transfer.run_protocols(separable(), "toy", dataset="toy", methods=["logreg-cv"], protocols=["fault-filtered"],
                                     resamples=20)
    assert "default model" not in report.readme_section(records)
    records[1]["extra"]["default_model"] = True
    section = report.readme_section(records)
    assert "(`python -m helpers.predict --about`) was chosen by validation balanced accuracy" in " ".join(section.split())
    assert "toy · logreg-cv" in section


def test_an_experiment_with_many_models_is_drawn_as_a_ranking_of_one_test_set():
    from helpers import plots

    records = transfer.run_protocols(separable(), "toy", dataset="toy", methods=["logreg-cv"], protocols=["random-80/20",
                                     "fault-filtered"], resamples=20)
    few = plots.experiment_overview(records, "t")
    assert "best runs" not in few.axes[0].get_title()
    many = [dict(r, model=f"{r['model']} {i}") for i, r in enumerate(records * 7)]
    fig = plots.experiment_overview(many, "t", max_models=12)
    assert "best runs under fault-filtered" in fig.axes[0].get_title().replace("\n", " ")
    assert len(fig.axes[0].get_yticklabels()) == 7  # the fixed protocol's runs, baselines left out


def test_five_fold_heads_pool_their_out_of_fold_predictions():
    emb = separable(n_per_genre=10)
    record, head = heads.frozen_head(windows_of(emb), "msd-musicnn", "5-fold-cv", dataset="toy", epochs=3, patience=1,
                                     resamples=20)
    assert record["protocol"] == "5-fold-cv" and record["extra"]["folds"] == 5
    assert record["sizes"]["test"] == len(emb.table)  # every clip predicted once, by the head that did not see it
    assert head.layer == "penultimate" and 0 <= record["extra"]["valid_balanced_accuracy"] <= 1
