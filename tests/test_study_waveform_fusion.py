"""Notebook 08: the whole notebook in the smoke profile on an FMA-layout fixture with generated mp3 audio (the
synthetic set runs under nbval with every notebook), and its study's parts: an Optuna study that resumes from its
storage, the seeded runs paired on the same test tracks, the records' identities."""

from __future__ import annotations

import json
import sqlite3

import pandas as pd
import pytest

from helpers.models import crops
from helpers.studies import waveform_fusion as study

from .conftest import REPO
from .test_fma import write_fma_fixture

SETTINGS = dict(crop_seconds=0.25, image_size=32, n_mfcc=8, n_mels=16, epochs=2, patience=1, batch_size=4, trials=2, seeds=2,
                seeded_runs=("resnet18-mel", "late-fusion"),
                model_params={"nnet1": dict(filters=(4, 4, 4, 4), kernel_sizes=(16, 3, 3, 3), strides=(4, 1, 1, 1), dense_units=(8,)),
                              "nnet2": dict(filters=4, pool_size=2, dense_units=(8, 8, 8)), "mixnet": dict(dense_units=(8, 8, 8)),
                              "late-fusion": dict(blocks=(1, 1), filters=(4, 8)), "resnet18-mel": dict(blocks=(1, 1), filters=(4, 8))})


def test_notebook_08_runs_in_the_smoke_profile_on_an_fma_layout_fixture(tmp_path, monkeypatch):
    import papermill

    root = write_fma_fixture(tmp_path / "fma")
    out = tmp_path / "out"
    monkeypatch.setenv("MGC_OUTPUT_DIR", str(out))
    monkeypatch.setenv("MGC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MGC_BATCH", "1")
    papermill.execute_notebook(str(REPO / "notebooks" / "08_waveform_fusion.ipynb"), str(tmp_path / "08.ipynb"),
                               parameters=dict(PROFILE="smoke", DATASET=str(root)), kernel_name="python3", language="python",
                               cwd=str(REPO / "notebooks"), progress_bar=False)
    records = [json.loads(p.read_text()) for p in (out / "results" / "smoke" / study.EXPERIMENT).glob("*.json")]
    official = {r["model"]: r for r in records if r["protocol"] == "official"}
    assert set(study.RUNS) | {"majority-class baseline"} <= set(official)
    for record in official.values():
        assert record["dataset"].startswith("fma") and record["sizes"] == {"train": 4, "valid": 2, "test": 3}
        assert {"accuracy", "balanced_accuracy", "macro_f1"} <= set(record["metrics"])
    assert official["nnet1"]["extra"]["optuna"]["trials"] == 2 and "test_loss" in official["mixnet"]["extra"]
    assert official["nnet2-log-mel"]["extra"]["tuned_from"] == "nnet2-mfcc"
    study_files = list((out / "results" / "smoke" / study.EXPERIMENT).glob("optuna__*.sqlite3"))
    assert len(study_files) == 1
    with sqlite3.connect(study_files[0]) as db:
        names = {row[0] for row in db.execute("select study_name from studies")}
    assert names == {study.study_name(run, protocol, 42) for run in study.TUNED for protocol in ("official", "random-70/10/20")}
    assert (out / "figures" / "08_optuna_history.png").is_file() and (out / "figures" / "08_training_curves.png").is_file()


@pytest.fixture(scope="module")
def found():
    """12 tracks of 1 s in 3 genres, split 6/3/3 by a fixed split, decoded from memory."""
    import numpy as np

    genres = ["blues", "jazz", "rock"]
    rng = np.random.default_rng(0)
    tracks = pd.DataFrame({"track_id": [f"t{i:02d}" for i in range(12)], "genre": [genres[i % 3] for i in range(12)],
                           "fixed_split": ["train"] * 6 + ["valid"] * 3 + ["test"] * 3})
    waveforms = {t: rng.normal(0, 0.1 * (1 + i % 3), 22050).astype(np.float32) for i, t in enumerate(tracks["track_id"])}
    data = study.StudyData(waveforms, tracks, [])
    data.splits["fault-filtered"] = tracks.rename(columns={"fixed_split": "split"})
    return data


def test_a_tuned_run_resumes_its_optuna_study_from_the_storage(found, tmp_path):
    crop = study.recipe(SETTINGS, 22050)
    storage = tmp_path / "optuna.sqlite3"
    first = study.tuned_run("nnet2-mfcc", found, "fault-filtered", crop, SETTINGS, dataset="toy", storage=storage, resamples=10)
    again = study.tuned_run("nnet2-mfcc", found, "fault-filtered", crop, SETTINGS, dataset="toy", storage=storage, resamples=10)
    assert first.search.ran == 2 and again.search.ran == 0  # the study held its 2 trials: nothing ran again
    assert again.run.record["extra"]["optuna"]["best_params"] == first.run.record["extra"]["optuna"]["best_params"]
    assert len(again.search.trials) == 2


def test_seeded_runs_are_tested_on_the_same_tracks_and_carry_their_seed_in_the_identity(found, tmp_path):
    crop = study.recipe(SETTINGS, 22050)
    runs = study.run_study(found, crop, {**SETTINGS, "trials": 1}, dataset="toy", honest="fault-filtered",
                           storage=tmp_path / "optuna.sqlite3", resamples=10, results_dir=tmp_path, profile="smoke")
    assert set(runs.main) == {"fault-filtered"} and list(runs.main["fault-filtered"]) == list(study.RUNS)
    pair = runs.seeded["late-fusion"]
    assert [r.fit.settings["training"]["seed"] for r in pair] == [42, 43]
    assert pair[0].record["extra"]["test_clips"]["id"] == pair[1].record["extra"]["test_clips"]["id"] == ["t09", "t10", "t11"]
    saved = sorted(p.name for p in (tmp_path / study.EXPERIMENT).glob("*.json"))
    assert len(saved) == len(study.RUNS) + 2 and sum("seed43" in name for name in saved) == 2
    table = study.seeded_table(runs, resamples=10)
    assert table["verdict"].tolist() == ["one run"]  # two seeds are fewer than the rule's three


def test_the_crop_recipe_follows_the_profile():
    assert study.recipe(dict(SETTINGS, crop_seconds=None), 22050).length == crops.SEED_CROP_SAMPLES // 2
    assert study.representation("late-fusion", study.recipe(SETTINGS, 22050)) == "mel image + waveform image, 0.25-s crops"
    with pytest.raises(ValueError, match="unknown run"):
        study.train_run("nnet3", None, "x", None, SETTINGS, dataset="toy")
