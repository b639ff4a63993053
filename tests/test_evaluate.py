import json
from pathlib import Path

import numpy as np
import pytest

from helpers import cli
from helpers.results import evaluate, metrics

LABELS = ["blues", "jazz", "rock"]


def make_record(**overrides):
    y_true = ["blues"] * 10 + ["jazz"] * 10 + ["rock"] * 10
    y_pred = ["blues"] * 9 + ["jazz"] + ["jazz"] * 10 + ["rock"] * 5 + ["blues"] * 5
    arguments = dict(experiment="unit", model="m", dataset="synthetic", protocol="random-80/20", sizes={"train": 70},
                     train_seconds=1.5, params={"depth": np.int64(3)}, resamples=300, seed=0)
    arguments.update(overrides)
    return evaluate.evaluate(y_true, y_pred, LABELS, **arguments)


def test_record_metrics_intervals_and_schema():
    record = make_record()
    accuracy = record["metrics"]["accuracy"]
    assert accuracy["value"] == pytest.approx(24 / 30)
    assert accuracy["ci_low"] < accuracy["value"] < accuracy["ci_high"]
    assert 0 < accuracy["ci_high"] - accuracy["ci_low"] < 0.4
    assert record["per_genre"]["rock"]["recall"] == 0.5 and record["per_genre"]["blues"]["precision"] == pytest.approx(9 / 14)
    assert record["confusion"]["matrix"][2] == [5, 0, 5]
    assert record["sizes"] == {"train": 70, "valid": 0, "test": 30}
    assert record["schema"] == evaluate.SCHEMA_VERSION == 2
    assert record["metrics"]["balanced_accuracy"]["value"] == pytest.approx((9 / 10 + 10 / 10 + 5 / 10) / 3)
    assert record["metrics"]["macro_f1"]["ci_low"] < record["metrics"]["macro_f1"]["value"]
    assert record["sizes_per_genre"] == {"test": {"blues": 10, "jazz": 10, "rock": 10}}  # train/valid only when given
    assert record["failure"] is None
    assert set(evaluate.REQUIRED_KEYS) <= set(record)
    assert "numpy" in record["versions"] and record["params"]["depth"] == 3
    json.dumps(record)  # serialisable as it is


def test_perfect_predictions_have_a_degenerate_interval():
    y = ["blues", "jazz"] * 20
    record = evaluate.evaluate(y, y, ["blues", "jazz"], experiment="e", model="m", dataset="d", protocol="p", resamples=100)
    assert record["metrics"]["accuracy"] == {"value": 1.0, "ci_low": 1.0, "ci_high": 1.0}


def test_unknown_label_is_an_error():
    with pytest.raises(ValueError, match="not in labels"):
        evaluate.evaluate(["polka"], ["blues"], LABELS, experiment="e", model="m", dataset="d", protocol="p")


def test_save_load_summary_and_side_by_side(tmp_path):
    paths = [evaluate.save(make_record(protocol=p, model=m), tmp_path, profile="smoke")
             for p in ("random-80/20", "fault-filtered") for m in ("a", "b")]
    assert paths[0].name == "synthetic__no-input__a__random-80-20.json"
    records = evaluate.load_all(tmp_path)
    table = evaluate.summary_table(tmp_path, full=True)
    assert len(records) == 4 and len(table) == 4
    for column in ("accuracy", "balanced accuracy", "macro F1"):
        assert table[column].str.fullmatch(r"\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]").all(), column
    assert table.loc[0, "accuracy"] == evaluate.metric_cell(records[0]) and (table["status"] == "ok").all()
    assert list(table["protocol"]) == ["random-80/20"] * 2 + ["fault-filtered"] * 2
    wide = evaluate.side_by_side(records)
    assert list(wide.columns) == ["random-80/20", "fault-filtered"] and list(wide.index) == ["a", "b"]
    (tmp_path / "unit" / "broken.json").write_text("{}")
    with pytest.raises(ValueError, match="not a results record"):
        evaluate.load_all(tmp_path)


def test_cli(tmp_path, capsys):
    assert cli.run(evaluate.main, ["summary", str(tmp_path)]) == 2  # empty folder
    assert "no results records" in capsys.readouterr().err
    assert cli.run(evaluate.main, ["summary", str(tmp_path / "nowhere")]) == 2
    assert "does not exist" in capsys.readouterr().err
    evaluate.save(make_record(), tmp_path, profile="smoke")
    assert evaluate.main(["summary", str(tmp_path)]) == 0
    assert "random-80/20" in capsys.readouterr().out


@pytest.mark.parametrize("change", [{"metrics": "bad"}, {"sizes": None}, {"metrics": {"accuracy": 0.5}}])
def test_records_with_wrong_types_are_named_not_a_traceback(tmp_path, capsys, change):
    path = evaluate.save(make_record(), tmp_path, profile="smoke")
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    assert cli.run(evaluate.main, ["summary", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and path.name in err and "Traceback" not in err


def test_cli_names_a_broken_record_in_one_line(tmp_path, capsys):
    evaluate.save(make_record(), tmp_path, profile="smoke")
    (tmp_path / "unit" / "broken.json").write_text("{not json")
    assert cli.run(evaluate.main, ["summary", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "broken.json" in err and "move or delete that file" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def _reference_interval(y_true, y_pred, labels, resamples, seed, level=0.95):
    """The straightforward implementation: sklearn's f1_score and balanced_accuracy_score once per resample."""
    import warnings

    from sklearn.metrics import balanced_accuracy_score, f1_score

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    index = np.random.default_rng(seed).integers(0, len(y_true), size=(resamples, len(y_true)))
    accuracies = (y_true[index] == y_pred[index]).mean(axis=1)
    def f1(true, pred):  # sklearn over the labels that occur in this resample (true or predicted)
        present = [label for label in labels if label in set(true.tolist()) | set(pred.tolist())]
        return f1_score(true, pred, labels=present, average="macro", zero_division=0) if present else 0.0

    f1s = np.array([f1(y_true[i], y_pred[i]) for i in index])
    with warnings.catch_warnings():  # "y_pred contains classes not in y_true"
        warnings.simplefilter("ignore", UserWarning)
        balanced = np.array([balanced_accuracy_score(y_true[i], y_pred[i]) for i in index])
    tail = (1 - level) / 2 * 100
    return {"accuracy": tuple(np.percentile(accuracies, [tail, 100 - tail])),
            "balanced_accuracy": tuple(np.percentile(balanced, [tail, 100 - tail])),
            "macro_f1": tuple(np.percentile(f1s, [tail, 100 - tail]))}, f1s, balanced


BOOTSTRAP_CASES = [
    # (true labels drawn from, predicted labels drawn from, labels, test size)
    (["a", "b", "c"], ["a", "b", "c"], ["a", "b", "c"], 40),
    (["a", "b", "c", "d"], ["a", "b", "c", "d", "zz"], ["a", "b", "c", "d", "e"], 25),  # e never occurs; zz outside labels
    (["a", "b"], ["a", "b", "c"], ["a", "b", "c"], 6),  # tiny: resamples miss whole classes
    (["a", "b", "x"], ["a", "b"], ["a", "b"], 30),  # true values outside labels
    ([0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], list(range(10)), 200),  # integer codes
    (["a"], ["a", "b"], ["a", "b"], 12),  # one true class
]


@pytest.mark.parametrize("case", range(len(BOOTSTRAP_CASES)))
def test_vectorised_bootstrap_equals_sklearn_per_resample(case):
    true_pool, pred_pool, labels, n = BOOTSTRAP_CASES[case]
    rng = np.random.default_rng(case)
    y_true = np.asarray(true_pool)[rng.integers(0, len(true_pool), n)]
    # Mostly right, sometimes anything from pred_pool: realistic and full of edge cases.
    noise = np.asarray(pred_pool)[rng.integers(0, len(pred_pool), n)]
    y_pred = np.where(rng.random(n) < 0.6, y_true, noise) if set(true_pool) <= set(pred_pool) else noise
    expected, expected_f1s, expected_balanced = _reference_interval(y_true, y_pred, labels, resamples=200, seed=case)
    got = evaluate.bootstrap_interval(y_true, y_pred, labels, resamples=200, seed=case)
    assert set(got) == {"accuracy", "balanced_accuracy", "macro_f1"}
    for metric in got:
        assert got[metric] == pytest.approx(expected[metric], abs=1e-12), metric
    # Every resample, not only the two percentiles.
    index = np.random.default_rng(case).integers(0, n, size=(200, n))
    codes_true, codes_pred = metrics.label_codes(y_true, labels), metrics.label_codes(y_pred, labels)
    f1s = metrics.resampled_macro_f1(codes_true[index], codes_pred[index], len(labels))
    assert np.abs(f1s - expected_f1s).max() < 1e-12
    values, union = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    balanced = metrics.resampled_balanced_accuracy(union[:n][index], union[n:][index], len(values))
    assert np.abs(balanced - expected_balanced).max() < 1e-12


def test_macro_f1_scores_only_genres_that_occur():
    """A genre with no test clip that the model never predicts is not scored; one predicted wrongly scores 0."""
    labels = ["blues", "country", "jazz"]
    assert metrics.macro_f1(["blues", "jazz"], ["blues", "jazz"], labels) == 1.0
    assert metrics.macro_f1(["blues", "jazz"], ["blues", "country"], labels) == pytest.approx((1 + 0 + 0) / 3)
    low, high = evaluate.bootstrap_interval(["blues", "jazz"] * 10, ["blues", "jazz"] * 10, labels, resamples=50)["macro_f1"]
    assert low == high == 1.0


def test_accuracy_by_protocol_names_every_protocol_in_the_legend():
    import matplotlib.pyplot as plt

    from helpers import plots

    def record(model, protocol):
        return evaluate.evaluate(["a", "b"], ["a", "b"], ["a", "b"], experiment="e", model=model, dataset="d",
                                 protocol=protocol, resamples=10)  # not a failed run: those get no bar

    # The first model lacks the second protocol: its legend entry must still appear.
    fig = plots.accuracy_by_protocol([record("m1", "random-70/10/20"), record("m2", "random-50/20/30")], "t")
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]  # the figure's or the axes' legend
    legend = [t.get_text() for box in legends if box is not None for t in box.get_texts()]
    assert [t for t in legend if t.startswith("random")] == ["random-70/10/20 (2 test clips)", "random-50/20/30 (2 test clips)"]
    plt.close(fig)
    # one model name on two inputs (the baselines of two inputs): two groups, each named by its input
    twins = [{**record("baseline", "random-70/10/20"), "representation": rep} for rep in ("images", "log-mel")]
    fig = plots.accuracy_by_protocol(twins, "t")
    assert len(fig.axes[0].patches) == 2 and [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["baseline\nimages",
                                                                                                     "baseline\nlog-mel"]
    plt.close(fig)


@pytest.mark.filterwarnings("ignore:y_pred contains classes not in y_true")
def test_balanced_accuracy_is_sklearns_mean_recall_over_genres_in_the_test_set():
    from sklearn.metrics import balanced_accuracy_score

    y_true = ["blues"] * 8 + ["rock"] * 2  # jazz absent from the test set: not in the mean
    y_pred = ["blues"] * 8 + ["jazz", "rock"]
    record = evaluate.evaluate(y_true, y_pred, LABELS, experiment="e", model="m", dataset="d", protocol="p", resamples=50)
    assert record["metrics"]["balanced_accuracy"]["value"] == pytest.approx(balanced_accuracy_score(y_true, y_pred)) == 0.75
    assert record["metrics"]["accuracy"]["value"] == 0.9


GENRES = ["blues", "classical", "country", "disco", "hiphop", "jazz", "metal", "pop", "reggae", "rock"]


def real_failure(train_accuracy=0.289, predicted_rock=104, baseline=False, with_train_counts=True):
    """The failed own-PNG run: 118 test clips (28 rock), ``predicted_rock`` of them predicted rock."""
    y_true = ["rock"] * 28 + ["blues"] * 30 + ["classical"] * 30 + ["jazz"] * 30
    others = [g for g in y_true if g != "rock"]
    y_pred = ["rock"] * predicted_rock + others[: 118 - predicted_rock]
    train = ["rock"] * 54 + ["blues"] * 50 + ["classical"] * 50 + ["jazz"] * 40 + ["pop"] * 6  # majority share 54/200 = 0.27
    extra = {"train_accuracy": train_accuracy} | ({"baseline": True} if baseline else {})
    return evaluate.evaluate(y_true, y_pred, GENRES, experiment="e", model="base-cnn (own PNGs)", dataset="gtzan",
                             protocol="fault-filtered", resamples=50, extra=extra, train_genres=train if with_train_counts else None)


def test_failure_names_a_run_that_did_not_learn_and_one_that_predicts_one_genre():
    record = real_failure()
    assert evaluate.majority_share(record) == 0.27
    assert record["failure"] == evaluate.failure(record) == (
        "did not learn: training accuracy 0.29 (majority share 0.27); predicts rock for 104 of 118 test clips")
    assert evaluate.status(record).startswith("FAILED: did not learn")
    assert evaluate.failure(real_failure(train_accuracy=0.6)) == "predicts rock for 104 of 118 test clips"
    assert evaluate.failure(real_failure(train_accuracy=0.6, predicted_rock=58)) is None  # under half of the predictions
    # 0.27 + 0.10 x (1 - 0.27) = 0.343: at most that did not learn
    assert evaluate.failure(real_failure(train_accuracy=0.343, predicted_rock=30)).startswith("did not learn")
    assert evaluate.failure(real_failure(train_accuracy=0.344, predicted_rock=30)) is None
    # Without training counts the majority share is 1 / number of genres.
    assert evaluate.failure(real_failure(train_accuracy=0.19, predicted_rock=30, with_train_counts=False)) == (
        "did not learn: training accuracy 0.19 (majority share 0.10)")
    assert evaluate.failure(real_failure(train_accuracy=0.21, predicted_rock=30, with_train_counts=False)) is None
    # Baselines predict one genre on purpose: never failed.
    assert real_failure(baseline=True)["failure"] is None and evaluate.status(real_failure(baseline=True)) == "ok"


def test_a_genre_predicted_often_because_it_is_frequent_is_not_a_failure():
    y_true = ["rock"] * 60 + ["jazz"] * 40
    y_pred = ["rock"] * 60 + ["rock"] * 20 + ["jazz"] * 20  # 80 % rock predicted, 60 % rock true: more than half as frequent
    record = evaluate.evaluate(y_true, y_pred, ["jazz", "rock"], experiment="e", model="m", dataset="d", protocol="p", resamples=20)
    assert record["failure"] is None
    record = evaluate.evaluate(y_true[20:], ["rock"] * 80, ["jazz", "rock"], experiment="e", model="m", dataset="d",
                               protocol="p", resamples=20)  # 40 of 80 true rock: exactly half as frequent
    assert record["failure"] == "predicts rock for 80 of 80 test clips"


def test_sizes_per_genre_and_missing_genres():
    record = make_record(sizes=None, train_genres=["blues"] * 5 + ["jazz"] * 3, valid_genres=np.array(["jazz", "jazz"]))
    assert record["sizes_per_genre"] == {"train": {"blues": 5, "jazz": 3, "rock": 0}, "valid": {"blues": 0, "jazz": 2, "rock": 0},
                                         "test": {"blues": 10, "jazz": 10, "rock": 10}}
    assert record["sizes"] == {"train": 8, "valid": 2, "test": 30}  # counted when not given
    assert make_record(train_genres=["blues"])["sizes"]["train"] == 70  # given sizes win
    assert evaluate.missing_genres(record) == {"train": ["rock"], "valid": ["blues", "rock"], "test": []}
    with pytest.raises(ValueError, match="train genres \\['polka'\\] are not in labels"):
        make_record(train_genres=["polka"])
    json.dumps(record)


def test_load_all_refuses_schema_1_records_and_says_to_rerun_the_notebook(tmp_path, capsys):
    path = evaluate.save(make_record(experiment="cnn_gridsearch"), tmp_path, profile="smoke")
    old = json.loads(path.read_text())
    del old["metrics"]["balanced_accuracy"]
    path.write_text(json.dumps({**old, "schema": 1}))
    with pytest.raises(ValueError, match="schema 1 record without balanced_accuracy; re-run the notebook that wrote it "
                                         "\\(experiment cnn_gridsearch\\)"):
        evaluate.load_all(tmp_path)
    assert cli.run(evaluate.main, ["summary", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and "re-run the notebook" in err and "move or delete" not in err


def test_runs_that_differ_in_any_identity_field_get_their_own_files(tmp_path):
    """The defect of issue 20: the features CSV's baseline and the audio LSTM's baseline shared one file."""
    csv = make_record(model="majority-class baseline", representation="features_30_sec.csv")
    audio = make_record(model="majority-class baseline", representation="per-frame feature sequences from audio")
    seeded = [make_record(params={"seed": seed}) for seed in (0, 1)]
    variant = make_record(extra={"variant": "masks"})
    records = [csv, audio, *seeded, variant, make_record()]
    paths = [evaluate.save(record, tmp_path, profile="smoke") for record in records]
    assert len(set(paths)) == len(records)
    assert paths[0].name == "synthetic__features_30_sec.csv__majority-class-baseline__random-80-20.json"
    assert paths[2].name.endswith("__seed0.json") and paths[4].name.endswith("__masks.json")
    assert len(evaluate.load_all(tmp_path)) == len(records)
    assert all(evaluate.record_path(r, tmp_path) == Path(r["_path"]) for r in evaluate.load_all(tmp_path))


def test_save_replaces_the_same_run_and_refuses_another_runs_file(tmp_path):
    first = make_record(model="a b")
    path = evaluate.save(first, tmp_path, profile="smoke")
    again = make_record(model="a b", resamples=100)  # the same run, re-run: replaced
    assert evaluate.save(again, tmp_path, profile="smoke") == path and json.loads(path.read_text())["bootstrap"]["resamples"] == 100
    other = make_record(model="a-b")  # another run whose name makes the same file name
    assert evaluate.record_path(other, tmp_path) == path
    with pytest.raises(evaluate.RecordCollision, match="holds the run"):
        evaluate.save(other, tmp_path, profile="smoke")
    path.write_text("my notes")  # not a record: never overwritten
    with pytest.raises(evaluate.RecordCollision, match="not a results record"):
        evaluate.save(first, tmp_path, profile="smoke")
    assert path.read_text() == "my notes"


def test_failure_is_judged_once_and_read_from_the_record():
    record = real_failure()
    assert record["failure"] == evaluate.judge(record) and evaluate.failure(record) == record["failure"]
    record["extra"]["train_accuracy"] = 0.9  # a reader never re-judges a stored verdict
    assert evaluate.failure(record) == record["failure"] != evaluate.judge(record)
    del record["failure"]  # a record written before verdicts were stored is judged when read
    assert evaluate.failure(record) == evaluate.judge(record)


def test_protocol_suffix_orders_after_its_base_and_saves_to_its_own_file(tmp_path):
    assert evaluate.parse_protocol("random-80/20@442") == ("random-80/20", 442)
    assert evaluate.parse_protocol("random-80/20") == ("random-80/20", None)
    assert evaluate.parse_protocol("odd@name") == ("odd@name", None)
    order = evaluate._protocol_order(["fault-filtered", "mine@5", "random-80/20@442", "mine", "random-80/20@100", "random-80/20",
                                      "random-70/10/20"])
    assert order == ["random-70/10/20", "random-80/20", "random-80/20@100", "random-80/20@442", "fault-filtered", "mine", "mine@5"]
    paths = {evaluate.save(make_record(protocol=p), tmp_path, profile="smoke").name for p in ("random-80/20", "random-80/20@442")}
    assert paths == {"synthetic__no-input__m__random-80-20.json", "synthetic__no-input__m__random-80-20-n442.json"}
    records = [make_record(protocol=p, model=m) for p in ("fault-filtered", "random-80/20@442", "random-80/20") for m in ("a", "b")]
    assert list(evaluate.side_by_side(records).columns) == ["random-80/20", "random-80/20@442", "fault-filtered"]
    assert list(evaluate.summary_table(records)["protocol"]) == ["random-80/20"] * 2 + ["random-80/20@442"] * 2 + ["fault-filtered"] * 2


def baseline(protocol="random-80/20"):
    return evaluate.evaluate(["blues"] * 10 + ["jazz"] * 10 + ["rock"] * 10, ["blues"] * 30, LABELS, experiment="unit",
                             model="majority-class baseline", dataset="synthetic", protocol=protocol, resamples=50,
                             extra={"baseline": True}, train_genres=["blues"] * 30 + ["jazz"] * 20)


def test_tables_show_three_metrics_status_and_baselines_first():
    failed = real_failure()
    records = [make_record(model="a"), baseline(), failed, make_record(model="a", protocol="fault-filtered"),
               baseline("fault-filtered")]
    summary = evaluate.summary_table(records)
    assert list(summary["model"][:3]) == ["majority-class baseline", "a", "majority-class baseline"]
    assert summary["status"].tolist()[-1].startswith("FAILED: did not learn: training accuracy 0.29")
    seeded = [make_record(model="cnn", params={"training": {"seed": s}}) for s in (42, 43)]
    assert list(evaluate.summary_table(seeded + [make_record()])["model"]) == ["cnn (seed 42)", "cnn (seed 43)", "m"]
    assert summary[evaluate.BALANCED_F1_COLUMN].str.fullmatch(r"\d\.\d{3} / \d\.\d{3}").all() and len(summary.columns) <= 8
    wide = evaluate.side_by_side(records, "balanced_accuracy")
    assert list(wide.index) == ["majority-class baseline", "a", "base-cnn (own PNGs)"]
    assert wide.loc["base-cnn (own PNGs)", "fault-filtered"] == evaluate.metric_cell(failed, "balanced_accuracy") + " (failed)"
    assert wide.loc["a", "fault-filtered"] == evaluate.metric_cell(records[3], "balanced_accuracy")
    assert wide.loc["majority-class baseline", "random-80/20"].startswith("0.333 [")  # one genre of three recalled
    table = evaluate.accuracy_table(records)
    assert list(table["model"][:2]) == ["majority-class baseline", "a"]
    assert table.loc[table["model"] == "base-cnn (own PNGs)", "train / valid acc."].item().startswith("0.289 / ")
    assert table["test acc. [95 % CI]"].str.fullmatch(r"\d\.\d{3} \[\d\.\d{3}, \d\.\d{3}\]").all()
    assert {s.split(" · ")[0] for s in table["status"]} == {"ok", evaluate.status(failed)} and len(table.columns) <= 8
    mixed = evaluate.accuracy_table([make_record(model="a"), make_record(model="a", dataset="synthetic-4genres",
                                                                         representation="log-mel")])
    assert list(mixed["dataset"]) == ["synthetic", "synthetic-4genres"] and list(mixed["model"]) == ["a (input not recorded)",
                                                                                                     "a (log-mel)"]
    assert len(mixed.columns) <= 8
    assert evaluate.metric_matrix(records).loc["a", "random-80/20"] == records[0]["metrics"]["accuracy"]["value"]


def test_support_table_counts_clips_per_genre_part_and_protocol():
    records = [baseline(), make_record(train_genres=["blues"] * 30 + ["jazz"] * 20), real_failure()]
    table = evaluate.support_table(records)
    assert table.loc["blues", ("random-80/20", "train")] == 30 and table.loc["rock", ("random-80/20", "train")] == 0
    assert table.loc["total", ("random-80/20", "test")] == 30
    assert table.loc["rock", ("fault-filtered", "test")] == 28 and table.loc["pop", ("fault-filtered", "train")] == 6
    assert table.loc["pop", ("random-80/20", "test")] == 0  # a genre of another record's labels
    # Two different count sets under one protocol get one column group each, named by input.
    other = make_record(representation="other input", train_genres=["rock"] * 5)
    assert ("random-80/20 (other input)", "train") in evaluate.support_table([*records, other]).columns
    assert evaluate.support_table([]).empty


def test_multi_label_records_are_loaded_only_when_asked(tmp_path):
    from helpers.models import multigenre

    single = evaluate.evaluate(["a", "b"], ["a", "a"], ["a", "b"], experiment="x", model="m", dataset="d", protocol="p", resamples=10)
    multi = multigenre.multi_genre_record([["a", "b"], ["b", "c"]], np.array([[0.6, 0.5, 0.1], [0.1, 0.7, 0.2]]), ["a", "b", "c"],
                                          0.3, model="m2", dataset="d", protocol="p", mode="mix", sizes={"train": 4},
                                          threshold_source="test", resamples=10)
    evaluate.save(single, tmp_path, profile="smoke")
    evaluate.save(multi, tmp_path, profile="smoke")
    assert [r["model"] for r in evaluate.load_all(tmp_path)] == ["m"]  # every accuracy table reads single-label records
    assert [r["model"] for r in evaluate.load_all(tmp_path, "multi-label")] == ["m2"]
    assert len(evaluate.load_all(tmp_path, "all")) == 2
    with pytest.raises(ValueError, match="valid: single-label, multi-label, all"):
        evaluate.load_all(tmp_path, "multi")


def test_committed_records_live_at_their_identity_path():
    """Every committed record's file is the one its identity names, so no two runs of a render share a file."""
    from .conftest import REPO

    records = evaluate.load_all(REPO / "results", "all")
    assert records, "no committed records"
    misplaced = [r["_path"] for r in records if evaluate.record_path(r, REPO / "results") != Path(r["_path"])]
    assert not misplaced, f"records not at their identity path (re-save them): {misplaced[:3]}"


def test_a_saved_record_names_the_profile_of_its_run(tmp_path):
    record = make_record()
    assert record["profile"] is None  # made, not yet saved for a run
    with pytest.raises(ValueError, match="name its profile"):
        evaluate.save(record, tmp_path, profile="")
    path = evaluate.save(record, tmp_path, profile="paper")
    assert json.loads(path.read_text())["profile"] == "paper"
