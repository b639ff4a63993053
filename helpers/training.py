"""Fitting models under split protocols, and the seed report's two studies.

Protocols (all decided per track, see ``helpers.splits``):

``random-80/20``    the seed report's stratified random split, fixed seed;
``5-fold-cv``       stratified 5-fold cross-validation: every track is predicted
                    once by the model that did not see it, and the pooled
                    out-of-fold predictions are scored;
``fault-filtered``  the artist-conditional split of Kereliuk, Sturm and Larsen
                    (2015); models without a tuning step train on train + valid.

Studies: :func:`bootstrap_retrain` (refit on bootstrap resamples of the training
set) and :func:`training_size_curve` (refit on growing stratified subsets).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import evaluate, models, splits
from .config import progress as progress_bar, quiet_tensorflow

PROTOCOLS = ("random-80/20", "5-fold-cv", "fault-filtered")


def encode_labels(genres: Sequence[str]) -> tuple[np.ndarray, list[str]]:
    """Integer codes (alphabetical genre order) and the genre names they stand for."""
    labels = sorted(set(genres))
    lookup = {g: i for i, g in enumerate(labels)}
    return np.array([lookup[g] for g in genres]), labels


def fit_predict(model_name: str, X_train, y_train, X_test, seed: int = 42, jobs: int = 1, params: dict | None = None) -> tuple[np.ndarray, float]:
    """Fit a fresh model and predict; returns (predictions, training seconds)."""
    model = models.feature_model(model_name, seed=seed, jobs=jobs, **(params or {}))
    # A small or resampled training set may miss a genre; XGBoost and Keras want
    # contiguous codes, so fit on the codes present and map predictions back.
    present, codes = np.unique(y_train, return_inverse=True)
    start = time.perf_counter()
    model.fit(X_train, codes)
    seconds = time.perf_counter() - start
    return present[np.asarray(model.predict(X_test), dtype=int)], seconds


def protocol_split(table: pd.DataFrame, protocol: str, seed: int = 42, lists_dir=None) -> pd.Series:
    """``train``/``test`` (or fold numbers for ``5-fold-cv``) per row of a table with ``track_id`` and ``genre``."""
    if protocol == "random-80/20":
        return splits.random_split(table, "80/20", seed=seed)
    if protocol == "5-fold-cv":
        return splits.kfold(table, k=5, seed=seed)
    if protocol == "fault-filtered":
        if lists_dir is None:
            raise FileNotFoundError("the fault-filtered protocol needs the split lists (train/valid/test_filtered.txt)")
        split = splits.fixed_split(table, splits.read_split_lists(lists_dir))
        return split.replace({"valid": "train"})
    raise ValueError(f"unknown protocol {protocol!r}; valid protocols: {', '.join(PROTOCOLS)}")


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
    lists_dir=None,
    resamples: int = 1000,
    X: np.ndarray | None = None,
) -> tuple[dict, pd.DataFrame]:
    """Fit and score one model under one protocol.

    ``X`` (aligned with ``table``'s rows) replaces ``table[feature_columns]``,
    for inputs that are not columns, such as per-frame sequences.
    Returns the results record and the test predictions (``track_id, genre, predicted``).
    """
    y, labels = encode_labels(table["genre"])
    if X is None:
        X = table[list(feature_columns)].to_numpy(dtype=np.float64)
    split = protocol_split(table, protocol, seed=seed, lists_dir=lists_dir)
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


# ----------------------------------------------------------------------------- trained-model artifacts


def save_artifact(model, folder, *, name: str, genres: Sequence[str], preprocessing: dict, dataset: str, protocol: str,
                  metrics: dict | None = None) -> "Path":
    """Save a Keras model as ``folder/name.keras`` with a JSON sidecar ``folder/name.json``.

    The sidecar holds what a later command needs to classify a new file: the genre
    order of the outputs, the input shape and the preprocessing parameters, plus the
    dataset, split protocol, metrics and library versions it came from.
    """
    import json
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model_path = folder / f"{name}.keras"
    model.save(model_path)
    sidecar = {
        "model_file": model_path.name,
        "genres": list(genres),
        "input_shape": list(model.input_shape[1:]),
        "preprocessing": evaluate.jsonable(preprocessing),
        "dataset": dataset,
        "protocol": protocol,
        "metrics": evaluate.jsonable(metrics or {}),
        "versions": evaluate.library_versions(),
    }
    (folder / f"{name}.json").write_text(json.dumps(sidecar, indent=1) + "\n")
    return model_path


def load_artifact(path) -> tuple[object, dict]:
    """Load ``name.keras`` (or its ``.json`` sidecar path) and return ``(model, sidecar)``."""
    import json
    from pathlib import Path

    quiet_tensorflow()
    import keras

    path = Path(path)
    sidecar_path = path.with_suffix(".json")
    if not sidecar_path.is_file():
        raise FileNotFoundError(f"{sidecar_path} is missing: a saved model needs its sidecar (genres, preprocessing)")
    sidecar = json.loads(sidecar_path.read_text())
    model = keras.models.load_model(sidecar_path.with_name(sidecar["model_file"]))
    if model.output_shape[-1] != len(sidecar["genres"]):
        raise ValueError(f"{path}: the model has {model.output_shape[-1]} outputs but the sidecar lists {len(sidecar['genres'])} genres")
    return model, sidecar


# ----------------------------------------------------------------------------- spectrogram networks

# Random splits for networks, decided per track; the validation share drives early
# stopping and the tuner, the test share is touched once. "random-70/10/20" is the
# main seed's 80/20 with a tenth of the data held out of training for validation;
# "random-50/20/30" is the 3-s-segment report's split.
NETWORK_PROTOCOLS: dict[str, tuple[float, float, float] | None] = {
    "random-70/10/20": (0.7, 0.1, 0.2),
    "random-50/20/30": (0.5, 0.2, 0.3),
    "fault-filtered": None,  # train / valid / test lists of Kereliuk, Sturm and Larsen (2015)
}


def network_split(tracks: pd.DataFrame, protocol: str, seed: int = 42, lists_dir=None) -> pd.Series:
    """``train``/``valid``/``test`` per track row (``""``: in no list) for a network protocol."""
    if protocol not in NETWORK_PROTOCOLS:
        raise ValueError(f"unknown network protocol {protocol!r}; valid: {', '.join(NETWORK_PROTOCOLS)}")
    if protocol == "fault-filtered":
        if lists_dir is None:
            raise FileNotFoundError("the fault-filtered protocol needs the split lists (train/valid/test_filtered.txt); "
                                    "get them with helpers.splits.find_split_lists(root, download=True)")
        return splits.fixed_split(tracks, splits.read_split_lists(lists_dir))
    return splits.random_split(tracks, NETWORK_PROTOCOLS[protocol], seed=seed)


def _seed_networks(seed: int) -> None:
    quiet_tensorflow()
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()  # same seed, same machine: same numbers
    # keras-tuner builds a model per trial, and TensorFlow warns about retracing each time.
    tf.get_logger().setLevel("ERROR")


def network_dataset(X: np.ndarray, y: np.ndarray, n_classes: int, batch_size: int = 32, *, shuffle: bool = False,
                    augment=None, seed: int = 42):
    """A ``tf.data`` pipeline: one-hot labels, cached, shuffled each epoch (training), augmented (training), prefetched.

    ``augment`` is a Keras layer (see ``helpers.augment``) applied to whole batches
    with ``training=True``; pass it for the training set only.
    """
    quiet_tensorflow()
    import tensorflow as tf

    data = tf.data.Dataset.from_tensor_slices((np.asarray(X, np.float32), tf.one_hot(np.asarray(y), n_classes))).cache()
    if shuffle:
        data = data.shuffle(len(X), seed=seed, reshuffle_each_iteration=True)
    data = data.batch(batch_size)
    if augment is not None:
        @tf.autograph.experimental.do_not_convert  # plain Keras layer calls: nothing for AutoGraph to rewrite
        def augmented(images, labels):
            return augment(images, training=True), labels

        data = data.map(augmented, num_parallel_calls=tf.data.AUTOTUNE)
    return data.prefetch(tf.data.AUTOTUNE)


def _train_valid_datasets(X_train, y_train, X_valid, y_valid, n_classes: int, batch_size: int, augment: dict | None,
                          seed: int):
    """The shuffled, augmented training pipeline and the plain validation pipeline."""
    from .augment import spectrogram_augmenter

    augmenter = spectrogram_augmenter(**augment, seed=seed) if augment else None
    train = network_dataset(X_train, y_train, n_classes, batch_size, shuffle=True, augment=augmenter, seed=seed)
    return train, network_dataset(X_valid, y_valid, n_classes, batch_size)


def _epoch_progress(epochs: int, desc: str):
    """A Keras callback that shows epochs as a progress bar (see ``config.progress``)."""
    quiet_tensorflow()
    import keras

    class EpochProgress(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.bar = progress_bar(total=epochs, desc=desc, unit="epoch")

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            self.bar.set_postfix({k: f"{logs[k]:.3f}" for k in ("accuracy", "val_accuracy") if k in logs}, refresh=False)
            self.bar.update(1)

        def on_train_end(self, logs=None):
            self.bar.close()

    return EpochProgress()


@dataclass
class NetworkFit:
    """A trained network and how it got there."""

    model: object
    history: pd.DataFrame  # one row per epoch: loss, accuracy, val_loss, val_accuracy, learning_rate
    seconds: float
    best_epoch: int  # 1-based epoch whose weights were restored
    settings: dict  # model parameters and training settings, for the results record


def fit_network(
    name: str, X_train: np.ndarray, y_train: np.ndarray, X_valid: np.ndarray, y_valid: np.ndarray, n_classes: int, *,
    params: dict | None = None, epochs: int = 50, batch_size: int = 32, patience: int = 10, lr_factor: float = 0.1,
    lr_patience: int | None = None, augment: dict | None = None, seed: int = 42, desc: str | None = None,
) -> NetworkFit:
    """Train one of ``models.CNN_MODELS`` with the seed's recipe.

    Adam, categorical cross-entropy, ``EarlyStopping(patience, restore_best_weights=True)``
    and ``ReduceLROnPlateau(factor=lr_factor)`` on the validation loss; ``augment``
    (keyword arguments of ``helpers.augment.spectrogram_augmenter``) alters training
    batches only.
    """
    quiet_tensorflow()
    import keras

    _seed_networks(seed)
    model = models.spectrogram_model(name, tuple(X_train.shape[1:]), n_classes, seed=seed, **(params or {}))
    train, valid = _train_valid_datasets(X_train, y_train, X_valid, y_valid, n_classes, batch_size, augment, seed)
    lr_patience = max(1, patience // 2) if lr_patience is None else lr_patience
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=lr_factor, patience=lr_patience, min_lr=1e-6),
        _epoch_progress(epochs, desc or name),
    ]
    start = time.perf_counter()
    history = model.fit(train, validation_data=valid, epochs=epochs, callbacks=callbacks, verbose=0, shuffle=False).history
    seconds = time.perf_counter() - start
    history = pd.DataFrame(history).rename_axis("epoch")
    history.index += 1
    best_epoch = int(history["val_loss"].idxmin())
    settings = {"model": {**models.spectrogram_defaults(name), **(params or {})},
                "training": dict(epochs=epochs, batch_size=batch_size, patience=patience, lr_factor=lr_factor,
                                 lr_patience=lr_patience, augment=augment or {}, seed=seed)}
    return NetworkFit(model, history, seconds, best_epoch, settings)


def predict_proba(model, X: np.ndarray, batch_size: int = 64) -> np.ndarray:
    """Class probabilities, batch by batch (no augmentation)."""
    return model.predict(np.asarray(X, np.float32), batch_size=batch_size, verbose=0)


def _accuracy_by_track(probabilities: np.ndarray, y: np.ndarray, track_ids: Sequence[str]) -> float:
    tracks, mean = evaluate.clip_probabilities(probabilities, track_ids)
    truth = pd.Series(y, index=list(track_ids)).groupby(level=0).first().loc[tracks].to_numpy()
    return float(np.mean(mean.argmax(axis=1) == truth))


class EmptySplitError(ValueError):
    """A protocol that leaves no training, validation or test clips in the data at hand."""


def run_network(
    name: str, X: np.ndarray, table: pd.DataFrame, split: pd.Series, *, experiment: str, dataset: str, protocol: str,
    representation: str, label: str | None = None, params: dict | None = None, resamples: int = 1000, seed: int = 42,
    **fit_settings,
) -> tuple[dict, pd.DataFrame, NetworkFit]:
    """Train on the ``train`` rows, stop early on ``valid``, score ``test``: one results record.

    ``table`` (``track_id, genre``, optionally ``segment``) is aligned with ``X``;
    ``split`` holds each row's split and must keep every track in one split. When
    a track has several rows (segments), test metrics are at clip level: segment
    probabilities are averaged per track; segment-level accuracy goes to ``extra``.
    Returns the record (model called ``label``, default ``name``), the test
    predictions per clip (``track_id, genre, predicted, confidence``) and the fit.
    """
    frame = table.assign(split=np.asarray(split))
    splits.assert_no_leakage(frame)
    y, labels = encode_labels(frame["genre"])
    parts = {part: (frame["split"] == part).to_numpy() for part in ("train", "valid", "test")}
    for part, mask in parts.items():
        if not mask.any():
            raise EmptySplitError(f"the {protocol} split leaves no {part} clips among the {frame['track_id'].nunique()} used")
    fit = fit_network(name, X[parts["train"]], y[parts["train"]], X[parts["valid"]], y[parts["valid"]], len(labels),
                      params=params, seed=seed, desc=f"{label or name} {protocol}", **fit_settings)
    accuracy = {}
    for part, mask in parts.items():
        probabilities = predict_proba(fit.model, X[mask])
        accuracy[part] = _accuracy_by_track(probabilities, y[mask], frame.loc[mask, "track_id"])
        if part == "test":
            segment_accuracy = float(np.mean(probabilities.argmax(axis=1) == y[mask]))
            tracks, mean = evaluate.clip_probabilities(probabilities, frame.loc[mask, "track_id"])
    truth = frame[parts["test"]].groupby("track_id")["genre"].first().loc[tracks].to_numpy()
    predicted = np.array(labels)[mean.argmax(axis=1)]
    segmented = frame.duplicated("track_id").any()
    sizes = {part: int(frame.loc[mask, "track_id"].nunique()) for part, mask in parts.items()}
    extra = dict(train_accuracy=accuracy["train"], valid_accuracy=accuracy["valid"], epochs_run=len(fit.history),
                 best_epoch=fit.best_epoch, unit="clip")
    if segmented:
        extra.update(segment_test_accuracy=segment_accuracy, test_segments=int(parts["test"].sum()),
                     train_segments=int(parts["train"].sum()))
    record = evaluate.evaluate(
        truth, predicted, labels, experiment=experiment, model=label or name, dataset=dataset, protocol=protocol,
        representation=representation, sizes=sizes, train_seconds=fit.seconds, params=fit.settings,
        resamples=resamples, seed=seed, extra=extra,
    )
    predictions = pd.DataFrame({"track_id": tracks, "genre": truth, "predicted": predicted, "confidence": mean.max(axis=1)})
    return record, predictions, fit


# ----------------------------------------------------------------------------- keras-tuner grid search


def _grid_label(value) -> str:
    return "-".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)


def grid_search(
    name: str, grid: dict[str, list], X: np.ndarray, table: pd.DataFrame, split: pd.Series, *, directory,
    project_name: str, overwrite: bool = False, epochs: int = 10, batch_size: int = 32, patience: int = 5,
    augment: dict | None = None, seed: int = 42, params: dict | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Every combination of ``grid`` (parameters of ``models.spectrogram_model(name)``) with keras-tuner ``GridSearch``.

    Trains on the ``train`` rows of ``X``/``table`` and scores each trial by its best
    validation accuracy on the ``valid`` rows (early stopping on validation loss);
    test rows are never seen. Tuner state lives in ``directory/project_name``; with
    ``overwrite=False`` a finished search is reloaded and an interrupted one resumes.
    ``params`` fixes other parameters of every trial. Returns the trial table (best
    first) and the best grid values.
    """
    quiet_tensorflow()
    import keras
    import keras_tuner

    y, labels = encode_labels(table["genre"])
    split = np.asarray(split)
    X_train, y_train, X_valid, y_valid = X[split == "train"], y[split == "train"], X[split == "valid"], y[split == "valid"]
    n_classes = len(labels)

    unknown = set(grid) - set(models.spectrogram_defaults(name))
    if unknown:
        raise ValueError(f"grid keys {sorted(unknown)} are not parameters of {name}; valid: {', '.join(models.spectrogram_defaults(name))}")
    # keras-tuner choices must be scalars: tuples (filters per block) travel as labels.
    decode = {key: {_grid_label(v): v for v in values} for key, values in grid.items()}
    input_shape = tuple(X_train.shape[1:])

    def build(hp):
        chosen = {key: decode[key][hp.Choice(key, list(decode[key]))] for key in grid}
        return models.spectrogram_model(name, input_shape, n_classes, seed=seed, **{**(params or {}), **chosen})

    _seed_networks(seed)
    tuner = keras_tuner.GridSearch(build, objective="val_accuracy", seed=seed, directory=str(directory),
                                   project_name=project_name, overwrite=overwrite)
    train, valid = _train_valid_datasets(X_train, y_train, X_valid, y_valid, n_classes, batch_size, augment, seed)
    total = int(np.prod([len(v) for v in grid.values()]))
    bar = progress_bar(total=total, desc=f"grid search {name}", unit="trial")

    class TrialProgress(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            bar.update(1)

    tuner.search(train, validation_data=valid, epochs=epochs, verbose=0, shuffle=False, callbacks=[
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True), TrialProgress()])
    bar.close()
    rows, chosen = [], {}
    for trial in tuner.oracle.trials.values():
        chosen[trial.trial_id] = {key: decode[key][trial.hyperparameters.values[key]] for key in grid}
        rows.append({"trial": trial.trial_id, **{k: _grid_label(v) for k, v in chosen[trial.trial_id].items()},
                     "val_accuracy": trial.score, "best_epoch": (trial.best_step or 0) + 1, "status": str(trial.status)})
    # Best first; ties go to the earlier trial, so a reloaded search names the same best.
    trials = (pd.DataFrame(rows).sort_values(["val_accuracy", "trial"], ascending=[False, True], na_position="last")
              .reset_index(drop=True))
    best = chosen[trials.loc[0, "trial"]]
    return trials, best


def run_network_protocols(
    name: str, X: np.ndarray, table: pd.DataFrame, protocols: Sequence[str], *, experiment: str, dataset: str,
    representation: str, label: str | None = None, lists_dir=None, results_dir=None, seed: int = 42,
    **run_settings,
) -> dict[str, tuple[dict, pd.DataFrame, NetworkFit]]:
    """:func:`run_network` under each protocol (splits decided per track, segments follow their track).

    Saves each record under ``results_dir`` when given; returns ``{protocol: (record, predictions, fit)}``.
    A protocol that leaves a split empty (a small subset of GTZAN under the fixed
    fault-filtered lists) is skipped with a message.
    """
    tracks = table.drop_duplicates("track_id")[["track_id", "genre"]].reset_index(drop=True)
    runs = {}
    for protocol in protocols:
        per_track = network_split(tracks, protocol, seed=seed, lists_dir=lists_dir)
        split = table["track_id"].map(dict(zip(tracks["track_id"], per_track))).fillna("")
        try:
            runs[protocol] = run_network(name, X, table, split, experiment=experiment, dataset=dataset, protocol=protocol,
                                         representation=representation, label=label, seed=seed, **run_settings)
        except EmptySplitError as error:
            print(f"skipped {label or name} under {protocol}: {error}")
            continue
        if results_dir is not None:
            evaluate.save(runs[protocol][0], results_dir)
    return runs
