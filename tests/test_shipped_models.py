"""The models shipped in ``models/``: they load in safe mode, their cards match their results records, they were
trained on real GTZAN in the report profile under the fault-filtered split, and ``helpers.predict`` uses them on a
fresh clone with no notebook run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers.models import artifacts

from .conftest import write_tone

REPO = Path(__file__).resolve().parents[1]
MODELS = REPO / "models"


def _is_default(record: dict) -> bool:
    return bool(record.get("extra", {}).get("default_model"))


def _is_deployed_multi(record: dict) -> bool:  # studies.transfer_learning.deployed_record's choice
    extra = record.get("extra", {})
    return extra.get("mode") == "mix" and str(extra.get("threshold_source", "")).startswith("validation")


SHIPPED = {artifacts.DEFAULT_MODEL: ("pretrained_music", _is_default), artifacts.MULTI_MODEL: ("multi_genre", _is_deployed_multi)}


def _record(name: str, sidecar: dict) -> dict:
    experiment, chosen = SHIPPED[name]
    records = [json.loads(p.read_text()) for p in sorted((REPO / "results" / experiment).glob("*.json"))]
    matching = [r for r in records if chosen(r) and r["metrics"] == sidecar["metrics"]
                and r["dataset"] == sidecar["dataset"] and r["protocol"] == sidecar["protocol"]]
    assert len(matching) == 1, f"{name}: {len(matching)} results records match its sidecar's metrics"
    return matching[0]


@pytest.mark.parametrize("name", list(SHIPPED))
def test_shipped_model_loads_in_safe_mode_and_its_card_matches_its_record(name):
    import keras

    model_path, sidecar = artifacts.read_sidecar(MODELS / f"{name}.keras")
    assert artifacts.smoke_or_synthetic(model_path, sidecar) is None
    assert sidecar["profile"] == "report" and sidecar["protocol"] == "fault-filtered"
    assert sidecar["dataset"].split("+")[0] == "gtzan" and len(sidecar["genres"]) == 10
    record = _record(name, sidecar)
    card = sidecar["card"]
    assert card["sizes"] == record["sizes"]
    assert record["profile"] == "report" and record["sizes"]["test"] > 0
    if name == artifacts.DEFAULT_MODEL:
        assert card["validation"] == {k: record["extra"][k] for k in ("valid_accuracy", "valid_balanced_accuracy")}
        assert card["per_genre_test_recall"] == {g: round(v["recall"], 3) for g, v in record["per_genre"].items()}
    else:
        assert card["multi_label"]["threshold"] == record["extra"]["threshold"]
    model = keras.models.load_model(model_path, safe_mode=True)
    assert model.output_shape[-1] == len(sidecar["genres"])
    out = np.asarray(model(np.zeros((2, 187, 96), np.float32), training=False))
    assert out.shape == (2, 10) and np.all((out >= 0) & (out <= 1))
    assert os.path.getsize(model_path) < 20e6  # a few MB: fit for git


def test_predict_uses_the_shipped_model_with_no_notebook_run(tmp_path):
    song = write_tone(tmp_path / "song.wav", seconds=4.0)
    env = {k: v for k, v in os.environ.items() if k not in ("MGC_MODEL", "MGC_MULTI_MODEL")}
    run = subprocess.run([sys.executable, "-m", "helpers.predict", str(song)], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    genres = json.loads((MODELS / "musicnn-default.json").read_text())["genres"]
    assert "models/musicnn-default.keras" in run.stderr and "warning" not in run.stderr
    row = next(line for line in run.stdout.splitlines() if "song.wav" in line)
    assert row.split()[1] in genres
    about = subprocess.run([sys.executable, "-m", "helpers.predict", "--about"], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=60)
    assert about.returncode == 0 and "Test accuracy:" in about.stdout and "fault-filtered" in about.stdout
    multi = subprocess.run([sys.executable, "-m", "helpers.predict", "--multi", str(song)], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=300)
    assert multi.returncode == 0 and "models/musicnn-multi.keras" in multi.stderr, multi.stderr
