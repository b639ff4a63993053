"""Notebook 08: the whole notebook in the smoke profile on an FMA-layout fixture with generated mp3 audio (the
synthetic set runs under nbval with every notebook), and its study's parts: an Optuna study that resumes from its
storage, the seeded runs paired on the same test tracks, the records' identities."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from helpers.models import crops, wav2vec2, wav2vec2_transfer
from helpers.studies import waveform_fusion as study

from .conftest import REPO
from .test_fma import write_fma_fixture

TINY_WAV2VEC2 = REPO.parent / "shared" / "data" / "wav2vec2" / "wav2vec2-base-tiny"

SETTINGS = dict(crop_seconds=0.25, image_size=32, n_mfcc=8, n_mels=16, epochs=2, patience=1, batch_size=4, trials=2, seeds=2,
                seeded_runs=("resnet18-mel", "late-fusion"),
                model_params={"nnet1": dict(filters=(4, 4, 4, 4), kernel_sizes=(16, 3, 3, 3), strides=(4, 1, 1, 1), dense_units=(8,)),
                              "nnet2": dict(filters=4, pool_size=2, dense_units=(8, 8, 8)), "mixnet": dict(dense_units=(8, 8, 8)),
                              "late-fusion": dict(blocks=(1, 1), filters=(4, 8)), "resnet18-mel": dict(blocks=(1, 1), filters=(4, 8))},
                wav2vec2=dict(hub=False, layer=None, excerpt_seconds=1.0, fine_tune=True, crop_seconds=0.5, tune_epochs=1,
                              tune_patience=1, tune_learning_rate=1e-5, batch_size=4))


def test_notebook_08_runs_in_the_smoke_profile_on_an_fma_layout_fixture(tmp_path, monkeypatch):
    import papermill

    root = write_fma_fixture(tmp_path / "fma")
    out = tmp_path / "out"
    monkeypatch.setenv("MGC_OUTPUT_DIR", str(out))
    monkeypatch.setenv("MGC_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("MGC_BATCH", "1")
    if TINY_WAV2VEC2.is_dir():  # the tiny random-weight model as a stand-in for real weights
        monkeypatch.setenv(wav2vec2.MODEL_ENVIRONMENT, str(TINY_WAV2VEC2))
    else:
        monkeypatch.delenv(wav2vec2.MODEL_ENVIRONMENT, raising=False)
    papermill.execute_notebook(str(REPO / "notebooks" / "08_waveform_fusion.ipynb"), str(tmp_path / "08.ipynb"),
                               parameters=dict(PROFILE="smoke", DATASET=str(root)), kernel_name="python3", language="python",
                               cwd=str(REPO / "notebooks"), progress_bar=False)
    records = [json.loads(p.read_text()) for p in (out / "results" / "smoke" / study.EXPERIMENT).glob("*.json")]
    official = {r["model"]: r for r in records if r["protocol"] == "official" and r["params"].get("training", {}).get("seed") != 43}
    assert set(study.RUNS) | {"majority-class baseline"} <= set(official)
    for record in official.values():
        assert record["dataset"].startswith("fma") and record["sizes"] == {"train": 4, "valid": 2, "test": 3}
        assert {"accuracy", "balanced_accuracy", "macro_f1"} <= set(record["metrics"])
    assert official["nnet1"]["extra"]["optuna"]["trials"] == 2 and "test_loss" in official["mixnet"]["extra"]
    assert official["nnet2-log-mel"]["extra"]["tuned_from"] == "nnet2-mfcc"
    # the smoke profile repeats the ResNet18 pair with a second training seed on the honest split, on the same tracks
    seeded = {(r["model"], r["params"]["training"]["seed"]): r for r in records if r["protocol"] == "official"
              and r["model"] in ("late-fusion", "resnet18-mel")}
    assert sorted(seeded) == [("late-fusion", 42), ("late-fusion", 43), ("resnet18-mel", 42), ("resnet18-mel", 43)]
    assert len({tuple(r["extra"]["test_clips"]["id"]) for r in seeded.values()}) == 1
    assert len({r["model"] for r in records if r["protocol"] == "random-70/10/20"} & set(study.RUNS)) == len(study.RUNS)
    study_files = list((out / "results" / "smoke" / study.EXPERIMENT).glob("optuna__*.sqlite3"))
    assert len(study_files) == 1
    with sqlite3.connect(study_files[0]) as db:
        names = {row[0] for row in db.execute("select study_name from studies")}
    # one study per tuned network and split, named by run, split, dataset, profile, seed and a digest of the settings
    assert sorted(name.rsplit(" · ", 1)[0] for name in names) == sorted(
        f"{run} · {protocol} · fma-small · smoke · seed 42" for run in study.TUNED for protocol in ("official", "random-70/10/20"))
    assert (out / "figures" / "08_optuna_history.png").is_file() and (out / "figures" / "08_training_curves.png").is_file()
    first_output = next(o for c in json.loads((tmp_path / "08.ipynb").read_text())["cells"] if c["cell_type"] == "code"
                        for o in c.get("outputs", []) if "Wav2Vec2" in "".join(o.get("text", "")))
    w2v = [r for r in records if r["model"] in study.WAV2VEC2_RUNS]
    if TINY_WAV2VEC2.is_dir():
        assert "Wav2Vec2 weights: folder" in "".join(first_output["text"])
        assert sorted((r["model"], r["protocol"]) for r in w2v) == sorted(
            (m, p) for m in study.WAV2VEC2_RUNS for p in ("official", "random-70/10/20"))
        assert {r["extra"]["weights_origin"] for r in w2v} == {f"folder {TINY_WAV2VEC2}"}
    else:
        assert "Wav2Vec2 weights unavailable" in "".join(first_output["text"]) and not w2v


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


def test_the_crop_recipe_follows_the_profile():
    assert study.recipe(dict(SETTINGS, crop_seconds=None), 22050).length == crops.SEED_CROP_SAMPLES // 2
    assert study.representation("late-fusion", study.recipe(SETTINGS, 22050)) == "mel image + waveform image, 0.25-s crops"
    with pytest.raises(ValueError, match="unknown run"):
        study.train_run("nnet3", None, "x", None, SETTINGS, dataset="toy")


def test_without_weights_the_wav2vec2_runs_make_no_record(found, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv(wav2vec2.MODEL_ENVIRONMENT, raising=False)
    weights = study.wav2vec2_weights(SETTINGS)  # the smoke profile downloads nothing
    assert weights.encoder is None and capsys.readouterr().out.startswith("Wav2Vec2 weights unavailable: this profile downloads none")
    assert study.wav2vec2_runs(found, weights, SETTINGS, dataset="toy", results_dir=tmp_path, profile="smoke") == []
    assert not list(tmp_path.rglob("*.json"))
    monkeypatch.setenv(wav2vec2.MODEL_ENVIRONMENT, str(tmp_path / "no-such-model"))
    assert "Wav2Vec2 weights unavailable: " in wav2vec2_transfer.weights(hub=False).message  # named but missing: one line


@pytest.mark.skipif(not TINY_WAV2VEC2.is_dir(), reason="needs ../shared/data/wav2vec2 (the tiny stand-in model)")
def test_frozen_and_fine_tuned_wav2vec2_run_end_to_end_on_the_tiny_stand_in(tmp_path):
    rng = np.random.default_rng(1)
    tracks = pd.DataFrame({"track_id": [f"t{i:02d}" for i in range(9)], "genre": ["blues", "jazz", "rock"] * 3,
                           "fixed_split": ["train"] * 3 + ["valid"] * 3 + ["test"] * 3})
    tracks["path"] = [str(tmp_path / f"{t}.wav") for t in tracks["track_id"]]
    for path in tracks["path"]:
        sf.write(path, rng.normal(0, 0.1, 33075).astype(np.float32), 22050)
    found = study.study_data(tracks, ["fault-filtered"], sample_rate=22050)
    weights = wav2vec2_transfer.weights(TINY_WAV2VEC2)
    records = study.wav2vec2_runs(found, weights, SETTINGS, dataset="toy", results_dir=tmp_path / "results", profile="smoke",
                                  cache_dir=tmp_path / "cache", resamples=10)
    assert [r["model"] for r in records] == list(study.WAV2VEC2_RUNS)
    for record in records:
        assert record["extra"]["weights_origin"] == f"folder {TINY_WAV2VEC2}" and record["sizes"] == {"train": 3, "valid": 3, "test": 3}
        assert record["extra"]["layer"] == 2 and record["extra"]["test_clips"]["id"] == ["t06", "t07", "t08"]
    assert len(list((tmp_path / "results" / study.EXPERIMENT).glob("*.json"))) == 2
