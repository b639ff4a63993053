import json

import numpy as np
import pytest

from helpers import cli, evaluate

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
    paths = [evaluate.save(make_record(protocol=p, model=m), tmp_path) for p in ("random-80/20", "fault-filtered") for m in ("a", "b")]
    assert paths[0].name == "synthetic__a__random-80-20.json"
    records = evaluate.load_all(tmp_path)
    table = evaluate.summary_table(tmp_path)
    assert len(records) == 4 and len(table) == 4
    assert table["accuracy 95% CI"].str.match(r"\d\.\d{3}-\d\.\d{3}").all()
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
    evaluate.save(make_record(), tmp_path)
    assert evaluate.main(["summary", str(tmp_path)]) == 0
    assert "random-80/20" in capsys.readouterr().out


@pytest.mark.parametrize("change", [{"metrics": "bad"}, {"sizes": None}, {"metrics": {"accuracy": 0.5}}])
def test_records_with_wrong_types_are_named_not_a_traceback(tmp_path, capsys, change):
    path = evaluate.save(make_record(), tmp_path)
    path.write_text(json.dumps({**json.loads(path.read_text()), **change}))
    assert cli.run(evaluate.main, ["summary", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and path.name in err and "Traceback" not in err


def test_cli_names_a_broken_record_in_one_line(tmp_path, capsys):
    evaluate.save(make_record(), tmp_path)
    (tmp_path / "unit" / "broken.json").write_text("{not json")
    assert cli.run(evaluate.main, ["summary", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "broken.json" in err and "move or delete that file" in err
    assert err.count("\n") == 1 and "Traceback" not in err


def _reference_interval(y_true, y_pred, labels, resamples, seed, level=0.95):
    """The former implementation: sklearn's f1_score once per resample."""
    from sklearn.metrics import f1_score

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    index = np.random.default_rng(seed).integers(0, len(y_true), size=(resamples, len(y_true)))
    accuracies = (y_true[index] == y_pred[index]).mean(axis=1)
    f1s = np.array([f1_score(y_true[i], y_pred[i], labels=list(labels), average="macro", zero_division=0) for i in index])
    tail = (1 - level) / 2 * 100
    return {"accuracy": tuple(np.percentile(accuracies, [tail, 100 - tail])),
            "macro_f1": tuple(np.percentile(f1s, [tail, 100 - tail]))}, f1s


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
    expected, expected_f1s = _reference_interval(y_true, y_pred, labels, resamples=200, seed=case)
    got = evaluate.bootstrap_interval(y_true, y_pred, labels, resamples=200, seed=case)
    for metric in ("accuracy", "macro_f1"):
        assert got[metric] == pytest.approx(expected[metric], abs=1e-12)
    # Every resample, not only the two percentiles.
    index = np.random.default_rng(case).integers(0, n, size=(200, n))
    codes_true, codes_pred = evaluate._label_codes(y_true, labels), evaluate._label_codes(y_pred, labels)
    f1s = evaluate._resampled_macro_f1(codes_true[index], codes_pred[index], len(labels))
    assert np.abs(f1s - expected_f1s).max() < 1e-12


def test_bootstrap_of_a_thousand_resamples_is_fast():
    import time

    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 10, 1000)
    y_pred = np.where(rng.random(1000) < 0.7, y_true, rng.integers(0, 10, 1000))
    start = time.perf_counter()
    evaluate.bootstrap_interval(y_true, y_pred, list(range(10)), resamples=1000)
    assert time.perf_counter() - start < 0.5  # one f1_score call per resample took over 1 s here


def test_accuracy_by_protocol_names_every_protocol_in_the_legend():
    import matplotlib.pyplot as plt

    from helpers import plots

    def record(model, protocol):
        return evaluate.evaluate(["a", "b"], ["a", "a"], ["a", "b"], experiment="e", model=model, dataset="d",
                                 protocol=protocol, resamples=10)

    # The first model lacks the second protocol: its legend entry must still appear.
    fig = plots.accuracy_by_protocol([record("m1", "random-70/10/20"), record("m2", "random-50/20/30")], "t")
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["random-70/10/20", "random-50/20/30"]
    plt.close(fig)
