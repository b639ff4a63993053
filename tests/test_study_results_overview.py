"""Notebook 09's study as its cells call it: the records loaded, one table per experiment under its heading, one
figure per experiment, and the reading (or the line saying there is nothing to read yet)."""

import json

import pytest

from helpers import plots
from helpers.results import evaluate, report
from helpers.studies import results_overview as study

GENRES = ["blues", "jazz", "rock"]


def _record(experiment: str, model: str, right: int, protocol: str = "random-80/20", profile: str = "report",
            baseline: bool = False) -> dict:
    """A record of 30 test clips (10 per genre, blues first) whose first ``right`` (at least 10) are right; the others
    are called blues."""
    y_true = [g for g in GENRES for _ in range(10)]
    y_pred = [t if i < right else "blues" for i, t in enumerate(y_true)]
    record = evaluate.evaluate(y_true, y_pred, GENRES, experiment=experiment, model=model, dataset="synthetic",
                               protocol=protocol, representation="toy", resamples=50, seed=0,
                               extra={"baseline": True} if baseline else None)
    record["profile"] = profile
    return record


@pytest.fixture
def records():
    many = [_record("pretrained_music", f"head-{i}", 10 + i) for i in range(14)]  # more runs than a table shows
    return [_record("features_ml", "majority-class baseline", 10, baseline=True), _record("features_ml", "svm-rbf", 25),
            *many, _record("cnn_gridsearch", "base-cnn", 12, profile="smoke")]


def test_load_records_keeps_single_and_multi_label_records_apart(tmp_path, records):
    assert study.load_records(tmp_path / "absent") == ([], [])
    interval = {"value": 0.5, "ci_low": 0.4, "ci_high": 0.6}
    multi = {**records[1], "task": "multi-label", "model": "sigmoid head",
             "metrics": {name: interval for name in evaluate.MULTI_LABEL_METRICS}}
    for record in [*records[:2], multi]:  # written as saved records are, each at its own path
        path = evaluate.record_path(record, tmp_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(record))
    single, multi_label = study.load_records(tmp_path)
    assert sorted(r["model"] for r in single) == ["majority-class baseline", "svm-rbf"]
    assert [r["model"] for r in multi_label] == ["sigmoid head"]


def test_experiment_tables_head_each_table_with_its_counts(records):
    tables = study.experiment_tables(records)
    assert list(tables) == ["features_ml: 2 records on synthetic", f"pretrained_music: 14 records on synthetic, {study.TABLE_RUNS} shown",
                            "cnn_gridsearch (smoke profile): 1 records on synthetic"]
    shown = tables[f"pretrained_music: 14 records on synthetic, {study.TABLE_RUNS} shown"]
    assert len(shown) == study.TABLE_RUNS and "head-0" not in set(shown["model"]) and "head-13" in set(shown["model"])
    assert list(tables["features_ml: 2 records on synthetic"]["model"]) == ["majority-class baseline", "svm-rbf"]
    assert list(study.experiment_tables(records, runs=20))[1] == "pretrained_music: 14 records on synthetic"  # nothing left out


def test_show_experiment_tables_prints_each_heading_before_its_table(records, capsys):
    shown = []
    study.show_experiment_tables(records, show=lambda table: shown.append((capsys.readouterr().out, len(table))))
    assert shown == [("features_ml: 2 records on synthetic\n", 2),
                     (f"pretrained_music: 14 records on synthetic, {study.TABLE_RUNS} shown\n", study.TABLE_RUNS),
                     ("cnn_gridsearch (smoke profile): 1 records on synthetic\n", 1)]


def test_experiment_figures_draw_the_most_accurate_runs_of_each_experiment(records, tmp_path, monkeypatch):
    drawn = []
    original = plots.experiment_overview

    def recording(shown, title, metric="balanced_accuracy", **kwargs):
        drawn.append((title, len(shown), metric))
        return original(shown, title, metric=metric, **kwargs)

    monkeypatch.setattr(plots, "experiment_overview", recording)
    study.experiment_figures(records, tmp_path)
    assert drawn == [("features_ml on synthetic: balanced accuracy", 2, "balanced_accuracy"),
                     ("pretrained_music on synthetic: balanced accuracy", study.FIGURE_RUNS, "balanced_accuracy"),
                     ("cnn_gridsearch (smoke profile) on synthetic: balanced accuracy", 1, "balanced_accuracy")]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["09_cnn_gridsearch (smoke profile)_balanced_accuracy.png",
                                                          "09_features_ml_balanced_accuracy.png",
                                                          "09_pretrained_music_balanced_accuracy.png"]


def test_reading_joins_each_experiments_reading_or_says_there_is_none(records):
    assert study.reading([]) == study.NO_RECORDS
    assert study.reading(records) == "\n\n".join([report.protocol_reading(records[:2], "features_ml"),
                                                  report.protocol_reading(records[2:16], "pretrained_music"),
                                                  report.protocol_reading(records[16:], "cnn_gridsearch (smoke profile)")])
