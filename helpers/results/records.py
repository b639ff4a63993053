"""What a results record says about itself: failed runs, baselines, missing genres, protocol names, a wrong shape.

The rules here read a record (see ``helpers.results.evaluate`` for the schema) and nothing
else, so tables (``helpers.results.evaluate``) and prose (``helpers.results.report``) apply the same
ones. ``helpers.results.evaluate`` re-exports every name: call them as ``evaluate.failure``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

# Seed protocols first, the honest (fixed, artist-aware) ones last, in every table; "<protocol>@<n>"
# (its training set subsampled to n tracks, the equal-size control) right after its base protocol.
PROTOCOL_ORDER = ("random-70/10/20", "random-80/20", "random-50/20/30", "5-fold-cv", "fault-filtered", "official")
# A run whose training accuracy is at most the training majority share plus this margin did not learn.
LEARNING_MARGIN = 0.10
PARTS = ("train", "valid", "test")


def training_seed(record: dict) -> int | None:
    """The seed the run trained with: ``params.seed`` (tabular models) or ``params.training.seed`` (networks);
    ``None`` for a run without one (a baseline)."""
    params = record.get("params") or {}
    seed = params.get("seed", (params.get("training") or {}).get("seed"))
    return None if seed is None else int(seed)


def identity(record: dict) -> dict:
    """What tells this run from every other, and names its file (``evaluate.record_path``): experiment, dataset,
    input (``representation``), model, protocol, :func:`training_seed` and ``extra.variant`` (``""`` when unset)."""
    return {"experiment": record["experiment"], "dataset": record["dataset"], "representation": record.get("representation") or "",
            "model": record["model"], "protocol": record["protocol"], "seed": training_seed(record),
            "variant": (record.get("extra") or {}).get("variant") or ""}


def is_baseline(record: dict) -> bool:
    """Whether the record is a majority-class (or other) baseline: ``extra.baseline`` is true."""
    return (record.get("extra") or {}).get("baseline") is True


def majority_share(record: dict) -> float:
    """Share of the largest genre in the training set (``sizes_per_genre.train``), else ``1 / len(labels)``."""
    train = (record.get("sizes_per_genre") or {}).get("train") or {}
    total = sum(train.values())
    return max(train.values()) / total if total else 1 / max(1, len(record["confusion"]["labels"]))


def failure(record: dict) -> str | None:
    """Why a run failed, or ``None``: the verdict stored in the record (``record["failure"]``, written once by
    ``evaluate.evaluate`` with :func:`judge`); judged here only for a record written before verdicts were stored."""
    return (record["failure"] or None) if "failure" in record else judge(record)


def judge(record: dict) -> str | None:
    """Why a run failed, or ``None``: the one place for the rules (baselines never fail).

    (a) ``extra.train_accuracy`` is at most the training majority share plus ``LEARNING_MARGIN``
        of the distance from that share to 1 (so that a dominant genre does not fail every run);
    (b) one genre receives at least half of the test predictions while its share of the
    true test labels is at most half its share of the predictions.
    """
    if is_baseline(record):
        return None
    reasons = []
    train_accuracy = (record.get("extra") or {}).get("train_accuracy")
    share = majority_share(record)
    if train_accuracy is not None and train_accuracy <= share + LEARNING_MARGIN * (1 - share):
        reasons.append(f"did not learn: training accuracy {train_accuracy:.2f} (majority share {share:.2f})")
    matrix = np.asarray(record["confusion"]["matrix"], dtype=np.int64).reshape(len(record["confusion"]["labels"]), -1)
    if matrix.size:
        predicted, true, total = matrix.sum(axis=0), matrix.sum(axis=1), int(matrix.sum())
        top = int(predicted.argmax())
        if total and 2 * predicted[top] >= total and 2 * true[top] <= predicted[top]:
            reasons.append(f"predicts {record['confusion']['labels'][top]} for {predicted[top]} of {total} test clips")
    return "; ".join(reasons) or None


def status(record: dict) -> str:
    """``ok`` or ``FAILED: <reason>`` (see :func:`failure`)."""
    reason = failure(record)
    return f"FAILED: {reason}" if reason else "ok"


def missing_genres(record: dict) -> dict[str, list[str]]:
    """Parts (``train``, ``valid``, ``test``; those recorded) -> genres with zero clips in them."""
    counts = dict(record.get("sizes_per_genre") or {})
    counts.setdefault("test", {g: v["support"] for g, v in record.get("per_genre", {}).items()})  # schema 1
    return {part: [g for g, n in counts[part].items() if n == 0] for part in PARTS if part in counts}


def metric_cell(record: dict, metric: str = "accuracy") -> str:
    """``0.580 [0.515, 0.650]``: a metric's value and 95 % interval (``n/a`` when the record lacks it)."""
    m = record["metrics"].get(metric)
    return f"{m['value']:.3f} [{m['ci_low']:.3f}, {m['ci_high']:.3f}]" if m else "n/a"


def parse_protocol(protocol: str) -> tuple[str, int | None]:
    """``("random-80/20", 442)`` for ``random-80/20@442`` (training set subsampled to 442); ``(protocol, None)`` otherwise."""
    base, at, size = protocol.rpartition("@")
    return (base, int(size)) if at and size.isdigit() else (protocol, None)


def protocol_order(protocols: Iterable[str]) -> list[str]:
    """Known protocols in ``PROTOCOL_ORDER``, others after them as first seen; ``p@n`` right after ``p``."""
    protocols = list(dict.fromkeys(protocols))
    bases = list(dict.fromkeys(parse_protocol(p)[0] for p in protocols))

    def key(protocol: str) -> tuple:
        base, size = parse_protocol(protocol)
        rank = PROTOCOL_ORDER.index(base) if base in PROTOCOL_ORDER else len(PROTOCOL_ORDER) + bases.index(base)
        return rank, size is not None, size or 0

    return sorted(protocols, key=key)


# ---------------------------------------------------------------------------------------------- shape

_ABSENT = object()


def shape_problem(record: Any) -> str | None:
    """What keeps the tables and readings from reading ``record``, in words (``metrics.accuracy.value is '0.5', not a
    number``), or ``None``: the type of every field they read (as ``evaluate.evaluate`` writes them). Which keys a
    record must have and which metrics its schema needs, ``evaluate.load_all`` checks."""
    return next(_shape_problems(record), None)


def _wrong(field: str, value: Any, expected: str) -> str:
    return f"{field} is missing" if value is _ABSENT else f"{field} is {value!r:.40}, not {expected}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _shape_problems(record: Any) -> Iterator[str]:
    """Every problem :func:`shape_problem` names, first found first (it stops where a later check would fail on it)."""
    if not isinstance(record, dict):
        yield f"the file holds a JSON {type(record).__name__}, not an object"
        return

    def get(name: str) -> Any:
        return record.get(name, _ABSENT)

    for name in ("experiment", "dataset", "model", "protocol"):
        if not (isinstance(get(name), str) and get(name)):
            yield _wrong(name, get(name), "a non-empty string")
    for name in ("representation", "failure", "profile", "task", "notes"):
        if not isinstance(record.get(name), (str, type(None))):
            yield _wrong(name, get(name), "a string")
    for name, required in (("sizes", True), ("metrics", True), ("confusion", True), ("params", True),
                           ("sizes_per_genre", False), ("per_genre", False), ("extra", False)):
        if not isinstance(get(name), dict) and (required or name in record):
            yield _wrong(name, get(name), "an object")
            return
    sizes = record["sizes"]
    for part in ("train", "test", "valid"):
        if not _is_count(sizes.get(part, _ABSENT)) and (part != "valid" or part in sizes):
            yield _wrong(f"sizes.{part}", sizes.get(part, _ABSENT), "a count of clips")
    for name, metric in record["metrics"].items():
        if not isinstance(metric, dict):
            yield _wrong(f"metrics.{name}", metric, "an object with value, ci_low and ci_high")
            continue
        for key in ("value", "ci_low", "ci_high"):
            if not _is_number(metric.get(key, _ABSENT)):
                yield _wrong(f"metrics.{name}.{key}", metric.get(key, _ABSENT), "a number")
    for part, counts in record.get("sizes_per_genre", {}).items():
        if not (isinstance(counts, dict) and all(map(_is_count, counts.values()))):
            yield _wrong(f"sizes_per_genre.{part}", counts, "clip counts per genre")
    for genre, scores in record.get("per_genre", {}).items():
        if not (isinstance(scores, dict) and _is_count(scores.get("support", _ABSENT))):
            yield _wrong(f"per_genre.{genre}", scores, "an object with a support count")
    labels, matrix = record["confusion"].get("labels", _ABSENT), record["confusion"].get("matrix", _ABSENT)
    if not (isinstance(labels, list) and all(isinstance(label, str) for label in labels)):
        yield _wrong("confusion.labels", labels, "a list of genres")
    elif not (isinstance(matrix, list) and len(matrix) in (0, len(labels))
              and all(isinstance(row, list) and len(row) == len(labels) and all(map(_is_count, row)) for row in matrix)):
        yield _wrong("confusion.matrix", matrix, f"{len(labels)} rows of {len(labels)} counts (or none)")
    if not (record.get("train_seconds") is None or _is_number(record["train_seconds"])):
        yield _wrong("train_seconds", record["train_seconds"], "a number of seconds")
    accuracy = record.get("extra", {}).get("train_accuracy")
    if not (accuracy is None or _is_number(accuracy)):
        yield _wrong("extra.train_accuracy", accuracy, "a number")
    training = record["params"].get("training") or {}
    if not isinstance(training, dict):
        yield _wrong("params.training", training, "an object")
        return
    seed = record["params"].get("seed", training.get("seed"))
    if not (seed is None or (isinstance(seed, int) and not isinstance(seed, bool))):
        yield _wrong("the training seed", seed, "a whole number")
