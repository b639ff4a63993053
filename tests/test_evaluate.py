import json

import numpy as np
import pytest

from helpers import evaluate

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
    assert evaluate.main(["summary", str(tmp_path)]) == 1
    evaluate.save(make_record(), tmp_path)
    assert evaluate.main(["summary", str(tmp_path)]) == 0
    assert "random-80/20" in capsys.readouterr().out


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
