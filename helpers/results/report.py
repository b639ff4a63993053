"""Markdown about results, written from results records: no number in it is typed by hand.

Every function takes the records (``helpers.results.evaluate``) and returns text or a table;
notebooks show the text with ``IPython.display.Markdown``. Failed runs (see
``evaluate.failure``) are named as failed and never quoted as a result; differences
between protocols are reported as measured, without saying what causes them.

Command line (the README's results section, between ``<!-- results:start -->`` and
``<!-- results:end -->``)::

    python -m helpers.results.report readme [--results results] [--readme README.md] [--check]

Why this module is long: every Markdown table and reading built from results records (per
experiment, the seed comparison, the README section) shares the same grouping of records
by dataset and protocol; split apart, each would restate it.
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from .. import cli
from ..data.cache import write_text
from ..data.splits import FIXED_PROTOCOLS
from . import evaluate, seed_reports

MARKERS = ("<!-- results:start -->", "<!-- results:end -->")
STALE = "README results section is stale; run python -m helpers.results.report readme"
README_PROFILE = "report"  # the README quotes the committed render (CPU settings), never a smoke or paper run
COMPARISON_COLUMNS = [
    "model", "seed report", "where", "seed protocol", "seed input", "note", "metric", "seed", "dataset", "input", "protocol",
    "ours", "ours, balanced accuracy", "train", "test", "status", "seed in our CI",
    "fixed protocol", "ours, fixed", "fixed train", "fixed test", "fixed status",
]
PROSE_NAMES = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "macro_f1": "macro-F1"}


def load_records(results_dir: str | Path, profile: str | None = None) -> list[dict]:
    """Every results record under ``results_dir`` (none when the folder does not exist yet);
    with ``profile``, only the records that profile wrote."""
    if not Path(results_dir).is_dir():
        return []
    records = evaluate.load_all(results_dir)
    return [r for r in records if profile is None or r.get("profile") == profile]


def by_experiment(records: Sequence[dict]) -> dict[str, list[dict]]:
    """Records grouped by experiment (and profile, when a group holds another profile than ``report``), in order."""
    groups: dict[str, list[dict]] = {}
    for record in records:
        profile = record.get("profile") or "report"
        key = record["experiment"] + ("" if profile == "report" else f" ({profile} profile)")
        groups.setdefault(key, []).append(record)
    return groups


def sizes(record: dict) -> str:
    """``699 train / 100 valid / 200 test clips`` (valid only when there is one)."""
    s = record["sizes"]
    parts = [f"{s.get(part)} {part}" for part in ("train", "valid", "test") if part != "valid" or s.get("valid")]
    return " / ".join(parts) + " clips"


def metrics(record: dict) -> str:
    """``accuracy 0.580 [0.515, 0.650], balanced accuracy ..., macro-F1 ...``."""
    return ", ".join(f"{label} {evaluate.metric_cell(record, name)}" for name, label in PROSE_NAMES.items())


def _what(record: dict) -> str:
    return f"{record.get('representation') or 'input not recorded'}; {sizes(record)}"


def describe(record: dict) -> str:
    """One line: model, protocol, input and sizes, then the three metrics, or that the run failed and why."""
    head = f"**{record['model']}**, {record['protocol']} ({_what(record)})"
    reason = evaluate.failure(record)
    return f"{head}: **failed run**: {reason}" if reason else f"{head}: {metrics(record)}"


def _by_protocol(records: Sequence[dict]) -> dict[str, list[dict]]:
    """Records per protocol, keyed ``protocol`` (or ``dataset: protocol`` when the records hold several datasets)."""
    datasets = list(dict.fromkeys(r["dataset"] for r in records))
    groups = {}
    for dataset in datasets:
        mine = [r for r in records if r["dataset"] == dataset]
        for protocol in evaluate.protocol_order(dict.fromkeys(r["protocol"] for r in mine)):
            key = protocol if len(datasets) == 1 else f"{dataset}: {protocol}"
            groups[key] = [r for r in mine if r["protocol"] == protocol]
    return groups


def coverage(records: Sequence[dict], dataset_label: str) -> str:
    """Per protocol (and input, where they differ): the genres without a training clip and without a test clip."""
    lines = [f"Genres per split part ({dataset_label}):", ""]
    for protocol, group in _by_protocol(records).items():
        variants: dict[str, list[str]] = {}
        for r in group:
            missing = evaluate.missing_genres(r)
            said = ["training clips per genre not recorded"] if "train" not in missing else (
                [f"no training clip of {', '.join(missing['train'])}"] if missing["train"] else [])
            said += [f"no test clip of {', '.join(missing['test'])}"] if missing["test"] else []
            text = "; ".join(said) or "every genre has training and test clips"
            variants.setdefault(text, []).append(r.get("representation") or r["model"])
        for text, inputs in variants.items():
            where = "" if len(variants) == 1 else f" ({', '.join(dict.fromkeys(inputs))})"
            lines.append(f"- **{protocol}**{where}: {text}")
    return "\n".join(lines)


def _value(record: dict, metric: str) -> float:
    m = record["metrics"].get(metric)
    return m["value"] if m and not math.isnan(m["value"]) else -math.inf


def failed_runs(records: Sequence[dict]) -> str:
    """Bullets naming every failed run and why (empty when none failed)."""
    return "\n".join(f"- {r['model']}, {r['protocol']} ({_what(r)}): {evaluate.failure(r)}" for r in records if evaluate.failure(r))


def _difference(a: dict, b: dict) -> str:
    return ", ".join(f"{PROSE_NAMES[m]} {_value(a, m) - _value(b, m):+.3f}" for m in ("accuracy", "balanced_accuracy")
                     if m in a["metrics"] and m in b["metrics"])


def _test_genres(record: dict) -> set[str]:
    return {g for g, n in record.get("sizes_per_genre", {}).get("test", {}).items() if n}


def _gaps(records: Sequence[dict]) -> list[str]:
    """Per model and input: each plain random protocol minus the fixed protocol, and at equal training size."""
    runs = {(r["dataset"], r["model"], r.get("representation", ""), r["protocol"]): r
            for r in records if not evaluate.is_baseline(r)}  # a baseline's gap says nothing about artists or splits
    several = len({r["dataset"] for r in records}) > 1
    lines = []
    for (dataset, model, rep, fixed), f in runs.items():
        if fixed not in FIXED_PROTOCOLS:
            continue
        name = f"{model}, {dataset}" if several else model
        for (d, m, rp, protocol), r in runs.items():
            if (d, m, rp) != (dataset, model, rep) or not protocol.startswith("random-") or evaluate.parse_protocol(protocol)[1]:
                continue
            failed = [f"the {x['protocol']} run failed ({evaluate.failure(x)})" for x in (r, f) if evaluate.failure(x)]
            if failed:
                lines.append(f"- **{name}** ({rep}): no difference measured: {'; '.join(failed)}")
                continue
            text = (f"- **{name}** ({rep}): {protocol} minus {fixed}: {_difference(r, f)} "
                    f"({r['sizes']['train']} vs {f['sizes']['train']} training clips)")
            lost = sorted(_test_genres(r) - _test_genres(f))
            if lost and _test_genres(f):  # balanced accuracy then averages over other genres on each side
                text += f" (not like for like: {', '.join(lost)} {'has' if len(lost) == 1 else 'have'} no {fixed} test clip)"
            controls = [x for (d2, m2, r2, p), x in runs.items() if (d2, m2, r2) == (d, m, rp)
                        and evaluate.parse_protocol(p)[0] == protocol and evaluate.parse_protocol(p)[1]]
            for c in controls:
                text += (f"; the equal-size control {c['protocol']} failed ({evaluate.failure(c)})" if evaluate.failure(c) else
                         f"; at equal training size ({c['protocol']}, {c['sizes']['train']} training clips): {_difference(c, f)}")
            lines.append(text)
    return lines


def protocol_reading(records: Sequence[dict], dataset_label: str) -> str:
    """Bullets: per protocol the best model by balanced accuracy, the baselines and the failed runs;
    then the measured random-vs-fixed differences per model (at equal training size too, when recorded)."""
    lines = [f"Per split protocol ({dataset_label}):", ""]
    for protocol, group in _by_protocol(records).items():
        models = [r for r in group if not evaluate.is_baseline(r)]
        usable = [r for r in models if not evaluate.failure(r)]
        said = []
        if usable:
            best = max(usable, key=lambda r: _value(r, "balanced_accuracy"))
            said.append(f"best by balanced accuracy: **{best['model']}** ({_what(best)}): {metrics(best)}")
        elif models:
            said.append("every model run failed")
        said += [f"{r['model']}: {metrics(r)}" for r in group if evaluate.is_baseline(r)]
        failed = [f"**{r['model']}** ({evaluate.failure(r)})" for r in group if evaluate.failure(r)]
        if failed:
            said.append(f"failed, not results: {'; '.join(failed)}")
        lines.append(f"- **{protocol}**: " + "; ".join(said))
    gaps = _gaps(records)
    if gaps:
        lines += ["", "Measured differences between a random split and the fixed split, per model (different test sets):", "", *gaps]
    return "\n".join(lines)


def seed_comparison(records: Sequence[dict]) -> pd.DataFrame:
    """Each seed-report number that has a record of ours (same model key, dataset and the seed's protocol), beside ours.

    Ours on the seed's protocol and on the dataset's fixed protocol (same model and
    input), with 95 % intervals, sizes, status and whether the seed's value lies in
    our interval (``None`` for a failed run).
    """
    rows = []
    for seed in seed_reports.SEED_RESULTS:
        if seed.model_key is None or seed.our_protocol is None:
            continue
        for r in records:
            if (r["model"], r["dataset"], r["protocol"]) != (seed.model_key, seed.dataset, seed.our_protocol):
                continue
            same_run = (r["model"], r["dataset"], r.get("representation"))
            fixed = [f for f in records
                     if (f["model"], f["dataset"], f.get("representation")) == same_run and f["protocol"] in FIXED_PROTOCOLS]
            f = fixed[0] if fixed else None
            m = r["metrics"][seed.metric]
            # The seed used all of GTZAN, balanced; a test set whose genres are uneven (the partial audio here)
            # measures another task, so its interval says nothing about the seed's number.
            test_counts = [n for n in r.get("sizes_per_genre", {}).get("test", {}).values() if n]
            uneven = bool(test_counts) and max(test_counts) > 2 * min(test_counts)
            rows.append({
                "model": seed.model_key, "seed report": seed.report, "where": seed.where, "seed protocol": seed.protocol,
                "seed input": seed.input, "metric": seed.metric, "seed": seed.value,
                "dataset": r["dataset"], "input": r.get("representation", ""), "protocol": r["protocol"],
                "ours": evaluate.metric_cell(r, seed.metric) + (" (failed)" if evaluate.failure(r) else ""),
                "ours, balanced accuracy": evaluate.metric_cell(r, "balanced_accuracy"),
                "train": r["sizes"].get("train"), "test": r["sizes"].get("test"), "status": evaluate.status(r),
                "seed in our CI": (None if evaluate.failure(r) or uneven
                                   else bool(m["ci_low"] <= seed.value <= m["ci_high"])),
                "note": "; ".join(filter(None, [seed.note, "not comparable: our test genres are uneven" if uneven else ""])),
                "fixed protocol": f["protocol"] if f else None,
                "ours, fixed": (evaluate.metric_cell(f, seed.metric) + (" (failed)" if evaluate.failure(f) else "")) if f else None,
                "fixed train": f["sizes"].get("train") if f else None, "fixed test": f["sizes"].get("test") if f else None,
                "fixed status": evaluate.status(f) if f else None,
            })
    table = pd.DataFrame(rows, columns=COMPARISON_COLUMNS, dtype=object)  # object: None stays None, not NaN
    sizes_columns = ["train", "test", "fixed train", "fixed test"]
    return table.astype({"seed": float, **{c: "Int64" for c in sizes_columns}})  # <NA> where there is no fixed run


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|")


def readme_table(records: Sequence[dict]) -> str:
    """The README's Markdown table: each seed number beside ours on its protocol and on the fixed protocol, with sizes."""
    table = seed_comparison(records)
    if table.empty:
        return "No results record matches a number of the seed reports (same model, dataset and protocol)."
    header = ["model", "our input", "seed report: where, protocol, input", "seed", "ours, seed's protocol (train / test clips)",
              "seed in our 95 % CI", "ours, fixed split (train / test clips)", "our balanced accuracy, seed's protocol"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for row in table.to_dict("records"):
        seed_text = f"{row['seed report']} ({row['where']}): {row['seed protocol']}; {row['seed input']}"
        seed_text += f"; {row['note']}" if row["note"] else ""
        inside = {True: "yes", False: "no"}.get(row["seed in our CI"],
                                                 "n/a: failed run" if row["status"] != "ok" else "n/a: not comparable")
        fixed = "" if row["fixed protocol"] is None else (
            f"{row['ours, fixed']} ({row['fixed protocol']}; {row['fixed train']} / {row['fixed test']})")
        ours = f"{row['ours']} ({row['protocol']}; {row['train']} / {row['test']})"
        cells = [row["model"], row["input"], seed_text, f"{row['seed']:g}", ours, inside, fixed, row["ours, balanced accuracy"]]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def readme_section(records: Sequence[dict]) -> str:
    """What goes between the README's markers: how the table was made, the table, the failed runs."""
    datasets = ", ".join(sorted({r["dataset"] for r in records}))
    metric_names = ", ".join(sorted({s.metric.replace("_", " ") for s in seed_reports.SEED_RESULTS}))
    intro = (f"Test {metric_names} of the recorded runs (dataset: {datasets}) with 95 % bootstrap intervals over test clips, "
             "beside the number each seed report states (as restated in `helpers/results/seed_reports.py`; their own splits and "
             "settings), and our balanced accuracy (mean recall over the genres in the test set), which an unbalanced "
             "test set does not inflate. A failed run is marked and is not a result. Every metric of every run: "
             "`python -m helpers.results.evaluate summary results/`.")
    lines = ["<!-- generated by `python -m helpers.results.report readme` from the results records; do not edit by hand -->", "",
             textwrap.fill(intro, 100, break_on_hyphens=False, break_long_words=False), "", readme_table(records)]
    best = best_table(records, "fault-filtered")
    if best:
        lines += ["", "The most accurate run of each experiment and dataset on the fault-filtered split (the honest protocol), "
                  "largest test set first: only rows with the same test clips compare directly, and a smaller test set here "
                  "is partial audio with uneven genres (read its balanced accuracy). Each is the best of its configurations "
                  "on those test clips, so a best case:", "", best]
    default = [r for r in records if r.get("extra", {}).get("default_model")]
    if default:
        r = default[0]
        lines += ["", textwrap.fill(
            f"The default model of `helpers.predict` was chosen by validation balanced accuracy, with no choice made on test "
            f"data: {r['model']} on {r['dataset']}, {r['protocol']} test accuracy {evaluate.metric_cell(r, 'accuracy')}, "
            f"balanced accuracy {evaluate.metric_cell(r, 'balanced_accuracy')} on {r['sizes']['test']} test clips "
            f"(`python -m helpers.predict --about`).", 100, break_on_hyphens=False, break_long_words=False)]
    failed = failed_runs(records)
    if failed:
        lines += ["", "Failed runs among the records (not results):", "", failed]
    return "\n".join(lines)


def top(records: Sequence[dict], n: int = 12) -> list[dict]:
    """Per dataset and protocol, its baselines and its ``n`` most accurate other runs (failed runs count as runs):
    what a table or figure of an experiment with many configurations can show legibly."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        groups.setdefault((r["dataset"], r["protocol"]), []).append(r)
    kept = []
    for part in groups.values():
        runs = sorted((r for r in part if not evaluate.is_baseline(r)), key=lambda r: -r["metrics"]["accuracy"]["value"])
        kept += [r for r in part if evaluate.is_baseline(r)] + runs[:n]
    return kept


def test_coverage(record: dict) -> str:
    """How unevenly a record's test clips spread over the genres (``7 of 10 genres in its test clips, the largest four
    97 % of them``); empty when every genre has at least half the clips of the largest."""
    counts = sorted((int(n) for n in record.get("sizes_per_genre", {}).get("test", {}).values()), reverse=True)
    present = [n for n in counts if n]
    if not present or (min(present) * 2 > max(present) and len(present) == len(counts)):
        return ""
    return (f"{len(present)} of {len(counts)} genres in its test clips, the largest four "
            f"{sum(present[:4]) / sum(present) * 100:.0f} % of them")


def best_table(records: Sequence[dict], protocol: str) -> str:
    """Markdown: per experiment and dataset, its most accurate run under ``protocol`` (baselines and failed runs excluded)."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        if r["protocol"] == protocol and not evaluate.is_baseline(r) and evaluate.status(r) == "ok":
            groups.setdefault((r["experiment"], r["dataset"]), []).append(r)
    if not groups:
        return ""
    # largest test set first: only runs on the same test clips compare directly
    rows = sorted((max(part, key=lambda r: r["metrics"]["accuracy"]["value"]) for part in groups.values()),
                  key=lambda r: (-r["sizes"]["test"], -r["metrics"]["accuracy"]["value"]))
    header = ["experiment", "dataset", "model", "accuracy [95 % CI]", "balanced accuracy", "train / test clips", "uneven test genres",
              "configurations"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    for r in rows:
        n = len(groups[r["experiment"], r["dataset"]])
        cells = [r["experiment"], r["dataset"], r["model"], evaluate.metric_cell(r, "accuracy"),
                 evaluate.metric_cell(r, "balanced_accuracy"),
                 f"{r['sizes'].get('train')} / {r['sizes'].get('test')}", test_coverage(r).removesuffix(" of them")
                 .replace(" in its test clips, the largest four", ": the largest four") or "no", str(n)]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def rewrite_readme(text: str, section: str) -> str:
    """``text`` with everything between the two ``MARKERS`` replaced by ``section``; ``ValueError`` without both markers in order."""
    start, end = text.find(MARKERS[0]), text.find(MARKERS[1])
    if start < 0 or end < start or text.count(MARKERS[0]) != 1 or text.count(MARKERS[1]) != 1:
        raise ValueError(f"needs the two lines {MARKERS[0]} and {MARKERS[1]}, once each and in that order")
    return text[: start + len(MARKERS[0])] + "\n" + section.strip("\n") + "\n" + text[end:]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.results.report", description="Text and tables from the results records.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_readme = sub.add_parser("readme", help="rewrite the README's results section (between its markers) from the records")
    p_readme.add_argument("--results", type=Path, default=Path("results"), help="folder of the results records (default: results)")
    p_readme.add_argument("--readme", type=Path, default=Path("README.md"), help="the file to rewrite (default: README.md)")
    p_readme.add_argument("--check", action="store_true", help="change nothing; exit 1 when the section is stale")
    args = parser.parse_args(argv)
    if not args.results.is_dir():
        raise cli.UserError(f"{args.results} is not a folder; give the folder that holds the results records (--results)")
    if not args.readme.is_file():
        raise cli.UserError(f"{args.readme} is not a file; give the README to rewrite (--readme)")
    try:
        records = load_records(args.results, profile=README_PROFILE)
    except ValueError as error:
        raise cli.UserError(str(error)) from None
    if not records:
        raise cli.UserError(f"no results records of the {README_PROFILE} profile (*.json) under {args.results}; "
                            f"render the notebooks first (./run_all.sh --in-place)")
    text = args.readme.read_text()
    try:
        new = rewrite_readme(text, readme_section(records))
    except ValueError as error:
        raise cli.UserError(f"{args.readme} {error}") from None
    if args.check:
        if new != text:
            print(STALE, file=sys.stderr)
            return 1
        return 0
    if new != text:
        write_text(args.readme, new)
    print(f"{args.readme}: results section {'rewritten' if new != text else 'already current'} ({len(records)} records)")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
