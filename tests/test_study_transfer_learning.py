"""Notebook 06's study as its cells call it: weight sources per network, each source on its input, every source
under every recipe in order (a fine-tuning run starting from its frozen run's head), the records and training
curves read from the runs, the multi-genre candidates and the record a deployed multi-genre model uses."""

import numpy as np
import pandas as pd
import pytest

from helpers.models.transfer_nets import WeightSource
from helpers.results import evaluate
from helpers.studies import transfer_learning as study

VGG = WeightSource("vgg16", "imagenet", "vgg.h5", "a file")
ALEXNET = WeightSource("alexnet", "scratch", None, "none published")
MSD_VGG = WeightSource("msd-vgg", "msd", None, "the wheel")


def _input(name: str, rows: int = 4) -> study.NetworkInput:
    table = pd.DataFrame({"track_id": [f"t{i}" for i in range(rows)], "genre": ["a", "b"] * (rows // 2)})
    return study.NetworkInput(np.zeros((rows, 2), np.float32), table, name)


def test_weight_sources_resolve_image_networks_then_music_networks_with_what_was_asked():
    settings = dict(image_networks=["vgg16", "alexnet"], music_networks=["msd-vgg"])
    sources = study.weight_sources(settings, {"vgg16": "random", "resnet50": None})
    assert [(s.network, s.kind) for s in sources] == [("vgg16", "random-init"), ("alexnet", "scratch"), ("msd-vgg", "msd")]
    assert [s.label for s in study.weight_sources(dict(image_networks=["alexnet"], music_networks=[]))] == ["alexnet-scratch"]


def test_a_music_network_reads_its_windows_and_every_other_network_the_images():
    images, windows = _input("images"), _input("windows")
    assert study.input_for(MSD_VGG, images, windows) is windows
    assert study.input_for(VGG, images, windows) is images and study.input_for(ALEXNET, images, windows) is images


def test_run_sources_runs_every_recipe_of_every_source_in_order_on_its_input(monkeypatch):
    calls, seeds = [], []

    def fake_run_recipe(source, recipe, X, table, split_by_protocol, *, representation, fit, heads_from, seed, **kwargs):
        calls.append((source.label, recipe, representation, fit["epochs"], heads_from))
        record = {"model": study.run_label(source, recipe)}
        return {p: (record, None, f"{source.label}/{recipe}/{p}") for p in split_by_protocol}

    monkeypatch.setattr(study, "run_recipe", fake_run_recipe)
    monkeypatch.setattr(study, "seed_everything", seeds.append)
    settings = dict(recipes=["frozen", "fine-tune"], head_epochs=1, head_patience=1, tune_epochs=2, tune_patience=1,
                    scratch_epochs=3, scratch_patience=1, batch_size=8)
    split = {"random-70/10/20": pd.Series(dtype=str), "fault-filtered": pd.Series(dtype=str)}
    runs = study.run_sources([VGG, MSD_VGG, ALEXNET], _input("images"), _input("windows"), split, settings, dataset="toy", seed=7)
    assert list(runs) == [(s.label, r) for s in (VGG, MSD_VGG, ALEXNET) for r in ("frozen", "fine-tune")]
    assert seeds == [7] * 6  # the random state reset before every run
    assert [c[2] for c in calls] == ["images", "images", "windows", "windows", "images", "images"]
    assert [c[3] for c in calls] == [1, 2, 1, 2, 1, 3]  # head, fine-tuning, head, fine-tuning, head, from scratch
    assert calls[0][4] is None and calls[1][4] is runs["vgg16-imagenet", "frozen"]  # fine-tuned from its frozen run's head
    assert [r["model"] for r in study.run_records(runs)] == [study.run_label(s, r) for s in (VGG, MSD_VGG, ALEXNET)
                                                             for r in ("frozen", "fine-tune") for _ in range(2)]


class _Fit:
    def __init__(self, name):
        self.history = pd.DataFrame({"loss": [1.0], "val_loss": [1.0]}, index=pd.Index([1], name=name))


def test_training_curves_are_named_by_their_records_and_leave_out_frozen_runs():
    def runs_of(source, recipe, protocols):
        record = {"model": study.run_label(source, recipe)}
        return {p: (record, None, _Fit(record["model"])) for p in protocols}

    runs = {(VGG.label, "frozen"): runs_of(VGG, "frozen", ["fixed", "random"]),
            (VGG.label, "fine-tune"): runs_of(VGG, "fine-tune", ["fixed", "random"]),
            (ALEXNET.label, "fine-tune"): runs_of(ALEXNET, "fine-tune", ["random"])}  # skipped under "fixed"
    curves = study.training_curves(runs, "fixed")
    assert list(curves) == ["vgg16-imagenet · fine-tuned"]
    assert curves["vgg16-imagenet · fine-tuned"].index.name == "vgg16-imagenet · fine-tuned"
    assert list(study.training_curves(runs, "random")) == ["vgg16-imagenet · fine-tuned", "alexnet-scratch · trained from scratch"]
    runs[("other", "fine-tune")] = runs_of(VGG, "fine-tune", ["fixed"])
    with pytest.raises(ValueError, match="two runs are named"):
        study.training_curves(runs, "fixed")


def test_test_clips_text_counts_each_protocols_test_clips():
    split = {"random-70/10/20": pd.Series(["test", "train", "test"]), "fault-filtered": pd.Series(["valid", "test", ""])}
    assert study.test_clips_text(split) == "random-70/10/20: 2 test clips, fault-filtered: 1 test clips"


def test_multi_candidates_add_vgg16_only_when_it_is_a_source(monkeypatch):
    made = []
    monkeypatch.setattr(study, "musicnn_candidate", lambda tracks, reference, reference_tracks: made.append("musicnn") or "musicnn")
    monkeypatch.setattr(study, "image_candidate", lambda source, X, table, size, cache_dir, seed: made.append(source.label) or
                        (source.label, X.shape, size, seed))
    images = _input("images")
    assert study.multi_candidates([ALEXNET, MSD_VGG], None, images, 32) == ["musicnn"]
    found = study.multi_candidates([ALEXNET, VGG], None, images, 32, seed=3)
    assert found == ["musicnn", ("vgg16-imagenet", (4, 2), 32, 3)] and made == ["musicnn", "musicnn", "vgg16-imagenet"]


def _multi_record(model: str, mode: str, source: str, threshold: float) -> dict:
    return {"model": f"{model} · {mode}", "extra": {"mode": mode, "threshold_source": source, "threshold": threshold}}


def test_the_deployed_record_is_the_candidates_mix_run_at_the_threshold_chosen_on_validation():
    candidate = study.MultiCandidate("msd-musicnn taggram · sigmoid head", np.zeros((1, 1)), np.array(["t"]), np.array(["a"]),
                                     lambda waveforms, sr: (np.zeros((0, 1)), np.arange(0)))
    records = [_multi_record("vgg16-imagenet frozen base · sigmoid head", "mix", "validation items", 0.3),
               _multi_record(candidate.label, "mix", "fixed (the seed's)", 0.2),
               _multi_record(candidate.label, "concat", "validation items", 0.4),
               _multi_record(candidate.label, "mix", "validation items", 0.35)]
    assert study.deployed_record(records, candidate)["extra"]["threshold"] == 0.35
    assert study.deployed_record(records, candidate, mode="concat")["extra"]["threshold"] == 0.4
    with pytest.raises(ValueError, match="no record of msd-musicnn"):
        study.deployed_record(records[:3], candidate)


def test_the_head_file_of_a_fine_tuning_run_is_named_with_the_results_slug():
    assert not hasattr(study, "_slug")
    assert evaluate.slug("vgg16-imagenet · fine-tuned") == "vgg16-imagenet-fine-tuned"
    assert evaluate.slug("random-70/10/20") == "random-70-10-20" and evaluate.slug("fault-filtered@100") == "fault-filtered-n100"


def test_the_best_run_is_chosen_by_validation_and_a_failed_one_only_when_none_learned(capsys):
    def run(model, valid, failure=None, protocol="fault-filtered"):
        return {"model": model, "protocol": protocol, "failure": failure, "extra": {"valid_accuracy": valid}}

    records = [run("a", 0.4), run("b", 0.6, failure="did not learn"), run("c", 0.5), run("d", 0.9, protocol="other")]
    assert study.best_by_validation(records, "fault-filtered")["model"] == "c"  # the failed b is never preferred
    assert capsys.readouterr().out == ""
    failed = [run("a", 0.4, failure="did not learn"), run("b", 0.6, failure="did not learn")]
    assert study.best_by_validation(failed, "fault-filtered")["model"] == "b"
    assert "No run under fault-filtered learned" in capsys.readouterr().out
    with pytest.raises(ValueError, match="no run under 'other' has a validation accuracy"):
        study.best_by_validation([run("a", None, protocol="other")], "other")
