"""helpers.runtime: short progress records in batch runs, and a TensorFlow that says nothing on start-up."""

import logging
import os
import re
import subprocess
import sys

import pytest

from helpers import runtime

from .conftest import REPO

# What TensorFlow, absl and Keras write when nothing quietens them.
TENSORFLOW_NOISE = re.compile(
    r"oneDNN|This TensorFlow binary is optimized|cuda|cuDNN|cuBLAS|cuFFT|Unable to register|absl|"
    r"I0000|W0000|E0000|retracing|input_shape",
    re.IGNORECASE,
)


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in ("MGC_BATCH", "TF_CPP_MIN_LOG_LEVEL")}
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, env={**environment, **env}, capture_output=True,
                          text=True, timeout=300, check=True)


def bar_lines(stderr: str, desc: str) -> list[str]:
    """The bar's displays: tqdm separates them with carriage returns, the last ends with a newline."""
    return [line for line in re.split(r"[\r\n]", stderr) if line.startswith(desc)]


BAR = """
import time
from helpers import runtime
for _ in runtime.progress(range(200), desc="steps", unit="step"):
    time.sleep({sleep})
"""


def test_a_batch_bar_draws_nothing_and_prints_one_summary_line():
    result = run_python(BAR.format(sleep=0.002), MGC_BATCH="1")
    assert bar_lines(result.stderr, "steps") == []
    [line] = [line for line in result.stdout.splitlines() if line.startswith("steps")]
    assert re.fullmatch(r"steps: 200/200 step in \d+\.\d s", line), line


def test_an_interactive_bar_is_plain_tqdm(monkeypatch):
    from tqdm import tqdm

    monkeypatch.delenv("MGC_BATCH", raising=False)
    assert type(runtime.progress(range(3), disable=True)) is tqdm
    monkeypatch.setenv("MGC_BATCH", "1")
    assert type(runtime.progress(range(3), disable=True)) is not tqdm


def test_importing_helpers_then_keras_writes_no_tensorflow_start_up_lines():
    code = """
import helpers
import keras
import numpy as np
model = keras.Sequential([keras.layers.Dense(2, input_shape=(4,))])  # Keras advises against input_shape
model.compile(optimizer="adam", loss="mse")
model.fit(np.zeros((8, 4)), np.zeros((8, 2)), epochs=1, verbose=0)
print(model.predict(np.zeros((2, 4)), verbose=0).shape)
"""
    result = run_python(code, MGC_BATCH="1")
    assert result.stdout.strip().endswith("(2, 2)")
    assert not TENSORFLOW_NOISE.search(result.stderr), result.stderr


def test_retracing_warnings_are_dropped_and_other_tensorflow_warnings_kept():
    logger = logging.getLogger("tensorflow")

    def record(message: str) -> logging.LogRecord:
        return logger.makeRecord("tensorflow", logging.WARNING, __file__, 1, message, (), None)

    assert not logger.filter(record("5 out of the last 15 calls to <function f> triggered tf.function retracing. Tracing is"))
    assert logger.filter(record("something a reader should see"))


def test_the_tensorflow_import_is_wrapped_unless_its_logging_is_asked_for(monkeypatch):
    pytest.importorskip("tensorflow")
    finder = runtime._QuietTensorFlowFinder()
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "3")
    assert isinstance(finder.find_spec("tensorflow").loader, runtime._QuietLoader)
    assert finder.find_spec("keras") is None  # only tensorflow itself
    monkeypatch.setenv("TF_CPP_MIN_LOG_LEVEL", "0")
    assert finder.find_spec("tensorflow") is None  # TF_CPP_MIN_LOG_LEVEL=0: TensorFlow speaks
    assert sum(isinstance(f, runtime._QuietTensorFlowFinder) for f in sys.meta_path) == 1  # installed once by import helpers


def test_display_path_shows_a_file_of_the_home_folder_as_tilde():
    from pathlib import Path

    from helpers import runtime

    shown = runtime.display_path(Path.home() / ".keras" / "models" / "x.h5")
    assert shown in {"~/.keras/models/x.h5", str(Path.home() / ".keras/models/x.h5")} and not shown.startswith("/root/")
