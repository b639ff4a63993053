"""Metrics with bootstrap confidence intervals, one results schema, summary tables.

Every experiment ends in :func:`evaluate`, which turns test-set predictions into
one **results record** and :func:`save` writes it as JSON under ``results/``::

    {
      "schema": 1,
      "experiment": "features_ml",        # notebook or study
      "model": "xgboost-tuned",
      "dataset": "gtzan",                 # or "synthetic"
      "representation": "features_30_sec.csv",
      "protocol": "random-80/20",         # split protocol
      "sizes": {"train": 800, "valid": 0, "test": 200},
      "metrics": {"accuracy": {"value": .., "ci_low": .., "ci_high": ..},
                  "macro_f1": {...}},
      "per_genre": {"blues": {"precision": .., "recall": .., "f1": .., "support": ..}, ...},
      "extra": {...},                     # e.g. a network's train/valid accuracy, epochs
      "confusion": {"labels": [...], "matrix": [[...]]},
      "train_seconds": 9.8,
      "params": {...},
      "bootstrap": {"resamples": 1000, "level": 0.95, "seed": 42},
      "versions": {"python": .., "numpy": .., ...},
      "created": "2026-11-23T07:00:00+00:00"
    }

Tables and figures of results are built from these files (:func:`summary_table`),
never typed by hand.

Command line::

    python -m helpers.evaluate summary [RESULTS_DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from . import cli
from .cache import write_json
from .runtime import library_versions

SCHEMA_VERSION = 1
# Seed protocol first, the honest (fixed, artist-aware) ones last, in every table.
PROTOCOL_ORDER = ("random-70/10/20", "random-80/20", "random-50/20/30", "5-fold-cv", "fault-filtered", "official")


def _accuracy(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(np.mean(y_true == y_pred)) if len(y_true) else float("nan")


def _macro_f1(y_true: np.ndarray, y_pred: np.ndarray, labels: Sequence) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(y_true, y_pred, labels=list(labels), average="macro", zero_division=0))


def _label_codes(values: np.ndarray, labels: Sequence) -> np.ndarray:
    """Index of each value in ``labels``; ``len(labels)`` for values outside them."""
    lookup = {label: i for i, label in enumerate(labels)}
    uniques, inverse = np.unique(values, return_inverse=True)
    return np.array([lookup.get(u, len(labels)) for u in uniques.tolist()], dtype=np.intp)[inverse.reshape(-1)]


def _resampled_macro_f1(true_codes: np.ndarray, pred_codes: np.ndarray, n_labels: int) -> np.ndarray:
    """Macro F1 of every resample (rows of the code arrays) at once, as sklearn's
    ``f1_score(labels=..., average="macro", zero_division=0)`` computes it.

    Per resample and class, ``F1 = 2 tp / (true count + predicted count)``, 0 when both
    counts are 0 (a class in ``labels`` that a resample lacks still enters the mean);
    values outside ``labels`` (code ``n_labels``) count for no class.
    """
    resamples = len(true_codes)
    width = n_labels + 1  # one spare bin per resample for values outside labels
    offset = np.arange(resamples)[:, None] * width

    def counts(codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        flat = np.bincount((offset + codes).ravel(), weights=None if weights is None else weights.ravel(),
                           minlength=resamples * width)
        return flat.reshape(resamples, width)[:, :n_labels].astype(np.float64)

    true_positives = counts(true_codes, (true_codes == pred_codes).astype(np.float64))
    denominator = counts(true_codes) + counts(pred_codes)
    f1 = np.divide(2.0 * true_positives, denominator, out=np.zeros_like(denominator), where=denominator > 0)
    return f1.mean(axis=1)


def bootstrap_interval(
    y_true: Sequence, y_pred: Sequence, labels: Sequence, resamples: int = 1000, level: float = 0.95, seed: int = 42
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap over test items: ``{"accuracy": (low, high), "macro_f1": (low, high)}``.

    Macro F1 follows sklearn's ``f1_score(labels=labels, average="macro", zero_division=0)``
    for every resample, computed from per-resample class counts in one pass.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    n = len(y_true)
    if n == 0 or resamples < 1:
        return {"accuracy": (float("nan"),) * 2, "macro_f1": (float("nan"),) * 2}
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(resamples, n))
    accuracies = (y_true[index] == y_pred[index]).mean(axis=1)
    labels = list(labels)
    true_codes, pred_codes = _label_codes(y_true, labels), _label_codes(y_pred, labels)
    f1s = _resampled_macro_f1(true_codes[index], pred_codes[index], len(labels))
    tail = (1 - level) / 2 * 100
    return {
        "accuracy": tuple(float(v) for v in np.percentile(accuracies, [tail, 100 - tail])),
        "macro_f1": tuple(float(v) for v in np.percentile(f1s, [tail, 100 - tail])),
    }


def evaluate(
    y_true: Sequence,
    y_pred: Sequence,
    labels: Sequence[str],
    *,
    experiment: str,
    model: str,
    dataset: str,
    protocol: str,
    representation: str = "",
    sizes: dict[str, int] | None = None,
    train_seconds: float | None = None,
    params: dict | None = None,
    resamples: int = 1000,
    seed: int = 42,
    notes: str = "",
    extra: dict | None = None,
) -> dict:
    """One results record (see the module docstring) from test labels and predictions.

    ``extra`` holds experiment-specific values (for networks: train and validation
    accuracy, epochs, segment-level accuracy), stored under ``"extra"``.
    """
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    labels = list(labels)
    unknown = set(np.unique(y_true)) - set(labels)
    if unknown:
        raise ValueError(f"labels {sorted(unknown)} are in y_true but not in labels {labels}")
    intervals = bootstrap_interval(y_true, y_pred, labels, resamples=resamples, seed=seed)
    precision, recall, f1, support = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    return {
        "schema": SCHEMA_VERSION,
        "experiment": experiment,
        "model": model,
        "dataset": dataset,
        "representation": representation,
        "protocol": protocol,
        "sizes": {"train": 0, "valid": 0, "test": int(len(y_true)), **(sizes or {})},
        "metrics": {
            "accuracy": {"value": _accuracy(y_true, y_pred), "ci_low": intervals["accuracy"][0], "ci_high": intervals["accuracy"][1]},
            "macro_f1": {"value": _macro_f1(y_true, y_pred, labels),
                         "ci_low": intervals["macro_f1"][0], "ci_high": intervals["macro_f1"][1]},
        },
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
        "notes": notes,
        "extra": jsonable(extra or {}),
    }


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


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def save(record: dict, results_dir: str | Path) -> Path:
    """Write ``results_dir/<experiment>/<dataset>__<model>__<protocol>.json`` (replacing an older run of the same)."""
    folder = Path(results_dir) / _slug(record["experiment"])
    path = folder / f"{_slug(record['dataset'])}__{_slug(record['model'])}__{_slug(record['protocol'])}.json"
    return write_json(path, record)  # atomic: an interrupted run never leaves half a record


REQUIRED_KEYS = ("schema", "experiment", "model", "dataset", "protocol", "sizes", "metrics", "train_seconds", "params", "versions")


def _well_formed(record: dict) -> bool:
    metrics = record["metrics"]
    return (isinstance(record["sizes"], dict) and isinstance(metrics, dict)
            and all(isinstance(metrics.get(name), dict) and {"value", "ci_low", "ci_high"} <= set(metrics[name])
                    for name in ("accuracy", "macro_f1")))


def load_all(results_dir: str | Path) -> list[dict]:
    """Every results record under ``results_dir`` (recursively); files that are not records are reported."""
    records = []
    for path in sorted(Path(results_dir).rglob("*.json")):
        try:
            record = json.loads(path.read_text())
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON ({error})") from error
        missing = [k for k in REQUIRED_KEYS if k not in record] if isinstance(record, dict) else list(REQUIRED_KEYS)
        if missing:
            raise ValueError(f"{path}: not a results record, missing {missing}")
        if not _well_formed(record):
            raise ValueError(f"{path}: not a results record (sizes, metrics or their values have the wrong type)")
        record["_path"] = str(path)
        records.append(record)
    return records


def summary_table(records: Sequence[dict] | str | Path) -> pd.DataFrame:
    """One row per record: dataset, protocol, model, sizes, accuracy and macro F1 with 95 % intervals, train time."""
    if isinstance(records, (str, Path)):
        records = load_all(records)
    rows = []
    for r in records:
        acc, f1 = r["metrics"]["accuracy"], r["metrics"]["macro_f1"]
        rows.append(
            {
                "experiment": r["experiment"],
                "dataset": r["dataset"],
                "protocol": r["protocol"],
                "model": r["model"],
                "train": r["sizes"].get("train"),
                "test": r["sizes"].get("test"),
                "accuracy": acc["value"],
                "accuracy 95% CI": f"{acc['ci_low']:.3f}-{acc['ci_high']:.3f}",
                "macro F1": f1["value"],
                "macro F1 95% CI": f"{f1['ci_low']:.3f}-{f1['ci_high']:.3f}",
                "train s": r["train_seconds"],
            }
        )
    columns = [
        "experiment", "dataset", "protocol", "model", "train", "test",
        "accuracy", "accuracy 95% CI", "macro F1", "macro F1 95% CI", "train s",
    ]
    return pd.DataFrame(rows, columns=columns)


def metric_matrix(records: Sequence[dict], metric: str = "accuracy") -> pd.DataFrame:
    """Models as rows, protocols as columns (seed protocol first), cells the metric's value."""
    table = pd.DataFrame({(r["model"], r["protocol"]): [r["metrics"][metric]["value"]] for r in records}).T[0].unstack()
    models = list(dict.fromkeys(r["model"] for r in records))
    return table.loc[models, _protocol_order(table.columns)]


def _protocol_order(protocols) -> list[str]:
    return sorted(protocols, key=lambda p: PROTOCOL_ORDER.index(p) if p in PROTOCOL_ORDER else len(PROTOCOL_ORDER))


def side_by_side(records: Sequence[dict], metric: str = "accuracy") -> pd.DataFrame:
    """Models as rows, protocols as columns, cells ``value [low, high]``: the honest-evaluation table."""
    cells = {}
    for r in records:
        m = r["metrics"][metric]
        cells.setdefault(r["model"], {})[r["protocol"]] = f"{m['value']:.3f} [{m['ci_low']:.3f}, {m['ci_high']:.3f}]"
    table = pd.DataFrame(cells).T
    return table[_protocol_order(table.columns)].rename_axis(f"{metric} (95% CI)")


def clip_probabilities(probabilities: np.ndarray, track_ids: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """Average segment probabilities per track: ``(track ids in first-seen order, (n_tracks, n_classes))``."""
    frame = pd.DataFrame(np.asarray(probabilities))
    frame["track_id"] = list(track_ids)
    mean = frame.groupby("track_id", sort=False).mean()
    return mean.index.tolist(), mean.to_numpy()


def per_genre_table(record: dict) -> pd.DataFrame:
    """Precision, recall, F1 and support per genre of one record, worst recall first."""
    table = pd.DataFrame(record["per_genre"]).T.rename_axis("genre")
    table["support"] = table["support"].astype(int)
    return table.sort_values("recall")


def top_confusions(record: dict, n: int = 5) -> pd.DataFrame:
    """The ``n`` most frequent mistakes: true genre, predicted genre, count and share of the true genre's clips."""
    labels = record["confusion"]["labels"]
    matrix = np.asarray(record["confusion"]["matrix"])
    rows = [dict(true=labels[i], predicted=labels[j], count=int(matrix[i, j]), share=matrix[i, j] / max(1, matrix[i].sum()))
            for i in range(len(labels)) for j in range(len(labels)) if i != j and matrix[i, j] > 0]
    table = pd.DataFrame(rows, columns=["true", "predicted", "count", "share"])
    return table.sort_values(["count", "share"], ascending=False).head(n).reset_index(drop=True)


def accuracy_table(records: Sequence[dict]) -> pd.DataFrame:
    """The seed report's results table: train, validation and test accuracy per model and protocol.

    Train and validation accuracy come from a record's ``extra`` (networks store
    them); the test accuracy carries its 95 % bootstrap interval.
    """
    rows = []
    for r in records:
        acc, extra = r["metrics"]["accuracy"], r.get("extra", {})
        rows.append({
            "model": r["model"], "input": r.get("representation", ""), "protocol": r["protocol"],
            "train": extra.get("train_accuracy"), "valid": extra.get("valid_accuracy"), "test": acc["value"],
            "test 95% CI": f"{acc['ci_low']:.3f}-{acc['ci_high']:.3f}", "test clips": r["sizes"].get("test"),
            "epochs": extra.get("epochs_run"), "train s": r["train_seconds"],
        })
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["_order"] = [PROTOCOL_ORDER.index(p) if p in PROTOCOL_ORDER else len(PROTOCOL_ORDER) for p in table["protocol"]]
    return table.sort_values(["_order"], kind="stable").drop(columns="_order").reset_index(drop=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpers.evaluate", description="Summarise results records.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_summary = sub.add_parser("summary", help="one line per results record")
    p_summary.add_argument("results_dir", nargs="?", type=Path, default=Path("results"))
    args = parser.parse_args(argv)
    if not args.results_dir.is_dir():
        state = "is a file" if args.results_dir.exists() else "does not exist"
        raise cli.UserError(f"{args.results_dir} {state}; give the folder that holds the results records (default: results)")
    try:
        table = summary_table(args.results_dir)
    except ValueError as error:  # a file under results_dir that is not a results record
        raise cli.UserError(f"{error}; move or delete that file") from None
    if table.empty:
        raise cli.UserError(f"no results records (*.json) under {args.results_dir}; run a notebook first")
    with pd.option_context("display.width", 200, "display.max_columns", 20, "display.max_rows", 500):
        print(table.round(3).to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
