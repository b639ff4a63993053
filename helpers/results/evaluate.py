"""One results schema, failed-run rules, and the tables built from results records.

Every experiment ends in :func:`evaluate`, which turns test-set predictions into
one **results record** and :func:`save` writes it as JSON under ``results/``::

    {
      "schema": 2,
      "experiment": "features_ml",        # notebook or study
      "model": "xgboost-tuned",
      "dataset": "gtzan",                 # or "synthetic"
      "representation": "features_30_sec.csv",
      "protocol": "random-80/20",         # split protocol; "random-80/20@442": training set subsampled to 442
      "sizes": {"train": 800, "valid": 0, "test": 200},
      "sizes_per_genre": {"train": {"blues": 80, ...}, "valid": {...}, "test": {...}},  # train/valid when given
      "metrics": {"accuracy": {"value": .., "ci_low": .., "ci_high": ..},
                  "balanced_accuracy": {...}, "macro_f1": {...}},
      "failure": null,                    # or why the run failed (see failure())
      "per_genre": {"blues": {"precision": .., "recall": .., "f1": .., "support": ..}, ...},
      "extra": {...},                     # a network's train/valid accuracy, epochs; {"baseline": true} for baselines
      "confusion": {"labels": [...], "matrix": [[...]]},
      "train_seconds": 9.8, "params": {...},
      "bootstrap": {"resamples": 1000, "level": 0.95, "seed": 42},
      "versions": {"python": .., "numpy": .., ...}, "created": "2026-11-23T07:00:00+00:00",
      "profile": "report"                 # smoke | report | paper: the profile that ran
    }

Tables and figures of results are built from these files (:func:`summary_table`),
never typed by hand; Markdown prose from them lives in ``helpers.results.report``. The rules that
read a record (:func:`failure`, :func:`missing_genres`, protocol names) live in
``helpers.results.records`` and are re-exported here.

Why this module is long: a record is made, named, saved, loaded and checked here, and every table of
records is built here, so that one schema has one owner.

Command line::

    python -m helpers.results.evaluate summary [RESULTS_DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .. import cli
from ..data.cache import write_json
from ..runtime import library_versions
from .metrics import METRICS, accuracy, balanced_accuracy, macro_f1

# `name as name`: re-exported, so callers keep using evaluate.bootstrap_interval and the record rules as evaluate.<name>.
from .metrics import bootstrap_interval as bootstrap_interval
from .records import LEARNING_MARGIN as LEARNING_MARGIN
from .records import PARTS, failure, identity, is_baseline, judge, metric_cell, protocol_order, shape_problem, status
from .records import PROTOCOL_ORDER as PROTOCOL_ORDER
from .records import majority_share as majority_share
from .records import missing_genres as missing_genres
from .records import parse_protocol as parse_protocol

SCHEMA_VERSION = 2
_protocol_order = protocol_order  # its former private name
METRIC_NAMES = {"accuracy": "accuracy", "balanced_accuracy": "balanced accuracy", "macro_f1": "macro F1"}


def _genre_counts(genres: Iterable, labels: list, part: str) -> dict:
    counts = Counter(np.asarray(list(genres)).tolist())
    unknown = set(counts) - set(labels)
    if unknown:
        raise ValueError(f"{part} genres {sorted(map(str, unknown))} are not in labels {labels}")
    return {label: int(counts.get(label, 0)) for label in labels}


def evaluate(
    y_true: Sequence, y_pred: Sequence, labels: Sequence[str], *, experiment: str, model: str, dataset: str, protocol: str,
    representation: str = "", sizes: dict[str, int] | None = None, train_seconds: float | None = None,
    params: dict | None = None, resamples: int = 1000, seed: int = 42, notes: str = "", extra: dict | None = None,
    train_genres: Sequence[str] | None = None, valid_genres: Sequence[str] | None = None,
) -> dict:
    """One results record (see the module docstring) from test labels and predictions.

    ``extra`` holds experiment-specific values (for networks: train and validation
    accuracy, epochs, segment-level accuracy; ``{"baseline": True}`` for a majority-class
    baseline). ``train_genres`` / ``valid_genres``: the genre of every training /
    validation clip, counted per genre into ``sizes_per_genre`` (and ``sizes`` unless given).
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = list(labels)
    unknown = set(np.unique(y_true)) - set(labels)
    if unknown:
        raise ValueError(f"labels {sorted(unknown)} are in y_true but not in labels {labels}")
    per_part = {"train": train_genres, "valid": valid_genres}
    sizes_per_genre = {part: _genre_counts(g, labels, part) for part, g in per_part.items() if g is not None}
    sizes_per_genre["test"] = _genre_counts(y_true, labels, "test")
    counted = {part: len(g) for part, g in per_part.items() if g is not None}
    intervals = bootstrap_interval(y_true, y_pred, labels, resamples=resamples, seed=seed)
    values = {"accuracy": accuracy(y_true, y_pred), "balanced_accuracy": balanced_accuracy(y_true, y_pred),
              "macro_f1": macro_f1(y_true, y_pred, labels)}
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    record = {
        "schema": SCHEMA_VERSION, "experiment": experiment, "model": model, "dataset": dataset,
        "representation": representation, "protocol": protocol,
        "sizes": {"train": 0, "valid": 0, "test": int(len(y_true)), **counted, **(sizes or {})},
        "sizes_per_genre": jsonable(sizes_per_genre),
        "metrics": {name: {"value": values[name], "ci_low": intervals[name][0], "ci_high": intervals[name][1]} for name in METRICS},
        "per_genre": {
            label: {"precision": float(p), "recall": float(r), "f1": float(f), "support": int(s)}
            for label, p, r, f, s in zip(labels, precision, recall, f1, support)
        },
        "confusion": {"labels": labels, "matrix": confusion_matrix(y_true, y_pred, labels=labels).tolist()},
        "train_seconds": None if train_seconds is None else float(train_seconds),
        "params": jsonable(params or {}),
        "bootstrap": {"resamples": resamples, "level": 0.95, "seed": seed},
        "versions": library_versions(),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "profile": None,  # the profile of the run that saves it: save() stamps it
        "notes": notes,
        "extra": jsonable(extra or {}),
    }
    record["failure"] = judge(record)  # the verdict is judged once, here; readers call failure()
    return record


def jsonable(value):
    """``value`` with NumPy scalars and other objects turned into what JSON can hold."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _sorted(records: Sequence[dict]) -> list[dict]:
    """Records grouped by experiment and dataset (as first seen), protocols in table order, baselines first."""
    groups = list(dict.fromkeys((r["experiment"], r["dataset"]) for r in records))
    ranks = {p: i for i, p in enumerate(protocol_order(r["protocol"] for r in records))}
    return sorted(records, key=lambda r: (groups.index((r["experiment"], r["dataset"])), ranks[r["protocol"]], not is_baseline(r)))


def slug(text: str) -> str:
    """``text`` as a file-name part: each run of characters other than letters, digits, ``.``, ``_`` and ``-``
    becomes one ``-`` (``@`` becomes ``-n``: ``fault-filtered@100`` -> ``fault-filtered-n100``), none at either end."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text.replace("@", "-n")).strip("-")


class RecordCollision(ValueError):
    """Two different runs would share one record file (see :func:`record_path`)."""


def record_path(record: dict, results_dir: str | Path) -> Path:
    """Where a record lives: ``<experiment>/<dataset>__<input>__<model>__<protocol>[__seed<k>][__<variant>].json``.

    Every field of :func:`helpers.results.records.identity` is in the name, so two runs that differ in
    any of them (the features CSV and the audio under the same baseline, say) never share a file.
    """
    ident = identity(record)
    parts = [ident["dataset"], ident["representation"] or "no-input", ident["model"], ident["protocol"]]
    if ident["seed"] is not None:
        parts.append(f"seed{ident['seed']}")
    if ident["variant"]:
        parts.append(ident["variant"])
    return Path(results_dir) / slug(ident["experiment"]) / ("__".join(slug(str(part)) for part in parts) + ".json")


def save(record: dict, results_dir: str | Path, *, profile: str) -> Path:
    """Write ``record`` at :func:`record_path` (atomically) as a record of a run in ``profile`` (smoke, report,
    paper: stamped into ``record["profile"]``), replacing an earlier run with the same identity only.

    Raises :class:`RecordCollision` when the file holds a record of another run (or something that is not a
    record): a name that two runs share is a bug to fix (give the runs a ``variant``), never a silent overwrite.
    """
    if not profile:
        raise ValueError("a record is saved for a run: name its profile (smoke, report or paper)")
    record["profile"] = profile
    path = record_path(record, results_dir)
    if path.exists():
        try:
            held = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            held = None
        is_record = isinstance(held, dict) and all(key in held for key in ("experiment", "dataset", "model", "protocol"))
        if not is_record or identity(held) != identity(record):
            what = f"the run {identity(held)}" if is_record else "a file that is not a results record"
            raise RecordCollision(f"{path} holds {what}, not {identity(record)}; give one of the runs a variant "
                                  "(record['extra']['variant']) or move the file away")
    return write_json(path, record)  # atomic: an interrupted run never leaves half a record


REQUIRED_KEYS = ("schema", "experiment", "model", "dataset", "protocol", "sizes", "metrics", "train_seconds", "params", "versions")


# A record's task: one genre per clip (every table of accuracy) or a set of genres per item (helpers.models.multigenre,
# whose records carry "task": "multi-label" and these metrics instead of accuracy).
TASKS = ("single-label", "multi-label")
MULTI_LABEL_METRICS = ("exact_set_accuracy", "jaccard", "both_in_top2", "macro_f1")


def task(record: dict) -> str:
    """``single-label`` (the default: records written before tasks existed) or ``multi-label``."""
    return record.get("task", "single-label")


def _check(record: dict, path: Path) -> None:
    names = MULTI_LABEL_METRICS if task(record) == "multi-label" else METRICS
    if task(record) not in TASKS:
        raise ValueError(f"{path}: unknown task {task(record)!r}; valid: {', '.join(TASKS)}")
    problem = shape_problem(record)
    if problem:
        raise ValueError(f"{path}: not a results record ({problem})")
    missing = [n for n in names if n not in record["metrics"]]
    if missing:
        raise ValueError(f"{path}: schema {record['schema']} record without {', '.join(missing)}; re-run the notebook "
                         f"that wrote it (experiment {record['experiment']}) to write a schema {SCHEMA_VERSION} record")


def load_all(results_dir: str | Path, task_name: str = "single-label") -> list[dict]:
    """Every results record of ``task_name`` (``single-label``: one genre per clip, what every accuracy table
    reads; ``multi-label``; ``all``) under ``results_dir`` (recursively); files that are not (current) records
    are reported, whatever their task."""
    if task_name not in TASKS + ("all",):
        raise ValueError(f"unknown task {task_name!r}; valid: {', '.join(TASKS + ('all',))}")
    records = []
    for path in sorted(Path(results_dir).rglob("*.json")):
        try:
            record = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from error
        missing = [k for k in REQUIRED_KEYS if k not in record] if isinstance(record, dict) else list(REQUIRED_KEYS)
        if missing:
            raise ValueError(f"{path}: not a results record, missing {missing}")
        _check(record, path)
        if task_name not in ("all", task(record)):
            continue
        record.setdefault("failure", judge(record))  # a record written before verdicts were stored
        record["_path"] = str(path)
        records.append(record)
    return records


def _metric_columns(record: dict) -> dict[str, str]:
    return {label: metric_cell(record, name) for name, label in METRIC_NAMES.items()}


def _seconds(value: float | None) -> float | None:
    """Training time to a tenth of a second: more digits are noise between runs."""
    return None if value is None else round(float(value), 1)


def summary_table(records: Sequence[dict] | str | Path, full: bool = False) -> pd.DataFrame:
    """One row per record. ``full``: experiment, dataset, protocol, model, input, the three sizes, the three metrics
    ``value [95 % CI]``, train time and status (what a CSV keeps). Otherwise the table a notebook shows, at most
    eight columns: experiment, dataset and input only where they differ between rows, the sizes as one
    ``train/valid/test`` cell, accuracy with its interval, balanced accuracy and macro-F1 in one cell, status."""
    if isinstance(records, (str, Path)):
        records = load_all(records)
    rows = [{"experiment": r["experiment"], "dataset": r["dataset"], "protocol": r["protocol"], "model": r["model"],
             "input": r.get("representation", ""), **{part: r["sizes"].get(part) for part in PARTS},
             **_metric_columns(r), "train s": _seconds(r["train_seconds"]), "status": status(r)} for r in _sorted(records)]
    columns = ["experiment", "dataset", "protocol", "model", "input", *PARTS, *METRIC_NAMES.values(), "train s", "status"]
    table = pd.DataFrame(rows, columns=columns)
    if full or table.empty:
        return table
    records = _sorted(records)
    shown = drop_constant(table[["experiment", "dataset", "protocol", "model", "input"]], ("experiment", "dataset", "input"))
    seed = repeated_seed(records)  # a run repeated with other training seeds names its seed
    shown["model"] = [r["model"] + ("" if seed(r) is None else f" (seed {seed(r)})") for r in records]
    shown[CLIPS_COLUMN] = ["/".join(str(r["sizes"].get(part, 0)) for part in PARTS) for r in records]
    shown["accuracy"] = table["accuracy"]
    shown[BALANCED_F1_COLUMN] = [balanced_f1_text(r) for r in records]
    shown["status"] = _with_same(table["status"], records)
    return shown


def repeated_seed(records: Sequence[dict]) -> Callable[[dict], int | None]:
    """A function giving a record's training seed when its run (experiment, dataset, model, protocol, input) was
    repeated with other training seeds among ``records``, else ``None``: what a name must add to tell them apart."""
    def run(r: dict) -> tuple:
        return r["experiment"], r["dataset"], r["model"], r["protocol"], r.get("representation", "")

    seeds: dict[tuple, set] = {}
    for r in records:
        seeds.setdefault(run(r), set()).add(identity(r)["seed"])
    return lambda r: identity(r)["seed"] if len(seeds.get(run(r), ())) > 1 else None


def same_predictions(records: Sequence[dict]) -> list[str]:
    """Per record, in the given order, the model of an earlier record on the same dataset with the very same test
    predictions (one model listed under two names, e.g. a section's head and a one-seed candidate, or a grid search
    that chose the base setting), else ``""``. Records without ``extra.test_clips`` are never marked."""
    seen: dict[str, str] = {}
    same = []
    for r in records:
        clips = (r.get("extra") or {}).get("test_clips")
        key = json.dumps([r["dataset"], clips.get("id"), clips.get("predicted")]) if clips else None
        first = seen.setdefault(key, r["model"]) if key else r["model"]
        same.append("" if first == r["model"] else first)
    return same


def prediction_twins(record: dict, records: Sequence[dict]) -> list[str]:
    """The models of the other ``records`` on the record's dataset with the very same test predictions."""
    def key(r: dict) -> str | None:
        clips = (r.get("extra") or {}).get("test_clips")
        return json.dumps([r["dataset"], clips.get("id"), clips.get("predicted")]) if clips else None

    own = key(record)
    return [r["model"] for r in records if own is not None and r is not record and r["model"] != record["model"] and key(r) == own]


def _with_same(statuses: Iterable[str], records: Sequence[dict]) -> list[str]:
    return [s + (f" · same predictions as {same}" if same else "") for s, same in zip(statuses, same_predictions(records))]


CLIPS_COLUMN = "clips (train/valid/test)"
BALANCED_F1_COLUMN = "balanced acc. / macro-F1"


def balanced_f1_text(record: dict) -> str:
    """Balanced accuracy and macro-F1 of a record in one cell (their intervals stay in the record and the CSV)."""
    return f"{record['metrics']['balanced_accuracy']['value']:.3f} / {record['metrics']['macro_f1']['value']:.3f}"


def drop_constant(table: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``table`` without those of ``columns`` that hold one value in every row (what a table's caption or the
    line before it says once), so that a shown table stays narrow."""
    return table.drop(columns=[c for c in columns if c in table.columns and len(table) and table[c].nunique() <= 1])


def _models(records: Sequence[dict]) -> list[str]:
    """Model names as first seen, baselines first."""
    models = list(dict.fromkeys(r["model"] for r in records))
    baselines = {r["model"] for r in records if is_baseline(r)}
    return sorted(models, key=lambda m: m not in baselines)


def metric_matrix(records: Sequence[dict], metric: str = "accuracy") -> pd.DataFrame:
    """Models as rows, protocols as columns (seed protocol first), cells the metric's value (numbers, for arithmetic)."""
    table = pd.DataFrame({(r["model"], r["protocol"]): [r["metrics"][metric]["value"]] for r in records}).T[0].unstack()
    return table.loc[_models(records), protocol_order(table.columns)]


def side_by_side(records: Sequence[dict], metric: str = "accuracy") -> pd.DataFrame:
    """Models as rows, protocols as columns, cells ``value [low, high]`` (`` (failed)`` for a failed run)."""
    cells = {}
    for r in records:
        cells.setdefault(r["model"], {})[r["protocol"]] = metric_cell(r, metric) + (" (failed)" if failure(r) else "")
    table = pd.DataFrame(cells).T.loc[_models(records)].fillna("n/a (not run)")
    return table[protocol_order(table.columns)].rename_axis(f"{METRIC_NAMES.get(metric, metric)} (95% CI)")


def support_table(records: Sequence[dict]) -> pd.DataFrame:
    """Clips per genre (rows, and a total) in each split part, one column group per protocol (and input, where they differ).

    Read from ``sizes_per_genre``; records that share a protocol and the same counts
    share one column group.
    """
    groups: dict[str, dict[str, dict]] = {}  # protocol -> JSON of the counts -> (counts, inputs)
    for r in _sorted(records):
        counts = dict(r.get("sizes_per_genre") or {})
        if counts:
            entry = groups.setdefault(r["protocol"], {}).setdefault(json.dumps(counts, sort_keys=True), {"counts": counts, "inputs": []})
            entry["inputs"].append(r.get("representation") or r["model"])
    columns = {}
    for protocol, variants in groups.items():
        for entry in variants.values():
            name = protocol if len(variants) == 1 else f"{protocol} ({', '.join(dict.fromkeys(entry['inputs']))})"
            columns.update({(name, part): pd.Series(entry["counts"][part]) for part in PARTS if part in entry["counts"]})
    if not columns:
        return pd.DataFrame()
    table = pd.DataFrame(columns).fillna(0).astype(int)
    table.loc["total"] = table.sum()
    return table.rename_axis("genre")


def clip_probabilities(probabilities: np.ndarray, track_ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Average segment probabilities per track: ``(track ids in first-seen order, (n_tracks, n_classes))``."""
    frame = pd.DataFrame(np.asarray(probabilities))
    frame["track_id"] = list(track_ids)
    mean = frame.groupby("track_id", sort=False).mean()
    return mean.index.tolist(), mean.to_numpy()


def per_genre_table(record: dict) -> pd.DataFrame:
    """Precision, recall, F1 (3 decimals) and test support per genre of one record (and training clips, when
    recorded), worst recall first. A score without a definition is ``n/a``: precision of a genre never predicted,
    recall and F1 of a genre without test clips (not 0, which would read as a measured failure)."""
    table = pd.DataFrame(record["per_genre"]).T.rename_axis("genre")
    table["support"] = table["support"].astype(int)
    labels = record["confusion"]["labels"]
    predicted = pd.Series(np.asarray(record["confusion"]["matrix"]).sum(axis=0), index=labels).reindex(table.index).fillna(0)
    undefined = {"precision": predicted.eq(0), "recall": table["support"].eq(0), "f1": table["support"].eq(0)}
    table = table.loc[table.assign(absent=table["support"].eq(0)).sort_values(["absent", "recall"], kind="stable").index]
    for metric, missing in undefined.items():
        table[metric] = [("n/a" if missing[g] else f"{v:.3f}") for g, v in table[metric].items()]
    for part in ("train", "valid"):
        if part in (record.get("sizes_per_genre") or {}):
            table[f"{part} clips"] = pd.Series(record["sizes_per_genre"][part]).reindex(table.index).fillna(0).astype(int)
    return table


def top_confusions(record: dict, n: int = 5) -> pd.DataFrame:
    """The ``n`` most frequent mistakes: true genre, predicted genre, count and share of the true genre's clips."""
    labels = record["confusion"]["labels"]
    matrix = np.asarray(record["confusion"]["matrix"])
    rows = [dict(true=labels[i], predicted=labels[j], count=int(matrix[i, j]), share=matrix[i, j] / max(1, matrix[i].sum()))
            for i in range(len(labels)) for j in range(len(labels)) if i != j and matrix[i, j] > 0]
    table = pd.DataFrame(rows, columns=["true", "predicted", "count", "share"])
    return table.sort_values(["count", "share"], ascending=False).head(n).reset_index(drop=True)


def accuracy_table(records: Sequence[dict]) -> pd.DataFrame:
    """The seed reports' results table (train, validation and test accuracy per model and protocol) in at most eight
    columns: dataset (only where it differs between rows), model (with its input where inputs differ, and its
    training seed where a run was repeated), protocol, train / valid accuracy (networks keep them in ``extra``), test
    accuracy with its 95 % interval, balanced accuracy / macro-F1, clips per part, and the status with the epochs run
    (the one kept)."""
    records = _sorted(records)
    several_inputs = len({r.get("representation", "") for r in records}) > 1
    seed = repeated_seed(records)
    rows = []
    for r in records:
        extra = r.get("extra") or {}
        epochs = f" · {extra['epochs_run']} epochs (best {extra['best_epoch']})" if "epochs_run" in extra else ""
        model = r["model"] + (f" ({r.get('representation') or 'input not recorded'})" if several_inputs else "")
        rows.append({"dataset": r["dataset"], "model": model + ("" if seed(r) is None else f", seed {seed(r)}"),
                     "protocol": r["protocol"],
                     "train / valid acc.": f"{score_text(extra.get('train_accuracy'))} / {score_text(extra.get('valid_accuracy'))}",
                     "test acc. [95 % CI]": metric_cell(r, "accuracy"),
                     BALANCED_F1_COLUMN: balanced_f1_text(r),
                     "clips train/valid/test": "/".join(str(r["sizes"].get(part, 0)) for part in PARTS),
                     "status": status(r) + epochs})
    table = pd.DataFrame(rows)
    if len(table):
        table["status"] = _with_same(table["status"], records)
    return drop_constant(table, ("dataset",))


def score_text(value: float | None) -> str:
    """A score to three decimals; ``n/a`` where there is none (a baseline has no training accuracy)."""
    return "n/a" if value is None or pd.isna(value) else f"{value:.3f}"


def unusable_record(error: ValueError) -> cli.UserError:
    """The one line for a file under a results folder that :func:`load_all` refused: what is wrong, then what to do."""
    advice = "" if "re-run the notebook" in str(error) else "; move or delete that file"
    return cli.UserError(f"{error}{advice}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.results.evaluate", description="Summarise results records.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_summary = sub.add_parser("summary", help="one line per results record")
    p_summary.add_argument("results_dir", nargs="?", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    if not args.results_dir.is_dir():
        state = "is a file" if args.results_dir.exists() else "does not exist"
        raise cli.UserError(f"{args.results_dir} {state}; give the folder that holds the results records (default: results)")
    try:
        table = summary_table(args.results_dir, full=True)
    except ValueError as error:
        raise unusable_record(error) from None
    if table.empty:
        raise cli.UserError(f"no results records (*.json) under {args.results_dir}; run a notebook first")
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.max_rows", 500):
        print(table.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
