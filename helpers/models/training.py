"""Fitting models on tabular features under split protocols, and the seed report's two studies.

Protocols (all decided per track, see ``helpers.data.splits``):

``random-80/20``    the seed report's stratified random split, fixed seed;
``5-fold-cv``       stratified 5-fold cross-validation: every track is predicted
                    once by the model that did not see it, and the pooled
                    out-of-fold predictions are scored;
``fault-filtered``  GTZAN's artist-conditional split of Kereliuk, Sturm and Larsen
                    (2015), read from the tracks table's ``fixed_split`` column;
``official``        FMA's official split, read the same way.

Under a fixed protocol, models without a tuning step train on train + valid.
Spectrogram networks live in ``helpers.models.networks``, their grid search in
``helpers.models.tuning``, saved models in ``helpers.models.artifacts``.

Honest comparisons: :func:`majority_baseline` is the floor of each protocol (the most
frequent training genre), and ``train_size`` (see :func:`protocol_fits`) cuts a
protocol's training set to the size of another's, e.g. the random split at
:func:`fixed_train_size`, so that a gap between protocols is not a gap in data.
Records name such a control ``<protocol>@<n>``.

Studies: :func:`bootstrap_retrain` (refit on bootstrap resamples of the training
set) and :func:`training_size_curve` (refit on growing stratified subsets).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import splits
from ..data.splits import FIXED_PROTOCOLS
from ..results import evaluate
from ..runtime import progress as progress_bar
from . import zoo

PROTOCOLS = ("random-80/20", "5-fold-cv", "fault-filtered")
BASELINE_MODEL = "majority-class baseline"
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
    # A small or resampled training set may miss a genre; XGBoost and Keras want
    # contiguous codes, so fit on the codes present and map predictions back.
    present, codes = np.unique(y_train, return_inverse=True)
    params = dict(params or {})
    if model_name in zoo.EMBEDDING_MODELS and "cv" not in params:
        # the inner cross-validation cannot have more folds than the commonest genre has clips
        params["cv"] = zoo.inner_cv(seed, folds=int(np.bincount(codes).max()))
    model = zoo.feature_model(model_name, seed=seed, jobs=jobs, **params)
    start = time.perf_counter()
    with warnings.catch_warnings():
        # a genre with fewer training clips than inner folds is expected on small or uneven tables
        warnings.filterwarnings("ignore", message="The least populated class in y has only", category=UserWarning)
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
    hint = "; an @<n> suffix is how records name an equal-size control: pass train_size=n instead" if "@" in str(protocol) else ""
    raise ValueError(f"unknown protocol {protocol!r}; valid protocols: {', '.join(KNOWN_PROTOCOLS)}{hint}")


def fixed_train_size(table: pd.DataFrame, protocol: str) -> int | None:
    """How many tracks :func:`run_protocol` trains on under the fixed ``protocol`` (its train + valid parts here).

    ``None`` when this table has no such split (no ``fixed_split`` column, or none of
    its rows in the split's train or test part). Use it as the ``train_size`` of the
    random split to compare the two protocols at equal training size.
    """
    if protocol not in FIXED_PROTOCOLS:
        raise ValueError(f"{protocol!r} is not a fixed protocol; fixed protocols: {', '.join(FIXED_PROTOCOLS)}")
    if "fixed_split" not in table.columns or not table["fixed_split"].isin(("train", "test")).any():
        return None
    try:
        split = protocol_split(table, protocol)
    except EmptySplitError:
        return None
    return int(table.loc[(split == "train").to_numpy(), "track_id"].nunique())


@dataclass(frozen=True)
class ProtocolFits:
    """The fits one protocol asks for on one table, and what its record says about them."""

    fits: list[tuple[np.ndarray, np.ndarray]]  # (train rows, test rows) as boolean masks, one pair per fit
    protocol: str  # as records name it: with ``@<n>`` for an equal-size control
    sizes: dict[str, int]
    train_genres: list[str]  # genre of every training clip (5-fold-cv: of the first fold's)
    extra: dict


def protocol_fits(table: pd.DataFrame, protocol: str, seed: int = 42, train_size: int | None = None) -> ProtocolFits:
    """The train/test row masks of ``protocol`` (five pairs for ``5-fold-cv``, else one).

    ``train_size`` subsamples the training rows, stratified by genre with ``seed``, to
    exactly that many tracks (the test rows stay); the protocol is then named
    ``protocol@train_size`` and ``extra["subsampled_from"]`` holds the original size.
    """
    split = protocol_split(table, protocol, seed=seed)
    genres = table["genre"].to_numpy()
    if protocol == "5-fold-cv":
        if train_size is not None:
            raise ValueError("train_size subsamples one training set, and 5-fold-cv has five; "
                             f"use one of {', '.join(p for p in KNOWN_PROTOCOLS if p != '5-fold-cv')}")
        fits = [((split != fold).to_numpy(), (split == fold).to_numpy()) for fold in sorted(split.unique())]
        sizes = {"train": int(len(table) * 4 / 5), "test": int(len(table))}
        return ProtocolFits(fits, protocol, sizes, genres[fits[0][0]].tolist(), {})
    train, test = (split == "train").to_numpy(), (split == "test").to_numpy()
    extra = {}
    if train_size is not None:
        try:
            keep = splits.stratified_subsample(table.loc[train].reset_index(drop=True), train_size, seed=seed).to_numpy()
        except ValueError as error:
            raise ValueError(f"{protocol}: {error}") from None
        extra["subsampled_from"] = int(train.sum())
        train = np.isin(np.arange(len(table)), np.flatnonzero(train)[keep])
        protocol = f"{protocol}@{train_size}"
    sizes = {"train": int(train.sum()), "test": int(test.sum())}
    return ProtocolFits([(train, test)], protocol, sizes, genres[train].tolist(), extra)


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
    train_size: int | None = None,
) -> tuple[dict, pd.DataFrame]:
    """Fit and score one model under one protocol.

    ``X`` (aligned with ``table``'s rows) replaces ``table[feature_columns]``,
    for inputs that are not columns, such as per-frame sequences. A fixed protocol
    needs the ``fixed_split`` column (see :func:`protocol_split`). ``train_size``:
    the equal-size control, see :func:`protocol_fits`. The record carries the genre
    of every training clip (``train_genres``).
    Returns the results record and the test predictions (``track_id, genre, predicted``).
    """
    known = zoo.FEATURE_MODELS + zoo.SEQUENCE_MODELS + zoo.EMBEDDING_MODELS
    if model_name not in known:  # fail before any split or fit
        raise ValueError(f"unknown model {model_name!r}; valid models: {', '.join(known)}")
    y, labels = encode_labels(table["genre"])
    if X is None:
        X = table[list(feature_columns)].to_numpy(dtype=np.float64)
    plan = protocol_fits(table, protocol, seed=seed, train_size=train_size)
    predicted = np.full(len(table), -1)
    seconds = 0.0
    for train, test in plan.fits:
        predicted[test], fit_seconds = fit_predict(model_name, X[train], y[train], X[test], seed, jobs, params)
        seconds += fit_seconds
    return _record(table, y, labels, predicted, plan, experiment=experiment, model=model_name, dataset=dataset,
                   representation=representation, train_seconds=seconds, params={"seed": seed, **(params or {})},
                   resamples=resamples, seed=seed, extra=plan.extra)


def majority_baseline(
    table: pd.DataFrame, protocol: str, *, experiment: str, dataset: str, representation: str, seed: int = 42,
    resamples: int = 1000, train_size: int | None = None,
) -> dict:
    """The record of always predicting the most frequent training genre (ties: the alphabetically first).

    Same splits as :func:`run_protocol` (per fold for ``5-fold-cv``); the floor any
    model under ``protocol`` has to beat, which matters on an imbalanced table.
    """
    y, labels = encode_labels(table["genre"])
    plan = protocol_fits(table, protocol, seed=seed, train_size=train_size)
    predicted = np.full(len(table), -1)
    for train, test in plan.fits:
        predicted[test] = np.bincount(y[train], minlength=len(labels)).argmax()
    majority = sorted({labels[code] for code in predicted[predicted >= 0]})
    extra = {**plan.extra, "baseline": True, "majority_genre": ", ".join(majority)}
    record, _ = _record(table, y, labels, predicted, plan, experiment=experiment, model=BASELINE_MODEL, dataset=dataset,
                        representation=representation, train_seconds=0.0, params={"rule": "most frequent training genre"},
                        resamples=resamples, seed=seed, extra=extra)
    return record


def _record(table: pd.DataFrame, y: np.ndarray, labels: list[str], predicted: np.ndarray, plan: ProtocolFits, *,
            model: str, **record_settings) -> tuple[dict, pd.DataFrame]:
    """The results record of the test rows of ``plan`` and their predictions."""
    used = np.logical_or.reduce([test for _, test in plan.fits])
    record = evaluate.evaluate(np.array(labels)[y[used]], np.array(labels)[predicted[used]], labels, model=model,
                               protocol=plan.protocol, sizes=plan.sizes, train_genres=plan.train_genres, **record_settings)
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

    Per fraction: ``repeats`` different subsets (one for 100 %). Columns: ``fraction,
    train_size``; ``accuracy``, the mean over the subsets; ``ci_low, ci_high``, the 95 %
    percentile bootstrap over test clips of that mean (each draw of test clips is
    applied to every subset's predictions, so the band is the uncertainty of the
    plotted mean, not an envelope of separate intervals); ``subset_min, subset_max``,
    the range of the subsets' accuracies; ``fits``.
    """
    X_train, y_train, X_test, y_test, _ = _train_test(table, feature_columns, split)
    train_frame = pd.DataFrame({"genre": y_train})
    # One set of draws for the whole curve: every size is judged on the same resampled test sets.
    draws = np.random.default_rng(seed).integers(0, len(y_test), size=(max(resamples, 0), len(y_test)))
    rows = []
    for fraction in progress_bar(fractions, desc=f"training sizes {model_name}", unit="size"):
        hits, size = [], 0
        for r in range(1 if fraction >= 1.0 else repeats):
            if fraction < 1.0:
                subset = (splits.random_split(train_frame, (fraction, 0.0, 1.0 - fraction), seed=seed + r) == "train").to_numpy()
            else:
                subset = np.ones(len(y_train), bool)
            predicted, _ = fit_predict(model_name, X_train[subset], y_train[subset], X_test, seed + r, jobs, params)
            hits.append(predicted == y_test)
            size = int(subset.sum())  # per-genre rounding: the same for every subset of one fraction
        hits = np.array(hits)  # (fits, test clips)
        accuracies = hits.mean(axis=1)
        if len(draws) and len(y_test):
            drawn = hits[:, draws].mean(axis=2).mean(axis=0)  # mean over subsets of each draw's accuracy
            low, high = np.percentile(drawn, [2.5, 97.5])
        else:
            low = high = float("nan")
        rows.append({"fraction": fraction, "train_size": size, "accuracy": float(accuracies.mean()),
                     "ci_low": float(low), "ci_high": float(high), "subset_min": float(accuracies.min()),
                     "subset_max": float(accuracies.max()), "fits": len(accuracies)})
    return pd.DataFrame(rows)
