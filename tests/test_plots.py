"""One test per figure of helpers.plots, each checking what the reader is meant to see."""

import ast

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from helpers import plots
from helpers.results import evaluate

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
    """Results figures need no audio stack and cannot take part in an import cycle (config least of all):
    the plots modules import one another only, and helpers.inputs.spectrograms inside the spectrogram figures."""
    modules = {"data", "listen", "pretrained", "resampling", "results", "style"}
    expected = {"__init__": (modules, modules), "resampling": ({"results", "style"}, {"results", "style"}),
                "listen": (set(), {".data", ".data.audio"}),
                "data": ({"style"}, {"style", ".inputs.spectrograms"}),
                "results": ({"pretrained", "style"}, {"pretrained", "style"}), "pretrained": ({"style"}, {"style"}),
                "style": (set(), set())}
    for name, (top_expected, anywhere_expected) in expected.items():
        tree = ast.parse((REPO / "helpers" / "plots" / f"{name}.py").read_text())
        top_level = {"." * (node.level - 1) + node.module for node in tree.body if isinstance(node, ast.ImportFrom) and node.level}
        anywhere = {"." * (node.level - 1) + node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level}
        assert (top_level, anywhere) == (top_expected, anywhere_expected), name


def all_figures(tmp_path) -> dict:
    """One of each figure, for the checks that concern them all."""
    image = tmp_path / "image.png"
    Image.fromarray(np.full((8, 8), 90, np.uint8), mode="L").save(image)
    history = pd.DataFrame({"accuracy": [0.4, 0.6], "loss": [1.2, 0.9], "val_accuracy": [0.3, 0.5], "val_loss": [1.3, 1.0]},
                           index=pd.RangeIndex(1, 3, name="epoch"))
    return {
        "genre_counts": plots.genre_counts(pd.DataFrame({"readable": [3], "unreadable": [1], "clips": [4]}, index=["blues"]), "t"),
        "clip_overview": plots.clip_overview(tone(), SR, "t"),
        "genre_examples": plots.genre_examples([("blues", tone())], SR, "t"),
        "box_by_genre": plots.box_by_genre(pd.DataFrame({"genre": ["rock", "jazz"], "tempo": [120.0, 90.0]}), "tempo", "t", "bpm"),
        "image_grid": plots.image_grid([image], ["a"], "t"),
        "array_grid": plots.array_grid(np.zeros((1, 4, 4, 1)), ["a"], "t"),
        "confusion": plots.confusion(record()),
        "accuracy_by_protocol": plots.accuracy_by_protocol([record()], "t"),
        "bootstrap_box": plots.bootstrap_box(pd.DataFrame({"accuracy": [0.5, 0.6], "macro_f1": [0.4, 0.5]}), "t"),
        "learning_curve": plots.learning_curve(curve(), "t"),
        "parity_bars": plots.parity_bars(pd.DataFrame({"median |deviation| / std": [0.01]}, index=["rms_mean"]), "t"),
        "training_curves": plots.training_curves({"random": history}, "t"),
        "threshold_curves": plots.threshold_curves(
            {"m · mix": pd.DataFrame({"threshold": [0.2, 0.4] * 2, "exact_set_accuracy": [0.3, 0.5, 0.2, 0.4], "macro_f1": [0.4] * 4,
                                      "part": ["valid", "valid", "test", "test"]})}, "t", chosen={"m · mix": 0.4}),
        "trial_scores": plots.trial_scores(trials(), "t"),
        "port_parity": plots.port_parity(pd.DataFrame({"lossless": [True, False], "clip_mean_error": [1e-5, 0.03],
                                                       "frame_error": [1e-4, 0.2]}), "t"),
        "ranking": plots.ranking([record(), record()], "t"),
        "embedding_map": plots.embedding_map(np.random.default_rng(0).normal(size=(12, 4)), ["rock", "jazz"] * 6, "t"),
        "interval_rows": plots.interval_rows(pd.DataFrame({"label": ["a", "b"], "value": [0.5, 0.7], "low": [0.4, 0.6],
                                                           "high": [0.6, 0.8], "group": ["x", "y"], "note": ["n=1", ""]}),
                                             "t", "accuracy", reference=0.25, reference_label="baseline"),
        "seed_comparison": plots.seed_comparison(pd.DataFrame({
            "report": ["features report", "main seed report"], "model": ["KNN", "base CNN"], "metric": ["accuracy"] * 2,
            "seed": [0.645, 0.585], "ours": [0.665, np.nan], "ours_low": [0.6, np.nan], "ours_high": [0.72, np.nan],
            "fixed": [0.42, 0.43], "fixed_low": [0.36, 0.38], "fixed_high": [0.48, 0.49], "ours_test": [200, None],
            "fixed_test": [290, 290], "ours_text": ["0.665", "—"], "fixed_text": ["0.42", "0.43"], "comparable": [True, False]}),
            "t"),
    }


def test_every_figure_uses_readable_font_sizes(tmp_path, monkeypatch):
    import matplotlib as mpl

    monkeypatch.setitem(mpl.rcParams, "xtick.labelsize", 6)  # a notebook's own small defaults do not apply
    monkeypatch.setitem(mpl.rcParams, "ytick.labelsize", 6)
    figures = all_figures(tmp_path)
    styled = {name for name, value in vars(plots).items() if callable(value) and hasattr(value, "__wrapped__")}
    assert set(figures) == styled  # every figure function of the module, each under the shared style
    for name, fig in figures.items():
        fig.canvas.draw()
        for ax in fig.axes:
            ticks = [t for t in ax.get_xticklabels() + ax.get_yticklabels() if t.get_text()]
            assert all(t.get_fontsize() >= 9 for t in ticks), (name, [(t.get_text(), t.get_fontsize()) for t in ticks])
            if ax.get_title():
                assert ax.title.get_fontsize() >= 11, name
        if fig._suptitle is not None:
            assert fig._suptitle.get_fontsize() >= 11, name


def test_long_titles_wrap_to_the_figure_width():
    title = "GTZAN, Kaggle images 64x64 grayscale: tuned CNN (filters 32-64-128, dropout 0.25, learning rate 0.001) per epoch"
    fig = plots.learning_curve(curve(), title)
    shown = fig.axes[0].get_title()
    assert "\n" in shown and shown.replace("\n", " ") == title
    assert plots.learning_curve(curve(), "short").axes[0].get_title() == "short"


def test_the_style_does_not_leak_into_the_notebook_and_keeps_what_the_notebook_sets(monkeypatch):
    import matplotlib as mpl

    from helpers.plots.style import styled

    before = mpl.rcParams["xtick.labelsize"]
    plots.genre_counts(pd.DataFrame({"readable": [3], "unreadable": [1], "clips": [4]}, index=["blues"]), "t")
    assert mpl.rcParams["xtick.labelsize"] == before

    @styled
    def first_figure_of_a_session():  # IPython's inline backend turns interactive mode on at this point
        mpl.rcParams["interactive"] = True
        return plt.figure()

    monkeypatch.setitem(mpl.rcParams, "interactive", False)
    first_figure_of_a_session()
    assert mpl.rcParams["interactive"]  # else no later figure of the notebook is shown


def test_format_params_says_hyperparameters_in_words():
    params = {"filters": (32, 64, 128), "dropout": 0.25, "learning_rate": 0.001}
    assert plots.format_params(params) == "filters 32-64-128, dropout 0.25, learning rate 0.001"
    assert plots.format_params({"units": np.int64(128), "lr": np.float32(0.0003), "batch_norm": True, "head": None}) == \
        "units 128, lr 0.0003, batch norm true, head none"
    assert plots.format_params({"kernel_size": [3, 3], "filters": "16-32-64"}) == "kernel size 3-3, filters 16-32-64"
    assert plots.format_params({}) == "default settings"


def test_data_limits_fit_the_values_with_a_margin_inside_zero_one():
    from helpers.plots.style import data_limits

    low, high = data_limits([0.46, 0.65, float("nan")])
    assert 0.40 < low < 0.46 and 0.65 < high < 0.71
    assert data_limits([0.0, 1.0]) == (0.0, 1.0)
    low, high = data_limits([0.7, 0.7])
    assert high - low >= 0.05 - 1e-12 and low < 0.7 < high


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


def colorbars(fig) -> list:
    """The colour-bar axes of ``fig`` with the image each one explains."""
    return [ax for ax in fig.axes if hasattr(ax, "_colorbar")]


def test_clip_overview_has_waveform_stft_and_mel_rows_with_db_colour_bars():
    fig = plots.clip_overview(tone(), SR, "one clip")
    assert fig._suptitle.get_text() == "one clip" and len(fig.axes) == 5  # 3 panels, 2 colour bars
    assert fig.axes[0].get_title() == "waveform" and fig.axes[1].get_title().startswith("STFT magnitude")
    assert fig.axes[2].get_title().startswith("log-mel spectrogram (128 bands")
    bars = colorbars(fig)
    assert len(bars) == 2 and all(ax.get_ylabel() == plots.DB_LABEL for ax in bars)
    assert [ax._colorbar.mappable.get_clim() for ax in bars] == [plots.DB_RANGE] * 2  # both on the same dB scale
    assert not fig.axes[0].xaxis.get_tick_params()["labelbottom"]  # time is read off the bottom panel


def test_genre_examples_has_one_row_per_example():
    fig = plots.genre_examples([("blues", tone()), ("jazz", tone(freq=220.0)), ("rock", tone(freq=880.0))], SR, "examples")
    assert len(fig.axes) == 9 and fig._suptitle.get_text() == "examples"  # 3 x (waveform, log-mel, colour bar)
    assert [fig.axes[i].get_ylabel() for i in (0, 2, 4)] == ["blues", "jazz", "rock"]
    assert fig.axes[0].get_title() == "waveform" and fig.axes[1].get_title().startswith("log-mel spectrogram, dB")
    bars = colorbars(fig)
    assert [ax._colorbar.mappable.axes for ax in bars] == [fig.axes[i] for i in (1, 3, 5)]  # one per spectrogram
    assert all(ax.get_ylabel() == "dB" and ax._colorbar.mappable.get_clim() == plots.DB_RANGE for ax in bars)


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


def legend_texts(fig) -> list[str]:
    return [t.get_text() for t in fig.legends[0].get_texts()]


def test_accuracy_by_protocol_draws_one_bar_per_model_and_protocol():
    records = [record("a", "random-80/20"), record("a", "fault-filtered"), record("b", "random-80/20")]
    fig = plots.accuracy_by_protocol(records, "by protocol")
    ax = fig.axes[0]
    assert len(ax.patches) == 3 and texts(ax) == ["a", "b"]
    assert ax.get_title() == "by protocol" and ax.get_ylabel() == "test accuracy (axis from 0)"
    assert ax.get_ylim() == (0, 1)  # bars: lengths from 0
    assert legend_texts(fig) == ["random-80/20 (8 test clips)", "fault-filtered (8 test clips)", "95 % bootstrap interval over test clips"]
    assert [p.get_height() for p in ax.patches] == [0.875] * 3


def test_accuracy_by_protocol_plots_the_metric_asked_for():
    records = [record("a"), record("b")]
    fig = plots.accuracy_by_protocol(records, "f1", metric="macro_f1")
    ax = fig.axes[0]
    assert ax.get_ylabel() == "test macro F1 (axis from 0)"
    assert [p.get_height() for p in ax.patches] == [records[0]["metrics"]["macro_f1"]["value"]] * 2
    with_balanced = [{**r, "metrics": {**r["metrics"], "balanced_accuracy": {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6}}}
                     for r in records]
    ax = plots.accuracy_by_protocol(with_balanced, "b", metric="balanced_accuracy").axes[0]
    assert ax.get_ylabel() == "test balanced accuracy (axis from 0)" and [p.get_height() for p in ax.patches] == [0.5, 0.5]
    older = {**records[1], "metrics": {k: v for k, v in records[1]["metrics"].items() if k != "balanced_accuracy"}}
    ax = plots.accuracy_by_protocol([with_balanced[0], older], "b", metric="balanced_accuracy").axes[0]
    assert len(ax.patches) == 1 and [t.get_text() for t in ax.texts] == ["no balanced accuracy"]  # written before it existed
    with pytest.raises(ValueError, match="unknown metric"):
        plots.accuracy_by_protocol(records, "b", metric="recall")


def test_accuracy_by_protocol_marks_failed_runs():
    broken = {**record("b", "fault-filtered"), "failure": "predicts jazz for 8 of 8 test clips"}
    empty = {**record("c", "fault-filtered"), "failure": ""}  # an empty string (or None) is no failure
    scoreless = {**record("d", "fault-filtered"), "failure": "MemoryError", "metrics": {}}
    fig = plots.accuracy_by_protocol([record("a", "fault-filtered"), broken, empty, scoreless], "with failures")
    ax = fig.axes[0]
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert [p.get_x() + p.get_width() / 2 for p in hatched] == pytest.approx([1.0, 3.0])  # models b and d
    assert [p.get_height() for p in hatched] == [0.875, 1.0]  # at its score; over the axis without one
    assert [t.get_text() for t in ax.texts] == ["failed", "failed"]
    assert legend_texts(fig) == ["fault-filtered (8 test clips)", "95 % bootstrap interval over test clips",
                                 "failed run (record's failure)"]


def test_accuracy_by_protocol_names_the_dataset_of_each_bar_when_there_are_several():
    gtzan, fma = record("a"), {**record("a"), "dataset": "fma-small"}
    fig = plots.accuracy_by_protocol([gtzan, fma, {**record("b"), "dataset": "fma-small"}], "two datasets")
    ax = fig.axes[0]
    assert texts(ax) == ["a\n(toy)", "a\n(fma-small)", "b\n(fma-small)"] and len(ax.patches) == 3
    assert texts(plots.accuracy_by_protocol([gtzan], "one").axes[0]) == ["a"]  # one dataset: the title names it


def test_bootstrap_box_shows_accuracy_and_macro_f1():
    study = pd.DataFrame({"accuracy": [0.5, 0.6, 0.7], "macro_f1": [0.4, 0.5, 0.6]})
    fig = plots.bootstrap_box(study, "retrained")
    ax = fig.axes[0]
    assert texts(ax) == ["accuracy", "macro F1"] and ax.get_title() == "retrained"
    assert [len(c.get_offsets()) for c in ax.collections] == [3, 3]  # every resample shown as a point


def curve() -> pd.DataFrame:
    """The table of helpers.models.training.training_size_curve: 3 subsets per size, one fit at 100 %."""
    return pd.DataFrame({"fraction": [0.25, 0.5, 1.0], "train_size": [10, 20, 40], "accuracy": [0.3, 0.5, 0.6],
                         "ci_low": [0.2, 0.4, 0.5], "ci_high": [0.4, 0.6, 0.7], "subset_min": [0.25, 0.45, 0.6],
                         "subset_max": [0.33, 0.52, 0.6], "fits": [3, 3, 1]})


def test_learning_curve_draws_the_mean_the_bootstrap_band_and_the_subset_range():
    fig = plots.learning_curve(curve(), "sizes")
    ax = fig.axes[0]
    (line,) = [line for line in ax.get_lines() if line.get_label().startswith("test accuracy")]
    assert list(line.get_xdata()) == [10, 20, 40] and list(line.get_ydata()) == [0.3, 0.5, 0.6]
    assert ax.get_xlabel() == "training clips" and ax.get_title() == "sizes"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "95 % bootstrap interval over test clips", "test accuracy (mean over subsets)", "range over 3 training subsets"]
    (ranges,) = [c for c in ax.containers if c.get_label() == "range over 3 training subsets"]
    segments = [segment[:, 1].tolist() for segment in ranges.lines[2][0].get_segments()]
    assert segments == [pytest.approx([0.25, 0.33]), pytest.approx([0.45, 0.52])]  # none for the single fit at 100 %
    low, high = ax.get_ylim()
    assert 0.1 < low < 0.2 and 0.7 < high < 0.8  # fitted to the data, not 0-1


def test_learning_curve_accepts_a_table_without_subset_ranges():
    ax = plots.learning_curve(curve().drop(columns=["subset_min", "subset_max", "fits"]), "old table").axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "95 % bootstrap interval over test clips", "test accuracy (mean over subsets)"]


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


def trials() -> pd.DataFrame:
    return pd.DataFrame({"trial": ["1", "0", "2"], "filters": ["32-64-128", "16-32-64", "16-32-64"],
                         "learning_rate": ["0.001", "0.0003", "0.001"], "val_accuracy": [0.65, 0.46, np.nan],
                         "best_epoch": [3, 2, 1], "status": ["COMPLETED", "COMPLETED", "FAILED"]})


def test_trial_scores_lists_trials_best_first_in_words_on_an_axis_fitted_to_the_scores():
    fig = plots.trial_scores(trials(), "trials")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "filters 32-64-128, learning rate 0.001", "filters 16-32-64, learning rate 0.0003", "filters 16-32-64, learning rate 0.001"]
    points = [line for line in ax.get_lines() if line.get_marker() == "o"]
    assert [(line.get_xdata()[0], line.get_ydata()[0]) for line in points] == [(0.65, 0), (0.46, 1)]  # points, not bars
    assert not ax.patches and ax.yaxis_inverted()
    low, high = ax.get_xlim()
    assert 0.3 < low < 0.46 and 0.65 < high < 0.9  # the 0.46-0.65 spread fills the axis
    assert [t.get_text().strip() for t in ax.texts] == ["0.650", "0.460", "no score"]
    assert fig._suptitle.get_text() == "trials"


def test_array_grid_draws_low_frequencies_at_the_bottom_when_asked():
    arrays = np.random.default_rng(0).random((3, 8, 8, 1), dtype=np.float32)
    fig = plots.array_grid(arrays, ["x", "y", "z"], "arrays", columns=3, low_first=True)
    assert [ax.get_title() for ax in fig.axes] == ["x", "y", "z"] and fig._suptitle.get_text() == "arrays"
    assert fig.axes[0].images[0].origin == "lower"
    assert plots.array_grid(arrays, ["x", "y", "z"], "arrays").axes[0].images[0].origin == "upper"


def test_excerpts_are_short_mono_low_rate_and_captioned(synthetic_dir):
    from IPython.display import Audio, Markdown

    from helpers import data

    tracks = data.load_tracks(data.discover(synthetic_dir))
    shown = []
    plots.genre_excerpts(tracks, show=shown.append)
    players = [s for s in shown if isinstance(s, Audio)]
    assert len(players) == tracks["genre"].nunique() == len(shown) // 2
    assert all(len(p.data) < 100_000 for p in players)  # a few seconds at 8 kHz, mono: the notebook stays small
    first = tracks.sort_values("track_id").iloc[0]
    wrong = {"id": [first["track_id"], "absent"], "truth": [first["genre"], "x"], "predicted": ["other", "y"]}
    shown.clear()
    plots.mistaken_excerpts(wrong, tracks, show=shown.append)  # the clip without audio is left out
    assert [s.data for s in shown if isinstance(s, Markdown)][0].startswith(f"`{first['track_id']}`: true **{first['genre']}**")
    shown.clear()
    plots.mistaken_excerpts({"id": ["a"], "truth": ["x"], "predicted": ["x"]}, tracks, show=shown.append)
    assert [s.data for s in shown] == ["No misclassified test clip has its audio here."]
