"""Shared fixtures. Tests run in the smoke profile on synthetic data unless a test says otherwise."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import soundfile as sf

matplotlib.use("Agg")
os.environ.setdefault("MGC_PROFILE", "smoke")
os.environ.setdefault("MGC_DATASET", "synthetic")

REPO = Path(__file__).resolve().parents[1]
# The real GTZAN material of the development machines; absent on a user's machine.
REAL_GTZAN = Path(os.environ.get("MGC_REAL_GTZAN", REPO.parent / "shared" / "data" / "gtzan"))


@pytest.fixture(scope="session")
def synthetic_dir(tmp_path_factory) -> Path:
    """A small synthetic dataset: 3 clips x 10 genres x 7 s."""
    from helpers.data import synth

    return synth.write_dataset(tmp_path_factory.mktemp("synthetic"), per_genre=3, seconds=7.0, seed=1, progress=False)


@pytest.fixture
def real_gtzan() -> Path:
    if not (REAL_GTZAN / "genres_original").is_dir():
        pytest.skip(f"real GTZAN material not found at {REAL_GTZAN}")
    return REAL_GTZAN


def write_tone(path: Path, seconds: float = 2.0, sr: int = 22050, channels: int = 1, freq: float = 440.0, **kwargs) -> Path:
    """A sine tone file in the format given by the suffix (soundfile writes wav, au, flac, ogg, mp3)."""
    t = np.arange(int(seconds * sr)) / sr
    tone = 0.5 * np.sin(2 * np.pi * freq * t)
    data = np.stack([tone] * channels, axis=1) if channels > 1 else tone
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), data, sr, **kwargs)
    return path


def write_corrupt(path: Path) -> Path:
    """A file named like audio whose header is garbage (as the Kaggle jazz.00054.wav)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00" * 100 + b"not a RIFF header" * 50)
    return path


@pytest.fixture
def evaluate_calls(monkeypatch):
    """Every keyword set that reaches ``helpers.results.evaluate.evaluate`` (which still runs)."""
    from helpers.results import evaluate

    calls = []
    real = evaluate.evaluate

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(evaluate, "evaluate", spy)
    return calls
