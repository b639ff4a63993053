"""Test-set metrics and their percentile-bootstrap intervals, computed for all resamples at once.

Three metrics, each as scikit-learn defines it:

``accuracy``           share of test items predicted right;
``balanced_accuracy``  ``balanced_accuracy_score``: the mean recall over the classes present
                       in ``y_true`` (a class only predicted counts for none);
``macro_f1``           ``f1_score(labels=present, average="macro", zero_division=0)`` where
                       ``present`` are the classes of ``labels`` that occur among the true or
                       the predicted values: a genre with no test clip that the model never
                       predicts is not scored (it would count as F1 = 0), one it predicts
                       wrongly is (F1 = 0).

:func:`bootstrap_interval` draws ``resamples`` index vectors once and scores every
resample from per-resample class counts (``np.bincount`` over offset codes), instead of
one scikit-learn call per resample; the tests hold both to 1e-12.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import numpy as np

METRICS = ("accuracy", "balanced_accuracy", "macro_f1")


def accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    """Share of items predicted right (NaN for no items)."""
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    return float(np.mean(y_true == y_pred)) if len(y_true) else float("nan")


def present_labels(y_true: Sequence, y_pred: Sequence, labels: Sequence) -> list:
    """The labels that occur among the true or the predicted values, in the order of ``labels``."""
    seen = set(np.asarray(y_true).tolist()) | set(np.asarray(y_pred).tolist())
    return [label for label in labels if label in seen]


def macro_f1(y_true: Sequence, y_pred: Sequence, labels: Sequence) -> float:
    """scikit-learn's macro F1 over the labels present (see the module docstring); NaN for no items."""
    from sklearn.metrics import f1_score

    present = present_labels(y_true, y_pred, labels)
    if not present:
        return float("nan")
    return float(f1_score(y_true, y_pred, labels=present, average="macro", zero_division=0))


def balanced_accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    """scikit-learn's balanced accuracy: mean recall over the classes present in ``y_true`` (NaN for no items)."""
    from sklearn.metrics import balanced_accuracy_score

    if len(y_true) == 0:
        return float("nan")
    with warnings.catch_warnings():  # "y_pred contains classes not in y_true": expected for a poor model
        warnings.simplefilter("ignore", UserWarning)
        return float(balanced_accuracy_score(y_true, y_pred))


def label_codes(values: np.ndarray, labels: Sequence) -> np.ndarray:
    """Index of each value in ``labels``; ``len(labels)`` for values outside them."""
    lookup = {label: i for i, label in enumerate(labels)}
    uniques, inverse = np.unique(values, return_inverse=True)
    return np.array([lookup.get(u, len(labels)) for u in uniques.tolist()], dtype=np.intp)[inverse.reshape(-1)]


def _counts(codes: np.ndarray, width: int, weights: np.ndarray | None = None) -> np.ndarray:
    """Per-row histograms of the code matrix ``codes`` (resamples x items): (resamples, width)."""
    resamples = len(codes)
    offset = np.arange(resamples)[:, None] * width
    flat = np.bincount((offset + codes).ravel(), weights=None if weights is None else weights.ravel(),
                       minlength=resamples * width)
    return flat.reshape(resamples, width).astype(np.float64)


def resampled_macro_f1(true_codes: np.ndarray, pred_codes: np.ndarray, n_labels: int) -> np.ndarray:
    """Macro F1 of every resample (rows of the code arrays) at once, as :func:`macro_f1` computes it.

    Per resample and class, ``F1 = 2 tp / (true count + predicted count)``; a class whose
    both counts are 0 in a resample is left out of that resample's mean, as in
    :func:`macro_f1`; values outside ``labels`` (code ``n_labels``) count for no class.
    """
    width = n_labels + 1  # one spare bin per resample for values outside labels
    true_positives = _counts(true_codes, width, (true_codes == pred_codes).astype(np.float64))[:, :n_labels]
    denominator = (_counts(true_codes, width) + _counts(pred_codes, width))[:, :n_labels]
    scored = denominator > 0
    f1 = np.divide(2.0 * true_positives, denominator, out=np.zeros_like(denominator), where=scored)
    return f1.sum(axis=1) / np.maximum(scored.sum(axis=1), 1)


def resampled_balanced_accuracy(true_codes: np.ndarray, pred_codes: np.ndarray, n_classes: int) -> np.ndarray:
    """Balanced accuracy of every resample at once, as sklearn's ``balanced_accuracy_score`` computes it.

    Codes number the union of true and predicted values (``0..n_classes-1``); per
    resample, the recall of each class present among its true values, averaged.
    """
    true_counts = _counts(true_codes, n_classes)
    hits = _counts(true_codes, n_classes, (true_codes == pred_codes).astype(np.float64))
    present = true_counts > 0
    recall = np.divide(hits, true_counts, out=np.zeros_like(hits), where=present)
    return recall.sum(axis=1) / present.sum(axis=1)


def bootstrap_interval(
    y_true: Sequence, y_pred: Sequence, labels: Sequence, resamples: int = 1000, level: float = 0.95, seed: int = 42
) -> dict[str, tuple[float, float]]:
    """Percentile bootstrap over test items: ``{"accuracy" | "balanced_accuracy" | "macro_f1": (low, high)}``.

    The three metrics are scored on the same resamples (one ``rng.integers`` draw);
    see the module docstring for their definitions.
    """
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    n = len(y_true)
    if n == 0 or resamples < 1:
        return {name: (float("nan"),) * 2 for name in METRICS}
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(resamples, n))
    labels = list(labels)
    true_codes, pred_codes = label_codes(y_true, labels), label_codes(y_pred, labels)
    # Balanced accuracy ignores `labels`: it numbers every value that occurs, as sklearn does.
    values, union = np.unique(np.concatenate([y_true, y_pred]), return_inverse=True)
    union = union.reshape(-1)
    scores = {
        "accuracy": (y_true[index] == y_pred[index]).mean(axis=1),
        "balanced_accuracy": resampled_balanced_accuracy(union[:n][index], union[n:][index], len(values)),
        "macro_f1": resampled_macro_f1(true_codes[index], pred_codes[index], len(labels)),
    }
    tail = (1 - level) / 2 * 100
    return {name: tuple(float(v) for v in np.percentile(s, [tail, 100 - tail])) for name, s in scores.items()}
