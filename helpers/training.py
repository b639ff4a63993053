"""Fitting models on tabular features under split protocols, and the seed report's two studies.

Protocols (all decided per track, see ``helpers.splits``):

``random-80/20``    the seed report's stratified random split, fixed seed;
``5-fold-cv``       stratified 5-fold cross-validation: every track is predicted
                    once by the model that did not see it, and the pooled
                    out-of-fold predictions are scored;
``fault-filtered``  GTZAN's artist-conditional split of Kereliuk, Sturm and Larsen
                    (2015), read from the tracks table's ``fixed_split`` column;
``official``        FMA's official split, read the same way.

Under a fixed protocol, models without a tuning step train on train + valid.
Spectrogram networks live in ``helpers.networks``, their grid search in
``helpers.tuning``, saved models in ``helpers.artifacts``.

Studies: :func:`bootstrap_retrain` (refit on bootstrap resamples of the training
set) and :func:`training_size_curve` (refit on growing stratified subsets).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import evaluate, models, splits
from .runtime import progress as progress_bar
from .splits import FIXED_PROTOCOLS

PROTOCOLS = ("random-80/20", "5-fold-cv", "fault-filtered")
# Every protocol protocol_split knows: the notebook's three, and FMA's official split.
KNOWN_PROTOCOLS = PROTOCOLS + tuple(p for p in FIXED_PROTOCOLS if p not in PROTOCOLS)


class EmptySplitError(ValueError):
    """A protocol that leaves no training, validation or test clips in the data at hand."""


def encode_labels(genres: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Integer codes (alphabetical genre order) and the genre names they stand for."""
    labels = sorted(set(genres))
    lookup = {g: i for i, g in enumerate(labels)}
    return np.array([lookup[g] for g in genres]), labels


def fit_predict(
    model_name: str, X_train, y_train, X_test, seed: int = 42, jobs: int = 1, params: dict | None = None,
) -> tuple[np.ndarray, float]:
    """Fit a fresh model and predict; returns (predictions, training seconds)."""
    model = models.feature_model(model_name, seed=seed, jobs=jobs, **(params or {}))
    # A small or resampled training set may miss a genre; XGBoost and Keras want
    # contiguous codes, so fit on the codes present and map predictions back.
    present, codes = np.unique(y_train, return_inverse=True)
    start = time.perf_counter()
    model.fit(X_train, codes)
    seconds = time.perf_counter() - start
    return present[np.asarray(model.predict(X_test), dtype=int)], seconds


def fixed_protocol_split(table: pd.DataFrame, protocol: str) -> pd.Series:
    """The dataset's fixed ``train``/``valid``/``test``/``""`` split of each row, from the ``fixed_split`` column.

    Raises ``ValueError`` when the table has no fixed split (no column, or no row in
    it), and :class:`EmptySplitError` (a ``ValueError``) when the rows at hand leave
    its train or test part empty (a small subset of the dataset).
    """
    if "fixed_split" not in table.columns:
        raise ValueError(f"the {protocol} protocol needs the dataset's fixed split, but the tracks table has no "
                         f"fixed_split column: this dataset has no {protocol} split; use a random protocol")
    split = table["fixed_split"].fillna("").astype(str).rename("split")
    unknown = sorted(set(split) - {"", "train", "valid", "test"})
    if unknown:
        raise ValueError(f"the fixed_split column holds {unknown}; expected train, valid, test or empty")
    if not split.isin(("train", "test")).any():
        raise ValueError(f"this dataset has no {protocol} split: none of the {len(split)} rows is in its train or "
                         f"test part (fixed_split is empty); use a random protocol")
    for part in ("train", "test"):
        if not (split == part).any():
            raise EmptySplitError(f"the {protocol} split leaves no {part} clips among the {table['track_id'].nunique()} used")
    return split


def protocol_split(table: pd.DataFrame, protocol: str, seed: int = 42) -> pd.Series:
    """``train``/``test`` (or fold numbers for ``5-fold-cv``) per row of a table with ``track_id`` and ``genre``.

    A fixed protocol (``fault-filtered``, ``official``) reads the table's ``fixed_split``
    column; its validation rows join the training rows; rows in no part get ``""``.
    """
    if protocol == "random-80/20":
        return splits.random_split(table, "80/20", seed=seed)
    if protocol == "5-fold-cv":
        return splits.kfold(table, k=5, seed=seed)
    if protocol in FIXED_PROTOCOLS:
        return fixed_protocol_split(table, protocol).replace({"valid": "train"})
    raise ValueError(f"unknown protocol {protocol!r}; valid protocols: {', '.join(KNOWN_PROTOCOLS)}")


def run_protocol(
    table: pd.DataFrame,
    feature_columns: Sequence[str],
    model_name: str,
    protocol: str,
    *,
    experiment: str,
    dataset: str,
    representation: str,
    seed: int = 42,
    jobs: int = 1,
    params: dict | None = None,
    resamples: int = 1000,
    X: np.ndarray | None = None,
) -> tuple[dict, pd.DataFrame]:
    """Fit and score one model under one protocol.

    ``X`` (aligned with ``table``'s rows) replaces ``table[feature_columns]``,
    for inputs that are not columns, such as per-frame sequences. A fixed protocol
    needs the ``fixed_split`` column (see :func:`protocol_split`).
    Returns the results record and the test predictions (``track_id, genre, predicted``).
    """
    y, labels = encode_labels(table["genre"])
    if X is None:
        X = table[list(feature_columns)].to_numpy(dtype=np.float64)
    split = protocol_split(table, protocol, seed=seed)
    predicted = np.full(len(table), -1)
    seconds = 0.0
    if protocol == "5-fold-cv":
        for fold in sorted(split.unique()):
            test = (split == fold).to_numpy()
            predicted[test], fold_seconds = fit_predict(model_name, X[~test], y[~test], X[test], seed, jobs, params)
            seconds += fold_seconds
        used = np.ones(len(table), bool)
        sizes = {"train": int(len(table) * 4 / 5), "test": int(len(table))}
    else:
        train, test = (split == "train").to_numpy(), (split == "test").to_numpy()
        predicted[test], seconds = fit_predict(model_name, X[train], y[train], X[test], seed, jobs, params)
        used = test
        sizes = {"train": int(train.sum()), "test": int(test.sum())}
    record = evaluate.evaluate(
        np.array(labels)[y[used]], np.array(labels)[predicted[used]], labels,
        experiment=experiment, model=model_name, dataset=dataset, protocol=protocol, representation=representation,
        sizes=sizes, train_seconds=seconds, params={"seed": seed, **(params or {})}, resamples=resamples, seed=seed,
    )
    predictions = table.loc[used, ["track_id", "genre"]].assign(predicted=np.array(labels)[predicted[used]])
    return record, predictions.reset_index(drop=True)


def _train_test(table: pd.DataFrame, feature_columns: Sequence[str], split: pd.Series):
    y, labels = encode_labels(table["genre"])
    X = table[list(feature_columns)].to_numpy(dtype=np.float64)
    train, test = (split == "train").to_numpy(), (split == "test").to_numpy()
    return X[train], y[train], X[test], y[test], labels


def bootstrap_retrain(
    table: pd.DataFrame, feature_columns: Sequence[str], split: pd.Series, model_name: str = "xgboost-tuned",
    resamples: int = 100, seed: int = 42, jobs: int = 1, params: dict | None = None,
) -> pd.DataFrame:
    """Refit on ``resamples`` bootstrap resamples of the training set; score each on the fixed test set.

    The spread shows how much the result depends on which training clips were drawn.
    """
    from sklearn.metrics import f1_score

    X_train, y_train, X_test, y_test, _ = _train_test(table, feature_columns, split)
    rng = np.random.default_rng(seed)
    rows = []
    for i in progress_bar(range(resamples), desc=f"bootstrap {model_name}", unit="fit"):
        index = rng.integers(0, len(y_train), len(y_train))
        predicted, seconds = fit_predict(model_name, X_train[index], y_train[index], X_test, seed + i, jobs, params)
        rows.append({"resample": i, "accuracy": float(np.mean(predicted == y_test)),
                     "macro_f1": float(f1_score(y_test, predicted, average="macro")), "train_seconds": seconds})
    return pd.DataFrame(rows)


def training_size_curve(
    table: pd.DataFrame, feature_columns: Sequence[str], split: pd.Series, model_name: str = "xgboost-tuned",
    fractions: Sequence[float] = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.85, 1.0), repeats: int = 3,
    seed: int = 42, jobs: int = 1, params: dict | None = None, resamples: int = 1000,
) -> pd.DataFrame:
    """Test accuracy when training on stratified subsets of the training set.

    Per fraction: ``repeats`` different subsets (one for 100 %); the interval
    combines the spread over subsets with the test-set bootstrap of each fit.
    """
    X_train, y_train, X_test, y_test, labels = _train_test(table, feature_columns, split)
    train_frame = pd.DataFrame({"genre": y_train})
    rows = []
    for fraction in progress_bar(fractions, desc=f"training sizes {model_name}", unit="size"):
        accuracies, lows, highs = [], [], []
        for r in range(1 if fraction >= 1.0 else repeats):
            if fraction < 1.0:
                subset = (splits.random_split(train_frame, (fraction, 0.0, 1.0 - fraction), seed=seed + r) == "train").to_numpy()
            else:
                subset = np.ones(len(y_train), bool)
            predicted, _ = fit_predict(model_name, X_train[subset], y_train[subset], X_test, seed + r, jobs, params)
            interval = evaluate.bootstrap_interval(y_test, predicted, list(range(len(labels))), resamples=resamples, seed=seed)
            accuracies.append(float(np.mean(predicted == y_test)))
            lows.append(interval["accuracy"][0])
            highs.append(interval["accuracy"][1])
        rows.append({"fraction": fraction, "train_size": int(round(fraction * len(y_train))), "accuracy": float(np.mean(accuracies)),
                     "ci_low": float(min(lows)), "ci_high": float(max(highs)), "fits": len(accuracies)})
    return pd.DataFrame(rows)
