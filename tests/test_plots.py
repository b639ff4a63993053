"""One test per figure of helpers.plots, each checking what the reader is meant to see."""

import ast

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from helpers import evaluate, plots

from .conftest import REPO

SR = 22050


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def tone(seconds: float = 1.0, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def record(model: str = "m", protocol: str = "random-80/20") -> dict:
    y_true = ["blues"] * 4 + ["jazz"] * 4
    y_pred = ["blues"] * 3 + ["jazz"] + ["jazz"] * 4
    return evaluate.evaluate(y_true, y_pred, ["blues", "jazz"], experiment="e", model=model, dataset="toy",
                             protocol=protocol, resamples=20)


def texts(ax) -> list[str]:
    return [label.get_text() for label in ax.get_xticklabels()]


def test_plots_imports_no_helpers_module_at_import_time():
    """Results figures need no audio stack and cannot take part in an import cycle (config least of all)."""
    tree = ast.parse((REPO / "helpers" / "plots.py").read_text())
    top_level = [node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.level]
    anywhere = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}
    assert top_level == [] and anywhere == {"spectrograms"}


def test_save_writes_a_png(tmp_path):
    fig, _ = plt.subplots()
    assert plots.save(fig, tmp_path / "figures", "one") is None  # nothing for a notebook cell to echo
    assert Image.open(tmp_path / "figures" / "one.png").format == "PNG"


def test_genre_counts_stacks_unreadable_on_readable_and_prints_totals():
    inventory = pd.DataFrame({"readable": [3, 5], "unreadable": [1, 0], "clips": [4, 5]}, index=["blues", "jazz"])
    fig = plots.genre_counts(inventory, "toy inventory")
    ax = fig.axes[0]
    assert ax.get_title() == "toy inventory" and len(ax.patches) == 4  # 2 genres x (readable, unreadable)
    assert [t.get_text() for t in ax.texts] == ["4", "5"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["readable", "unreadable"]


def test_clip_overview_has_waveform_stft_and_mel_rows():
    fig = plots.clip_overview(tone(), SR, "one clip")
    assert fig._suptitle.get_text() == "one clip" and len(fig.axes) == 3
    assert fig.axes[0].get_title() == "waveform" and fig.axes[1].get_title().startswith("STFT magnitude")
    assert fig.axes[2].get_title().startswith("log-mel spectrogram (128 bands")


def test_genre_examples_has_one_row_per_example():
    fig = plots.genre_examples([("blues", tone()), ("jazz", tone(freq=220.0)), ("rock", tone(freq=880.0))], SR, "examples")
    assert len(fig.axes) == 6 and fig._suptitle.get_text() == "examples"
    assert [fig.axes[i].get_ylabel() for i in (0, 2, 4)] == ["blues", "jazz", "rock"]
    assert fig.axes[0].get_title() == "waveform" and fig.axes[1].get_title() == "log-mel spectrogram"


def test_box_by_genre_labels_each_genre_with_its_count():
    table = pd.DataFrame({"genre": ["rock", "blues", "blues", "jazz"], "tempo": [120.0, 90.0, 95.0, 140.0]})
    fig = plots.box_by_genre(table, "tempo", "tempo by genre", "bpm")
    ax = fig.axes[0]
    assert texts(ax) == ["blues\n(n=2)", "jazz\n(n=1)", "rock\n(n=1)"]
    assert ax.get_ylabel() == "bpm" and ax.get_title() == "tempo by genre"


def test_image_grid_titles_each_image_and_hides_spare_cells(tmp_path):
    paths = []
    for i in range(3):
        paths.append(tmp_path / f"{i}.png")
        Image.fromarray(np.full((8, 8), 40 * i, np.uint8), mode="L").save(paths[-1])
    fig = plots.image_grid(paths, ["a", "b", "c"], "images", columns=2)
    assert len(fig.axes) == 4 and [ax.get_title() for ax in fig.axes] == ["a", "b", "c", ""]
    assert [len(ax.images) for ax in fig.axes] == [1, 1, 1, 0]


def test_confusion_annotates_counts_and_titles_with_accuracy():
    fig = plots.confusion(record())
    ax = fig.axes[0]
    assert ax.get_title() == "toy, random-80/20: m (accuracy 0.875, n=8)"
    assert [t.get_text() for t in ax.texts] == ["3", "1", "0", "4"]  # counts, rows: true genre
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"
    assert plots.confusion(record(), "given title").axes[0].get_title() == "given title"


def test_accuracy_by_protocol_draws_one_bar_per_model_and_protocol():
    records = [record("a", "random-80/20"), record("a", "fault-filtered"), record("b", "random-80/20")]
    fig = plots.accuracy_by_protocol(records, "by protocol")
    ax = fig.axes[0]
    assert len(ax.patches) == 3 and texts(ax) == ["a", "b"]
    assert ax.get_title() == "by protocol" and ax.get_ylabel() == "test accuracy"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["random-80/20", "fault-filtered"]


def test_bootstrap_box_shows_accuracy_and_macro_f1():
    study = pd.DataFrame({"accuracy": [0.5, 0.6, 0.7], "macro_f1": [0.4, 0.5, 0.6]})
    fig = plots.bootstrap_box(study, "retrained")
    ax = fig.axes[0]
    assert texts(ax) == ["accuracy", "macro F1"] and ax.get_title() == "retrained"
    assert [len(c.get_offsets()) for c in ax.collections] == [3, 3]  # every resample shown as a point


def test_learning_curve_plots_accuracy_against_training_size():
    curve = pd.DataFrame({"train_size": [10, 20, 40], "accuracy": [0.3, 0.5, 0.6], "ci_low": [0.2, 0.4, 0.5],
                          "ci_high": [0.4, 0.6, 0.7]})
    fig = plots.learning_curve(curve, "sizes")
    ax = fig.axes[0]
    (line,) = ax.get_lines()
    assert list(line.get_xdata()) == [10, 20, 40] and list(line.get_ydata()) == [0.3, 0.5, 0.6]
    assert ax.get_xlabel() == "training clips" and ax.get_title() == "sizes"


def test_parity_bars_has_one_bar_per_feature_and_the_target_line():
    table = pd.DataFrame({"median |deviation| / std": [0.001, 0.05, 0.0]}, index=["rms_mean", "tempo", "zcr_mean"])
    fig = plots.parity_bars(table, "parity", threshold=0.02)
    ax = fig.axes[0]
    assert len(ax.patches) == 3 and texts(ax) == ["rms_mean", "tempo", "zcr_mean"]
    assert ax.get_lines()[0].get_ydata()[0] == 0.02 and ax.get_legend().get_texts()[0].get_text() == "target 2% of std"


def test_training_curves_draw_train_and_valid_per_fit_and_mark_the_kept_epoch():
    history = pd.DataFrame({"accuracy": [0.4, 0.6, 0.7], "loss": [1.2, 0.9, 0.8], "val_accuracy": [0.3, 0.5, 0.45],
                            "val_loss": [1.3, 1.0, 1.1]}, index=pd.RangeIndex(1, 4, name="epoch"))
    fig = plots.training_curves({"random": history, "fixed": history}, "curves")
    accuracy_ax, loss_ax = fig.axes
    assert len(accuracy_ax.get_lines()) == 6  # per fit: train, valid, the kept epoch
    kept = [line for line in loss_ax.get_lines() if line.get_marker() == "o"]
    assert [list(line.get_xdata()) for line in kept] == [[2], [2]] and list(kept[0].get_ydata()) == [1.0]
    assert fig._suptitle.get_text() == "curves" and loss_ax.get_ylabel() == "loss"


def test_trial_scores_lists_trials_best_first_with_their_parameters():
    trials = pd.DataFrame({"trial": ["1", "0"], "dropout": ["0.1", "0.25"], "val_accuracy": [0.8, 0.6],
                           "best_epoch": [3, 2], "status": ["COMPLETED"] * 2})
    fig = plots.trial_scores(trials, "trials")
    ax = fig.axes[0]
    assert len(ax.patches) == 2 and [t.get_text() for t in ax.get_yticklabels()] == ["dropout=0.1", "dropout=0.25"]
    assert ax.yaxis_inverted() and ax.get_xlim() == (0, 1)


def test_array_grid_draws_low_frequencies_at_the_bottom_when_asked():
    arrays = np.random.default_rng(0).random((3, 8, 8, 1), dtype=np.float32)
    fig = plots.array_grid(arrays, ["x", "y", "z"], "arrays", columns=3, low_first=True)
    assert [ax.get_title() for ax in fig.axes] == ["x", "y", "z"] and fig._suptitle.get_text() == "arrays"
    assert fig.axes[0].images[0].origin == "lower"
    assert plots.array_grid(arrays, ["x", "y", "z"], "arrays").axes[0].images[0].origin == "upper"
