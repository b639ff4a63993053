import ast
import json

import pytest

from helpers import cli
from helpers.results import evaluate, report, seed_reports

from .conftest import REPO

GENRES = ["blues", "jazz", "pop", "rock"]


def run(model, protocol, right, n=200, dataset="gtzan", representation="features_30_sec.csv", **kwargs):
    """A record with ``right`` of ``n`` balanced test clips right; mistakes go to the next genre (no failed run)."""
    per, k = n // len(GENRES), right // len(GENRES)
    y_true = [g for g in GENRES for _ in range(per)]
    y_pred = [p for i, g in enumerate(GENRES) for p in [g] * k + [GENRES[(i + 1) % len(GENRES)]] * (per - k)]
    return evaluate.evaluate(y_true, y_pred, GENRES, experiment="unit", model=model, dataset=dataset, protocol=protocol,
                             representation=representation, resamples=300, **kwargs)


def failed_run(protocol="fault-filtered", model="base-cnn"):
    return run(model, protocol, 100, representation="Kaggle images", extra={"train_accuracy": 0.3},
               train_genres=GENRES * 50)  # majority share 0.25: 0.3 did not learn


def baseline(protocol):
    y_true = [g for g in GENRES for _ in range(50)]
    return evaluate.evaluate(y_true, ["blues"] * 200, GENRES, experiment="unit", model="majority-class baseline", dataset="gtzan",
                             protocol=protocol, representation="features_30_sec.csv", resamples=300, extra={"baseline": True})


@pytest.fixture(scope="module")
def records():
    return [
        run("xgboost-tuned", "random-80/20", 160, sizes={"train": 800}),  # 0.80: the seed's 0.79 inside our interval
        run("xgboost-tuned", "random-80/20@640", 140, sizes={"train": 640}),  # the equal-size control
        run("xgboost-tuned", "fault-filtered", 120, n=288, sizes={"train": 640}),
        run("xgboost", "random-80/20", 100, sizes={"train": 800}),  # 0.50: the seed's 0.775 outside
        run("svm-rbf", "random-80/20", 180, sizes={"train": 800}),  # no seed number
        run("xgboost-tuned", "random-80/20", 200, dataset="synthetic"),  # another dataset: no seed comparison
        baseline("random-80/20"),
        run("base-cnn", "random-70/10/20", 120, representation="Kaggle images", extra={"train_accuracy": 0.7}),
        failed_run(),
    ]


def test_describe_quotes_the_record_or_names_the_failure(records):
    line = report.describe(records[0])
    assert line.startswith("**xgboost-tuned**, random-80/20 (features_30_sec.csv; 800 train / 200 test clips): ")
    for name, label in (("accuracy", "accuracy"), ("balanced_accuracy", "balanced accuracy"), ("macro_f1", "macro-F1")):
        assert f"{label} {evaluate.metric_cell(records[0], name)}" in line
    failed = report.describe(records[-1])
    assert failed == ("**base-cnn**, fault-filtered (Kaggle images; 200 train / 200 test clips): **failed run**: "
                      "did not learn: training accuracy 0.30 (majority share 0.25)")
    assert "[" not in failed  # no interval of a failed run


def test_coverage_names_genres_without_training_or_test_clips():
    complete = run("knn", "random-80/20", 120, train_genres=GENRES * 3)
    gap = evaluate.evaluate(["blues", "jazz"], ["blues", "jazz"], GENRES, experiment="e", model="knn", dataset="gtzan",
                            protocol="fault-filtered", representation="features", resamples=20, train_genres=["blues", "rock"])
    text = report.coverage([gap, complete], "GTZAN (real)")
    assert text.splitlines()[0] == "Genres per split part (GTZAN (real)):"
    assert "- **random-80/20**: every genre has training and test clips" in text
    assert "- **fault-filtered**: no training clip of jazz, pop; no test clip of pop, rock" in text
    assert text.index("random-80/20") < text.index("fault-filtered")
    assert "not recorded" in report.coverage([run("knn", "random-80/20", 120)], "x")  # no training counts given


def test_protocol_reading_picks_by_balanced_accuracy_and_never_quotes_a_failed_run(records):
    # On an unbalanced test set, the best by accuracy and the best by balanced accuracy differ.
    y_true = ["blues"] * 20 + ["jazz"] * 5 + ["rock"] * 5
    by_accuracy = evaluate.evaluate(y_true, ["blues"] * 30, ["blues", "jazz", "rock"], experiment="e", model="A", dataset="d",
                                    protocol="random-80/20", resamples=50)
    by_balance = evaluate.evaluate(y_true, ["blues"] * 8 + ["jazz", "rock"] * 6 + ["jazz"] * 5 + ["rock"] * 5, ["blues", "jazz", "rock"],
                                   experiment="e", model="B", dataset="d", protocol="random-80/20", resamples=50)
    assert by_accuracy["metrics"]["accuracy"]["value"] > by_balance["metrics"]["accuracy"]["value"]
    assert "best by balanced accuracy: **B**" in report.protocol_reading([by_accuracy, by_balance], "d")

    text = report.protocol_reading(records[:5] + records[6:], "GTZAN")
    lines = text.splitlines()
    assert lines[0] == "Per split protocol (GTZAN):"
    random_line = next(line for line in lines if line.startswith("- **random-80/20**:"))
    assert f"best by balanced accuracy: **svm-rbf** (features_30_sec.csv; 800 train / 200 test clips): {report.metrics(records[4])}" \
        in random_line
    assert f"majority-class baseline: {report.metrics(records[6])}" in random_line
    fixed_line = next(line for line in lines if line.startswith("- **fault-filtered**:"))
    assert "failed, not results: **base-cnn** (did not learn: training accuracy 0.30 (majority share 0.25))" in fixed_line
    assert evaluate.metric_cell(records[-1]) not in text  # the failed run's numbers are never quoted
    gap = next(line for line in lines if line.startswith("- **xgboost-tuned**"))
    assert gap == ("- **xgboost-tuned** (features_30_sec.csv): random-80/20 minus fault-filtered: accuracy +0.383, "
                   "balanced accuracy +0.383 (800 vs 640 training clips); at equal training size (random-80/20@640, 640 training "
                   "clips): accuracy +0.283, balanced accuracy +0.283")
    assert "- **base-cnn** (Kaggle images): no difference measured: the fault-filtered run failed (did not learn" in text
    failed_control = failed_run("random-80/20@640", model="xgboost-tuned")
    failed_control["representation"] = "features_30_sec.csv"
    assert ("the equal-size control random-80/20@640 failed (did not learn"
            in report.protocol_reading([records[0], records[2], failed_control], "GTZAN"))
    only_failed = report.protocol_reading([failed_run(), baseline("fault-filtered")], "GTZAN")
    assert "- **fault-filtered**: every model run failed; majority-class baseline: " in only_failed
    for causal in ("because", "due to", "leak", "caus", "artist"):
        assert causal not in text.lower()


def test_seed_comparison_sets_the_seed_beside_ours(records):
    table = report.seed_comparison(records)
    assert list(table["model"]) == ["xgboost-tuned", "xgboost", "base-cnn"]  # seed order; svm-rbf and synthetic left out
    tuned = table.iloc[0]
    assert tuned["seed"] == seed_reports.value("xgboost-tuned") and tuned["seed report"] == "features report"
    assert tuned["ours"] == evaluate.metric_cell(records[0]) and tuned["seed in our CI"] is True
    assert (tuned["fixed protocol"], tuned["ours, fixed"], tuned["fixed train"], tuned["fixed test"]) == (
        "fault-filtered", evaluate.metric_cell(records[2]), 640, 288)
    assert table.iloc[1]["seed in our CI"] is False and table.iloc[1]["fixed protocol"] is None
    cnn = table.iloc[2]
    assert cnn["protocol"] == "random-70/10/20" and cnn["status"] == "ok"
    assert cnn["ours, fixed"] == evaluate.metric_cell(records[-1]) + " (failed)" and cnn["fixed status"].startswith("FAILED: ")
    failed = report.seed_comparison([failed_run("random-70/10/20")]).iloc[0]
    assert failed["seed in our CI"] is None and failed["ours"].endswith(" (failed)")
    assert report.seed_comparison([records[4]]).empty


def test_readme_table_rows_come_from_seed_comparison(records):
    table = report.readme_table(records)
    lines = table.splitlines()
    assert len(lines) == 2 + len(report.seed_comparison(records))
    tuned = lines[2].split(" | ")
    assert tuned[0] == "| xgboost-tuned" and tuned[3] == "0.79" and tuned[5] == "yes"
    assert tuned[4] == f"{evaluate.metric_cell(records[0])} (random-80/20; 800 / 200)"
    assert tuned[6] == f"{evaluate.metric_cell(records[2])} (fault-filtered; 640 / 288)"
    assert lines[3].split(" | ")[5] == "no" and lines[3].split(" | ")[6] == ""
    assert "(failed)" in lines[4]
    assert "No results record matches" in report.readme_table([records[4]])


def test_report_types_no_number():
    """Numbers in the prose come from the records: no function holds a float literal (the method's few constants
    are named at module level)."""
    tree = ast.parse((REPO / "helpers" / "results" / "report.py").read_text())
    functions = [node for node in tree.body if isinstance(node, ast.FunctionDef)]
    floats = [(f.name, node.value) for f in functions for node in ast.walk(f)
              if isinstance(node, ast.Constant) and isinstance(node.value, float)]
    assert floats == []
    constants = [node for node in tree.body if isinstance(node, ast.Assign) and any(
        isinstance(c, ast.Constant) and isinstance(c.value, float) for c in ast.walk(node))]
    assert {target.id for node in constants for target in node.targets} <= {"INTERVAL_PERCENTILES", "PARITY_TARGET", "SAME_RANKS"}


README = "# Title\n\ntext before\n\n{start}\nold typed table\n{end}\n\ntext after\n"


def write_readme(tmp_path, text=None):
    path = tmp_path / "README.md"
    path.write_text(text if text is not None else README.format(start=report.MARKERS[0], end=report.MARKERS[1]))
    return path


def test_rewrite_readme_replaces_only_the_section():
    text = README.format(start=report.MARKERS[0], end=report.MARKERS[1])
    new = report.rewrite_readme(text, "NEW\n")
    assert new == README.format(start=report.MARKERS[0], end=report.MARKERS[1]).replace("old typed table", "NEW")
    assert report.rewrite_readme(new, "NEW") == new
    for broken in (text.replace(report.MARKERS[1], ""), text.replace(report.MARKERS[0], "").replace("text after", report.MARKERS[0]),
                   text + report.MARKERS[0]):
        with pytest.raises(ValueError, match="once each and in that order"):
            report.rewrite_readme(broken, "NEW")


def test_cli_rewrites_checks_and_reports_mistakes(tmp_path, capsys, records):
    results = tmp_path / "results"
    for record in records:
        evaluate.save(dict(record), results, profile="report")
    # A smoke record beside them: the README quotes the report profile only.
    evaluate.save({**records[0], "model": "smoke-only-model"}, results / "smoke", profile="smoke")
    readme = write_readme(tmp_path)
    (tmp_path / "docs").mkdir()
    details = write_readme(tmp_path / "docs")
    details = details.rename(tmp_path / "docs" / "results.md")
    args = ["readme", "--results", str(results), "--readme", str(readme)]
    assert cli.run(report.main, [*args, "--check"]) == 1
    assert capsys.readouterr().err == report.STALE + "\n"
    assert readme.read_text().count("old typed table") == 1  # --check changes nothing
    assert cli.run(report.main, args) == 0
    text = readme.read_text()
    loaded = report.load_records(results, profile="report")
    assert len(loaded) == len(records) and "smoke-only-model" not in text
    assert text == report.rewrite_readme(README.format(start=report.MARKERS[0], end=report.MARKERS[1]), report.readme_summary(loaded))
    assert report.overview_markdown(report.seed_overview(loaded)) in text and "text before" in text and "text after" in text
    full = details.read_text()
    assert report.readme_table(loaded) in full
    assert "Failed runs among the records (not results):" in full and "- base-cnn, fault-filtered" in full
    assert cli.run(report.main, [*args, "--check"]) == 0
    capsys.readouterr()

    def error(argv):
        assert cli.run(report.main, argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1
        return err

    empty = tmp_path / "empty"
    empty.mkdir()
    unmarked = write_readme(empty, "no markers")
    assert "once each and in that order" in error(["readme", "--results", str(results), "--readme", str(unmarked),
                                                   "--details", str(details)])
    assert "no results records" in error(["readme", "--results", str(empty), "--readme", str(readme)])
    assert "is not a folder" in error(["readme", "--results", str(tmp_path / "none"), "--readme", str(readme)])
    assert "is not a file" in error(["readme", "--results", str(results), "--readme", str(tmp_path / "none.md")])
    assert "is not a file; give the page to rewrite (--details)" in error([*args, "--details", str(tmp_path / "none.md")])
    path = next(results.rglob("*.json"))
    old = json.loads(path.read_text())
    del old["metrics"]["balanced_accuracy"]
    path.write_text(json.dumps(old))
    assert "re-run the notebook" in error(args)


def test_readme_results_section_is_current():
    committed = [json.loads(path.read_text()) for path in sorted((REPO / "results").rglob("*.json"))]
    old = [record for record in committed if record.get("schema", 1) < 2]
    if old:
        pytest.skip(f"{len(old)} of the committed records under results/ are schema 1 (no balanced accuracy); "
                    "re-render the notebooks, then run python -m helpers.results.report readme")
    assert committed, "no committed results records"
    argv = ["readme", "--check", "--results", str(REPO / "results"), "--readme", str(REPO / "README.md")]
    assert cli.run(report.main, argv) == 0, report.STALE


def test_readings_keep_datasets_apart():
    """A balanced subset's records are never ranked against the whole dataset's."""
    whole = run("lstm", "random-80/20", 120, dataset="gtzan")
    subset = run("lstm", "random-80/20", 180, dataset="gtzan-4genres")
    text = report.protocol_reading([whole, subset], "audio")
    assert "- **gtzan: random-80/20**" in text and "- **gtzan-4genres: random-80/20**" in text
    assert "gtzan-4genres" in report.coverage([whole, subset], "audio")


def test_gaps_leave_out_baselines_and_name_the_dataset_when_there_are_several():
    rows = [run("lstm", "random-80/20", 160, dataset=d, sizes={"train": 300}) for d in ("gtzan", "gtzan-4genres")]
    rows += [run("lstm", "fault-filtered", 100, dataset=d, sizes={"train": 250}) for d in ("gtzan", "gtzan-4genres")]
    text = report.protocol_reading([*rows, baseline("random-80/20"), baseline("fault-filtered")], "audio")
    assert "- **lstm, gtzan** (" in text and "- **lstm, gtzan-4genres** (" in text
    assert "**majority-class baseline**" not in text.split("Measured differences")[1]


def test_gaps_pair_each_training_seed_with_its_own_and_name_it():
    # one network trained with seeds 42 and 43 on both splits: two gaps, each named by its seed, none overwritten
    rows = [run("cnn", p, right, sizes={"train": 300}, params={"training": {"seed": s}})
            for s, (random_right, fixed_right) in ((42, (160, 100)), (43, (180, 120))) for p, right in
            (("random-80/20", random_right), ("fault-filtered", fixed_right))]
    text = report.protocol_reading(rows, "audio")
    gaps = text.split("Measured differences")[1]
    assert "**cnn, training seed 42**" in gaps and "**cnn, training seed 43**" in gaps
    assert gaps.count("random-80/20 minus fault-filtered: accuracy +0.300") == 2
    assert report.seed_suffix(rows[:2])(rows[0]) == ""  # one seed: no seed named


def test_sizes_of_a_leaky_run_count_its_units_and_say_it_is_leaky():
    leaky = {"sizes": {"train": 2657, "valid": 380, "test": 760}, "extra": {"leaky": True, "unit": "segment"}}
    assert report.sizes(leaky).startswith("2657 train / 380 valid / 760 test segments (leaky")
    assert report.sizes({"sizes": {"train": 8, "valid": 0, "test": 2}}) == "8 train / 2 test clips"


def test_top_counts_a_run_repeated_over_seeds_once_and_keeps_its_seeds():
    seeded = [run("cnn", "fault-filtered", right, params={"training": {"seed": s}}) for s, right in ((42, 120), (43, 60), (44, 70))]
    others = [run(f"other-{i}", "fault-filtered", 100 - i) for i in range(3)]
    kept = report.top([*seeded, *others], n=2)
    assert [r["model"] for r in kept] == ["cnn", "cnn", "cnn", "other-0"]  # cnn ranked by its best seed, all its seeds kept


def test_a_best_run_with_the_same_predictions_as_another_is_read_as_one_model():
    clips = {"id": ["a", "b"], "truth": ["blues", "jazz"], "predicted": ["blues", "blues"]}
    base, tuned = ({**run(m, "fault-filtered", 120), "extra": {"test_clips": clips}} for m in ("base-cnn", "tuned-cnn"))
    text = report.protocol_reading([base, tuned], "audio")
    assert "(the same predictions as tuned-cnn: one model)" in text
    table = evaluate.accuracy_table([base, tuned])
    assert list(table["status"]) == ["ok", "ok · same predictions as base-cnn"]
