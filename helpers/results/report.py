"""Every reading a notebook shows, as Markdown: no number in it is typed by hand.

The one place for generated prose. Readings of results records: every such function takes the
records (``helpers.results.evaluate``) and returns text or a table. Readings of the tables a
notebook shows that are not records: the inventory and splits (00), the descriptors' effect sizes
(01), this repository's images against Kaggle's (02), feature parity and the bootstrap and
training-size studies (03), the grid search (04). Notebooks show the text with
``IPython.display.Markdown``; a synthetic or smoke run states its own numbers. Failed runs (see
``evaluate.failure``) are named as failed and never quoted as a result; differences
between protocols are reported as measured, without saying what causes them.

Command line (the results sections between ``<!-- results:start -->`` and ``<!-- results:end -->``: the
README's comparison of every seed number with ours, and every table in ``docs/results.md``)::

    python -m helpers.results.report readme [--results results] [--readme README.md] [--details docs/results.md] [--check]

Why this module is long: every Markdown table and reading built from results records (per
experiment, the seed comparison, the README section) shares the same grouping of records
by dataset and protocol; split apart, each would restate it; and a reader looks for every
generated sentence in one place.
"""

from __future__ import annotations

import argparse
import math
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .. import cli
from ..data.cache import write_text
from ..data.splits import FIXED_PROTOCOLS
from ..inputs.features import eta_squared
from ..plots.style import format_params
from . import evaluate, seed_reports

MARKERS = ("<!-- results:start -->", "<!-- results:end -->")
STALE = "the results sections of README.md or docs/results.md are stale; run python -m helpers.results.report readme"
README_PROFILE = "report"  # the README quotes the committed render (CPU settings), never a smoke or paper run
COMPARISON_COLUMNS = [
    "model", "seed report", "where", "seed protocol", "seed input", "note", "metric", "seed", "dataset", "input", "protocol",
    "ours", "ours, balanced accuracy", "train", "test", "status", "seed in our CI",
    "fixed protocol", "ours, fixed", "fixed train", "fixed test", "fixed status",
]
# The method's constants, not results (every number a reading quotes comes from a record or a table):
INTERVAL_PERCENTILES = (2.5, 97.5)  # a 95 % interval
PARITY_TARGET = 0.02  # the features issue's target: median |deviation| at most 2 % of the feature's std
SAME_RANKS = 0.9  # median pixel Spearman rho from which two renderings of a clip count as the same image
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
    """``699 train / 100 valid / 200 test clips`` (valid only when there is one); a leaky run, whose sizes count
    segments or augmented copies of clips on both sides of its split, says so: ``... segments (leaky: ...)``."""
    s = record["sizes"]
    parts = [f"{s.get(part)} {part}" for part in ("train", "valid", "test") if part != "valid" or s.get("valid")]
    extra = record.get("extra") or {}
    if extra.get("leaky"):
        unit = {"segment": "segments", "copy": "copies"}.get(extra.get("unit"), f"{extra.get('unit', 'unit')}s")
        return " / ".join(parts) + f" {unit} (leaky: one clip on both sides, so it measures memory)"
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


def seed_suffix(records: Sequence[dict]) -> Callable[[dict], str]:
    """A function naming a record's training seed (``, training seed 43``) when its run was repeated with other
    training seeds among ``records`` (:func:`evaluate.repeated_seed`), else ``""``: what tells such runs apart."""
    seed = evaluate.repeated_seed(records)
    return lambda r: "" if seed(r) is None else f", training seed {seed(r)}"


def failed_runs(records: Sequence[dict]) -> str:
    """Bullets naming every failed run and why (empty when none failed)."""
    seed = seed_suffix(records)
    return "\n".join(f"- {r['model']}, {r['protocol']}{seed(r)} ({_what(r)}): {evaluate.failure(r)}"
                     for r in records if evaluate.failure(r))


def _difference(a: dict, b: dict) -> str:
    return ", ".join(f"{PROSE_NAMES[m]} {_value(a, m) - _value(b, m):+.3f}" for m in ("accuracy", "balanced_accuracy")
                     if m in a["metrics"] and m in b["metrics"])


def _test_genres(record: dict) -> set[str]:
    return {g for g, n in record.get("sizes_per_genre", {}).get("test", {}).items() if n}


def _gaps(records: Sequence[dict]) -> list[str]:
    """Per model and input: each plain random protocol minus the fixed protocol, and at equal training size."""
    # keyed by training seed too: a run repeated with other seeds is paired seed by seed, each named by its seed
    runs = {(r["dataset"], r["model"], r.get("representation", ""), evaluate.identity(r)["seed"], r["protocol"]): r
            for r in records if not evaluate.is_baseline(r)}  # a baseline's gap says nothing about artists or splits
    several = len({r["dataset"] for r in records}) > 1
    seed = seed_suffix(records)
    lines = []
    for (dataset, model, rep, training_seed, fixed), f in runs.items():
        if fixed not in FIXED_PROTOCOLS:
            continue
        name = (f"{model}, {dataset}" if several else model) + seed(f)
        for (d, m, rp, s, protocol), r in runs.items():
            if ((d, m, rp, s) != (dataset, model, rep, training_seed) or not protocol.startswith("random-")
                    or evaluate.parse_protocol(protocol)[1]):
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
            controls = [x for (d2, m2, r2, s2, p), x in runs.items() if (d2, m2, r2, s2) == (d, m, rp, s)
                        and evaluate.parse_protocol(p)[0] == protocol and evaluate.parse_protocol(p)[1]]
            for c in controls:
                text += (f"; the equal-size control {c['protocol']} failed ({evaluate.failure(c)})" if evaluate.failure(c) else
                         f"; at equal training size ({c['protocol']}, {c['sizes']['train']} training clips): {_difference(c, f)}")
            lines.append(text)
    return lines


def protocol_reading(records: Sequence[dict], dataset_label: str) -> str:
    """Bullets: per protocol the best model by balanced accuracy, the baselines and the failed runs;
    then the measured random-vs-fixed differences per model (at equal training size too, when recorded)."""
    datasets = sorted({r["dataset"] for r in records})
    named = f", dataset {datasets[0]}" if len(datasets) == 1 and datasets[0].lower() not in dataset_label.lower() else ""
    lines = [f"Per split protocol ({dataset_label}{named}):", ""]
    seed = seed_suffix(records)
    for protocol, group in _by_protocol(records).items():
        models = [r for r in group if not evaluate.is_baseline(r)]
        usable = [r for r in models if not evaluate.failure(r)]
        said = []
        if usable:
            best = max(usable, key=lambda r: _value(r, "balanced_accuracy"))
            twins = evaluate.prediction_twins(best, usable)  # e.g. a tuned setting that is the base setting
            said.append((f"best by balanced accuracy: **{best['model']}{seed(best)}**" if len(usable) > 1
                         else f"**{best['model']}{seed(best)}**")
                        + (f" (the same predictions as {', '.join(twins)}: one model)" if twins else "")
                        + f" ({_what(best)}): {metrics(best)}"
                        + (" (one training run each: a ranking of these runs, not a finding)" if len(usable) > 1 else ""))
        elif models:
            said.append("every model run failed")
        baselines = [r for r in group if evaluate.is_baseline(r)]
        # baselines of several inputs (their training clips differ) are told apart by their input
        said += [f"{r['model']}" + (f" ({r.get('representation') or 'input not recorded'})" if len(baselines) > 1 else "")
                 + f": {metrics(r)}" for r in baselines]
        failed = [f"**{r['model']}{seed(r)}** ({evaluate.failure(r)})" for r in group if evaluate.failure(r)]
        if failed:
            said.append(f"failed, not results: {'; '.join(failed)}")
        lines.append(f"- **{protocol}**: " + "; ".join(said))
    gaps = _gaps(records)
    if gaps:
        lines += ["", "Measured differences between a random split and the fixed split, per model (one training run per split, "
                      "different test sets, so no paired test: descriptions of these runs, not findings):", "", *gaps]
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


def _match(records: Sequence[dict], seed: seed_reports.SeedResult, protocols: Sequence[str],
           representation: str | None = None) -> dict | None:
    """Our record of ``seed``'s model and dataset under the first of ``protocols`` that has one (the same input when
    ``representation`` is given and such a record exists)."""
    for protocol in protocols:
        found = [r for r in records if (r["model"], r["dataset"], r["protocol"]) == (seed.model_key, seed.dataset, protocol)]
        same = [r for r in found if representation is None or r.get("representation") == representation]
        if same or found:
            return (same or found)[0]
    return None


def _uneven(record: dict) -> bool:
    counts = [n for n in record.get("sizes_per_genre", {}).get("test", {}).values() if n]
    return bool(counts) and max(counts) > 2 * min(counts)


def _numbers(record: dict | None, metric: str, prefix: str) -> dict:
    """``record``'s ``metric`` with its interval (NaN when absent or failed), as text with the test size, and the size."""
    m = record["metrics"].get(metric) if record else None
    failed = bool(record) and evaluate.failure(record) is not None
    usable = bool(m) and not failed
    return {prefix: m["value"] if usable else np.nan, f"{prefix}_low": m["ci_low"] if usable else np.nan,
            f"{prefix}_high": m["ci_high"] if usable else np.nan,
            f"{prefix}_text": (evaluate.metric_cell(record, metric) + (" (failed)" if failed else "")
                               + f" · {record['sizes'].get('test')} test clips") if m else "—",
            f"{prefix}_test": record["sizes"].get("test") if record else None}


def seed_overview(records: Sequence[dict]) -> pd.DataFrame:
    """Every seed-report number (``seed_reports.SEED_RESULTS``), one row each, beside our run of the same model under
    the report's split and under the dataset's fixed split where we have one, else the reason we have none. Numeric
    columns (``seed``, ``ours``/``ours_low``/``ours_high``, ``fixed``/``fixed_low``/``fixed_high``: NaN where absent)
    for the headline figure, text columns for the README."""
    rows = []
    for seed in seed_reports.SEED_RESULTS:
        ours = _match(records, seed, [seed.our_protocol]) if seed.model_key and seed.our_protocol else None
        fixed = (_match(records, seed, FIXED_PROTOCOLS, ours.get("representation") if ours else None)
                 if seed.model_key else None)
        notes = [f"report: {seed.note}"] if seed.note else []
        ran = ours or fixed
        if ran is not None and ran.get("representation"):
            notes.append(f"ours: {ran['representation']}")
        if ours is not None and _uneven(ours):
            notes.append("not comparable: our test genres are uneven")
        trials = (ours or {}).get("extra", {}).get("grid_trials")
        if trials:
            notes.append(f"ours: the best of a {trials}-trial grid, chosen on validation"
                         + (", which chose the base CNN's settings" if _same_as_base(ours, records) else ""))


        split = seed.protocol + (f", {seed.test_clips} test clips" if seed.test_clips else "")
        reason = "" if ours is not None else (seed.reason or "no run of ours under the report's split")
        rows.append({"report": seed.report, "model": seed.model, "input": seed.input, "reason": reason, "metric": seed.metric,
                     "split": split, "seed": seed.value,
                     "key": seed.model_key or "", "comparable": ours is not None and not _uneven(ours),
                     **_numbers(ours, seed.metric, "ours"), **_numbers(fixed, seed.metric, "fixed"),
                     "fixed_protocol": fixed["protocol"] if fixed else "", "note": "; ".join(notes)})
    return pd.DataFrame(rows)


def _same_as_base(tuned: dict, records: Sequence[dict]) -> bool:
    """Whether a tuned CNN's record trained the base CNN's own settings (its grid chose them)."""
    base = [r for r in records if r["model"] == "base-cnn" and (r["dataset"], r["protocol"], r.get("representation"))
            == (tuned["dataset"], tuned["protocol"], tuned.get("representation"))]
    return bool(base) and (base[0].get("params") or {}).get("model") == (tuned.get("params") or {}).get("model")


def overview_markdown(overview: pd.DataFrame) -> str:
    """The README's comparison: every seed number, its split, ours on that split and on the fixed split, a note; the
    reason we have no run is a numbered footnote under the table (reasons repeat), and a model a report names twice
    shows its input."""
    header = ["seed report", "model (its name)", "its split", "seed", "ours, its split [95 % CI]", "ours, fixed split [95 % CI]",
              "note"]
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    twice = overview.duplicated(["report", "model", "metric"], keep=False)
    reasons: dict[str, int] = {}
    for row, repeated in zip(overview.to_dict("records"), twice):
        metric = "" if row["metric"] == "accuracy" else f" ({row['metric'].replace('_', ' ')})"
        note = row["note"]
        if row["reason"]:
            mark = f"[{reasons.setdefault(row['reason'], len(reasons) + 1)}]"
            note = f"{note}; no run of ours: {mark}" if note else f"no run of ours: {mark}"
        cells = [row["report"], row["model"] + (f", {row['input']}" if repeated else "") + metric, row["split"], f"{row['seed']:g}",
                 row["ours_text"], row["fixed_text"] + (f" ({row['fixed_protocol']})" if row["fixed_protocol"] else ""), note]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if reasons:
        lines += [""] + [f"[{number}] {reason}." for reason, number in reasons.items()]
    return "\n".join(lines)


def readme_summary(records: Sequence[dict]) -> str:
    """What goes between the README's markers: the comparison of every seed number with ours, and the default model."""
    lines = ["<!-- generated by `python -m helpers.results.report readme` from the results records; do not edit by hand -->", "",
             textwrap.fill("Every number the seed reports state (as restated in `helpers/results/seed_reports.py`), beside "
                           "our run of the same model under the report's split and under GTZAN's fault-filtered split "
                           "(artist-conditional, faulty clips removed), with 95 % bootstrap intervals over test clips; "
                           "where we have no run, the note says why. All tables: [docs/results.md](docs/results.md).",
                           100, break_on_hyphens=False, break_long_words=False), "", overview_markdown(seed_overview(records))]
    return "\n".join(lines + _default_sentence(records))


def _default_sentence(records: Sequence[dict]) -> list[str]:
    """The README's lines on the shipped default model (none without its record): a blank line, then one paragraph."""
    default = [r for r in records if r.get("extra", {}).get("default_model")]
    if not default:
        return []
    r = default[0]
    return ["", textwrap.fill(
        f"The default model of `helpers.predict` (`python -m helpers.predict --about`) was chosen by validation balanced "
        f"accuracy, with no choice made on test data: {r['model']} on {r['dataset']}, {r['protocol']} test accuracy "
        f"{evaluate.metric_cell(r, 'accuracy')}, balanced accuracy {evaluate.metric_cell(r, 'balanced_accuracy')} on "
        f"{r['sizes']['test']} test clips.", 100, break_on_hyphens=False, break_long_words=False)]


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
    shown = seed_comparison(records)  # the metrics of the rows the table shows, not of every seed number
    metric_names = ", ".join(sorted({m.replace("_", " ") for m in shown["metric"]})) if not shown.empty else "accuracy"
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
    lines += _default_sentence(records)
    failed = failed_runs(records)
    if failed:
        lines += ["", "Failed runs among the records (not results):", "", failed]
    return "\n".join(lines)


def top(records: Sequence[dict], n: int = 12) -> list[dict]:
    """Per dataset and protocol, its baselines and its ``n`` most accurate other runs (failed runs count as runs; a
    run repeated over training seeds counts once and keeps every seed): what a table or figure of an experiment with
    many configurations can show legibly."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        groups.setdefault((r["dataset"], r["protocol"]), []).append(r)
    kept = []
    for part in groups.values():
        # a run repeated over training seeds counts once (by its best seed) and keeps all its seeds
        runs: dict[tuple, list[dict]] = {}
        for r in part:
            if not evaluate.is_baseline(r):
                runs.setdefault((r["model"], r.get("representation", "")), []).append(r)
        ranked = sorted(runs.values(), key=lambda seeds: -max(r["metrics"]["accuracy"]["value"] for r in seeds))
        kept += [r for r in part if evaluate.is_baseline(r)] + [r for seeds in ranked[:n] for r in seeds]
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


def coverage_text(record: dict) -> str:
    """:func:`test_coverage`, or that the test clips cover the genres evenly."""
    return test_coverage(record) or "every genre, none under half the largest"


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
    p_readme.add_argument("--details", type=Path, help="the page with every table (default: docs/results.md beside the README)")
    p_readme.add_argument("--check", action="store_true", help="change nothing; exit 1 when a section is stale")
    args = parser.parse_args(argv)
    if not args.results.is_dir():
        raise cli.UserError(f"{args.results} is not a folder; give the folder that holds the results records (--results)")
    details = args.details or args.readme.parent / "docs" / "results.md"
    for path, option in ((args.readme, "--readme"), (details, "--details")):
        if not path.is_file():
            raise cli.UserError(f"{path} is not a file; give the page to rewrite ({option})")
    try:
        records = load_records(args.results, profile=README_PROFILE)
    except ValueError as error:  # a file that is not a (current) results record
        raise evaluate.unusable_record(error) from None
    if not records:
        raise cli.UserError(f"no results records of the {README_PROFILE} profile (*.json) under {args.results}; "
                            f"render the notebooks first (./run_all.sh --in-place)")
    pages = []
    for path, section in ((args.readme, readme_summary(records)), (details, readme_section(records))):
        text = path.read_text()
        try:
            pages.append((path, text, rewrite_readme(text, section)))
        except ValueError as error:
            raise cli.UserError(f"{path} {error}") from None
    if args.check:
        if any(new != text for _, text, new in pages):
            print(STALE, file=sys.stderr)
            return 1
        return 0
    for path, text, new in pages:
        if new != text:
            write_text(path, new)
        print(f"{path}: results section {'rewritten' if new != text else 'already current'} ({len(records)} records)")
    return 0


# ---------------------------------------------------------------- readings of tables that are not records
PARTS = ("train", "valid", "test")


def _genres(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def split_gaps(tracks: pd.DataFrame, split: pd.Series | Sequence[str], genres: Sequence[str] | None = None) -> dict[str, list[str]]:
    """Per part (train, valid, test): the genres of ``genres`` (default: those in ``tracks``) with no clip in it.

    Only parts the split uses at all are reported (a train/test split has no valid gaps).
    """
    frame = pd.DataFrame({"genre": tracks["genre"].to_numpy(), "split": np.asarray(split)})
    genres = sorted(set(frame["genre"])) if genres is None else list(genres)
    gaps = {}
    for part in PARTS:
        present = set(frame.loc[frame["split"] == part, "genre"])
        if present:
            gaps[part] = [g for g in genres if g not in present]
    return gaps


def gaps_sentence(gaps: Mapping[str, Sequence[str]], split_name: str) -> str:
    """"Under the fault-filtered split, country has no training clip; ..." (or "every genre has ...")."""
    words = {"train": "training", "valid": "validation", "test": "test"}
    missing = [f"{_genres(genres)} {'has' if len(genres) == 1 else 'have'} no {words[part]} clip"
               for part, genres in gaps.items() if genres]
    if not missing:
        return f"Under the {split_name} split every genre has clips in each of its parts ({', '.join(gaps)})."
    return f"Under the {split_name} split, " + "; ".join(missing) + "."


def data_reading(tracks: pd.DataFrame, label: str, fixed_split_name: str | None = None) -> str:
    """Notebook 00's conclusion: size, balance, skipped files, and the fixed split's gaps."""
    readable = tracks[tracks["ok"]]
    counts = readable.groupby("genre").size().sort_values(ascending=False)
    lines = [f"**What we learned about {label}.**", ""]
    lines.append(f"* {len(readable)} readable clips in {len(counts)} genres; "
                 f"{int((~tracks['ok']).sum())} file(s) skipped as unreadable or duplicated.")
    if len(counts) and counts.max() > counts.min():
        top = counts[counts == counts.max()]
        share = top.sum() / counts.sum()
        lines.append(f"* The genres are **imbalanced** in these files: {_genres(list(top.index))} hold {int(counts.max())} "
                     f"clips each ({share:.0%} of all), the smallest genre has {int(counts.min())}. Accuracy alone would "
                     f"reward a model that learns only the large genres: later notebooks show beside it balanced accuracy "
                     f"(the mean of the per-genre recalls) and macro-F1 (the mean of the per-genre F1 scores), a "
                     f"majority-class baseline, and results on the {len(top)} balanced genres alone.")
    elif len(counts):
        lines.append(f"* The genres are balanced: {int(counts.max())} clips each.")
    durations = readable["duration"]
    if len(durations):
        lines.append(f"* Clip durations range from {durations.min():.2f} s to {durations.max():.2f} s "
                     f"(median {durations.median():.2f} s).")
    if fixed_split_name and "fixed_split" in readable:
        listed = readable[readable["fixed_split"].fillna("") != ""]
        lines.append(f"* {len(listed)} of the {len(readable)} readable clips lie in the {fixed_split_name} lists. "
                     + gaps_sentence(split_gaps(listed, listed["fixed_split"], list(counts.index)), fixed_split_name)
                     + " A genre without training clips cannot be learned, and one without test clips is not measured: "
                       "per-genre results below say which.")
    return "\n".join(lines)


def effect_sizes(tables: Mapping[str, pd.DataFrame], columns: Sequence[str], resamples: int = 1000,
                 seed: int = 42) -> pd.DataFrame:
    """η² of each descriptor per table (share of its variance explained by genre) with a 95 % bootstrap
    interval over clips: columns ``source, descriptor, clips, eta_squared, ci_low, ci_high``."""
    rng = np.random.default_rng(seed)
    rows = []
    for source, table in tables.items():
        for column in columns:
            values = table[["genre", column]].dropna().reset_index(drop=True)
            draws = [eta_squared(values.iloc[rng.integers(0, len(values), len(values))], column) for _ in range(resamples)]
            low, high = np.nanpercentile(draws, INTERVAL_PERCENTILES) if resamples and len(values) else (np.nan, np.nan)
            rows.append(dict(source=source, descriptor=column, clips=len(values), eta_squared=eta_squared(values, column),
                             ci_low=float(low), ci_high=float(high)))
    return pd.DataFrame(rows)


DESCRIPTOR_UNITS = {"centroid": "Hz", "bandwidth": "Hz", "rolloff": "Hz", "tempo": "BPM"}


def eda_reading(effects: pd.DataFrame, medians: pd.DataFrame, label: str) -> str:
    """Notebook 01's conclusion: which descriptor separates genres more, with intervals, and the extremes."""
    lines = [f"**What we learned about {label}.**", ""]
    for source, part in effects.groupby("source", sort=False):
        ranked = part.sort_values("eta_squared", ascending=False)
        cells = [f"{r.descriptor} η² = {r.eta_squared:.2f} [{r.ci_low:.2f}, {r.ci_high:.2f}]" for r in ranked.itertuples()]
        first, second = ranked.iloc[0], ranked.iloc[-1]
        apart = first.ci_low > second.ci_high
        lines.append(f"* {source} ({int(first.clips)} clips): {'; '.join(cells)}. "
                     + (f"Genre explains more of the {first.descriptor} than of the {second.descriptor}, and the "
                        f"intervals do not overlap." if apart and len(ranked) > 1 else
                        "The intervals overlap: these clips do not tell the descriptors apart."))
    for column in medians.columns:
        source, descriptor = column if isinstance(column, tuple) else ("", column)
        ordered = medians[column].dropna().sort_values()
        if len(ordered) > 1:
            unit = next((f" {u}" for key, u in DESCRIPTOR_UNITS.items() if key in descriptor), "")
            lines.append(f"* {descriptor} ({source}): lowest median {ordered.index[0]} ({ordered.iloc[0]:.0f}{unit}), "
                         f"highest {ordered.index[-1]} ({ordered.iloc[-1]:.0f}{unit}).")
    return "\n".join(lines)


def image_agreement(ours: Sequence[str | Path], kaggle: Sequence[str | Path], track_ids: Sequence[str],
                    size: int = 128) -> pd.DataFrame:
    """Per track: Spearman correlation between this repository's mel PNG and the cropped Kaggle image
    (both grayscale, resized to ``size`` x ``size``), pixel by pixel and per frequency row.

    The Kaggle images use a colour map and their own scaling, so raw pixel values are not
    comparable; ranks are. The row profile (mean over time per image row) compares the
    spectral envelope the two images show.
    """
    from scipy.stats import spearmanr

    from ..inputs.network_inputs import load_image

    rows = []
    for track_id, mine, theirs in zip(track_ids, ours, kaggle):
        a, b = load_image(mine, size)[..., 0], load_image(theirs, size)[..., 0]
        rows.append(dict(track_id=track_id, pixels=float(spearmanr(a.ravel(), b.ravel()).statistic),
                         frequency_profile=float(spearmanr(a.mean(axis=1), b.mean(axis=1)).statistic)))
    return pd.DataFrame(rows, columns=["track_id", "pixels", "frequency_profile"])


def spectrogram_reading(rendered: int, up_to_date: int, failed: int, images: int, agreement: pd.DataFrame | None,
                        label: str) -> str:
    """Notebook 02's conclusion: what was rendered, and how our images relate to Kaggle's."""
    lines = [f"**What we learned about {label}.**", "",
             f"* {images} images in the cache ({rendered} drawn in this run, {up_to_date} already up to date, "
             f"{failed} failed); a second pass drew none, so the cache is reused by notebook 04."]
    if agreement is None or agreement.empty:
        lines.append("* This dataset has no Kaggle images to compare with.")
    else:
        lines.append(
            f"* On {len(agreement)} clips, this repository's images and Kaggle's agree in rank pixel by pixel with median "
            f"Spearman ρ = {agreement['pixels'].median():.2f} (range {agreement['pixels'].min():.2f} to "
            f"{agreement['pixels'].max():.2f}) and in their frequency profile with median ρ = "
            f"{agreement['frequency_profile'].median():.2f} (1: same order, 0: unrelated). "
            + ("Nearly the same ranks: little beyond a colour map or a monotonic scaling differs"
               if agreement["pixels"].median() >= SAME_RANKS else
               "The agreement is partial: the same musical events, rendered with other choices than a colour map "
               "alone (dB scaling, frequency range, resolution)")
            + "; a network trained on one kind of image is not expected to work on the other.")
    return "\n".join(lines)




def parity_reading(parities: Mapping[str, object], label: str) -> str:
    """Feature parity per kind of clip (``{"lossless": Parity, "lossy": Parity}``): worst and median
    feature against the 2 % target, and tempo agreement; the two kinds are never merged."""
    lines = []
    for kind, parity in parities.items():
        column = parity.table["median |deviation| / std"]
        meets = int((column <= PARITY_TARGET).sum())
        lines.append(f"* {label}, {parity.clips} {kind} clips: median feature at {column.median():.2%} of its std, worst "
                     f"({column.idxmax()}) at {column.max():.2%}; {meets} of {len(column)} features within the "
                     f"{PARITY_TARGET:.0%} target; tempo within 1 % on {parity.tempo_within_1pct:.0%} of clips.")
    return "\n".join(lines)


def studies_reading(study: pd.DataFrame, curve: pd.DataFrame, label: str) -> str:
    """The bootstrap-retrain spread and whether the training-size curve still rises at full size."""
    low, median, high = study["accuracy"].quantile([p / 100 for p in (INTERVAL_PERCENTILES[0], 50, INTERVAL_PERCENTILES[1])])
    lines = [f"* {label}: refit on {len(study)} bootstrap resamples of its training set, the tuned XGBoost's test accuracy "
             f"has median {median:.3f} and 95 % of refits within [{low:.3f}, {high:.3f}]: that much moves with the "
             f"training sample alone. The tables' intervals resample test clips only and do not include this spread: a "
             f"difference between two models smaller than it is not a finding without several training seeds and a "
             f"paired test on the same clips."]
    if len(curve) >= 2:
        last, before = curve.iloc[-1], curve.iloc[-2]
        rising = last["ci_low"] > before["accuracy"]
        lines.append(f"* Training size: from {int(curve.iloc[0]['train_size'])} to {int(last['train_size'])} clips the mean "
                     f"accuracy goes from {curve.iloc[0]['accuracy']:.3f} to {last['accuracy']:.3f}; the last step "
                     f"({int(before['train_size'])} to {int(last['train_size'])}) changes it by "
                     f"{last['accuracy'] - before['accuracy']:+.3f}, "
                     + ("beyond the interval of the full-size fit: more data of this kind would likely still help."
                        if rising else "within the interval of the full-size fit: these test clips cannot tell whether "
                                       "more data of this kind would help."))
    return "\n".join(lines)


def grid_reading(searches: Mapping[str, tuple[pd.DataFrame, dict]], defaults: Mapping[str, object]) -> str:
    """What each protocol's grid search chose, what it searched, and how far apart its trials were."""
    lines = []
    for protocol, (trials, best) in searches.items():
        scores = trials["val_accuracy"].dropna()
        searched = [c for c in trials.columns if c not in ("trial", "val_accuracy", "best_epoch", "status")]
        own = all(defaults.get(key) == value for key, value in best.items())
        lines.append(f"* Grid search under {protocol}: {len(trials)} trials over {', '.join(searched)} (nothing else was "
                     f"searched); validation accuracy from {scores.min():.3f} to {scores.max():.3f}. Best: {format_params(best)}"
                     + (", which is the base CNN's own setting, so the tuned CNN repeats the base CNN's training."
                        if own else "."))
    return "\n".join(lines)


def profile_note(profile: str, results_dir: Path, experiment: str) -> str:
    """Which profile this render used and where the seed's full settings (``paper``) stand."""
    paper = sorted((Path(results_dir) / "paper" / experiment).glob("*.json")) if profile != "paper" else []
    if profile == "paper":
        return "* This render used the `paper` profile: the seed reports' image size, epochs and full grid."
    if paper:
        return (f"* This render used the `{profile}` profile; {len(paper)} results records of the `paper` profile (the "
                f"seed's image size, epochs and full grid) are under `results/paper/{experiment}/` and in notebook 09.")
    return (f"* This render used the `{profile}` profile (smaller images, fewer epochs, a reduced grid, to fit a CPU). The "
            f"`paper` profile (the seed's 128 x 128 images, 50 epochs, the full grid) has not been run for these records: "
            f"it needs a GPU with TensorFlow (`./run_all.sh --profile paper --only 04`, or Colab).")


if __name__ == "__main__":
    sys.exit(cli.run(main))
