"""Spectrogram networks: the ``tf.data`` pipeline, fitting, and clip-level scoring under per-track protocols.

The protocols (``random-70/10/20``, ``random-50/20/30`` and the dataset's fixed split),
their per-track splits, majority-class baselines and equal-size controls live in
``helpers.models.network_splits`` and are re-exported here.

The validation share drives early stopping (and the tuner, ``helpers.models.tuning``); the
test share is touched once. Saved models: ``helpers.models.artifacts``.

Honest comparisons: ``majority_baselines`` (the floor of each protocol) and
``train_size`` (the random split cut to ``fixed_train_size``, recorded as
``<protocol>@<n>``), so that a gap between protocols is not a gap in training data.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..data import splits
from ..results import evaluate
from ..runtime import install_quiet_tensorflow, quiet_tensorflow
from ..runtime import progress as progress_bar
from . import zoo
from .network_splits import (  # noqa: F401 (re-exported: notebooks and tests use them from here)
    NETWORK_PROTOCOLS,
    clip_genres,
    fixed_train_size,
    majority_baselines,
    network_split,
    row_split,
    split_parts,
    subsample_training,
)
from .training import EmptySplitError, encode_labels  # noqa: F401 (EmptySplitError re-exported)


def seed_networks(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TensorFlow's ops deterministic."""
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

    ``augment`` is a Keras layer (see ``helpers.inputs.augment``) applied to whole batches
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


def train_valid_datasets(X_train, y_train, X_valid, y_valid, n_classes: int, batch_size: int, augment: dict | None,
                          seed: int):
    """The shuffled, augmented training pipeline and the plain validation pipeline."""
    from ..inputs.augment import training_augmenter

    augmenter = training_augmenter(augment, seed=seed)
    train = network_dataset(X_train, y_train, n_classes, batch_size, shuffle=True, augment=augmenter, seed=seed)
    return train, network_dataset(X_valid, y_valid, n_classes, batch_size)


def epoch_progress(epochs: int, desc: str):
    """A Keras callback that shows epochs as a progress bar (see ``runtime.progress``)."""
    install_quiet_tensorflow()  # any Keras backend: TensorFlow only when it is the one in use
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


@dataclass(frozen=True)
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
    """Train one of ``zoo.CNN_MODELS`` with the seed's recipe.

    Adam, categorical cross-entropy, ``EarlyStopping(patience, restore_best_weights=True)``
    and ``ReduceLROnPlateau(factor=lr_factor)`` on the validation loss; ``augment``
    (settings of ``helpers.inputs.augment.training_augmenter``: shifts, zoom, masks) alters training
    batches only.
    """
    quiet_tensorflow()
    import keras

    seed_networks(seed)
    model = zoo.spectrogram_model(name, tuple(X_train.shape[1:]), n_classes, seed=seed, **(params or {}))
    train, valid = train_valid_datasets(X_train, y_train, X_valid, y_valid, n_classes, batch_size, augment, seed)
    lr_patience = max(1, patience // 2) if lr_patience is None else lr_patience
    callbacks = [
        keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=lr_factor, patience=lr_patience, min_lr=1e-6),
        epoch_progress(epochs, desc or name),
    ]
    start = time.perf_counter()
    history = model.fit(train, validation_data=valid, epochs=epochs, callbacks=callbacks, verbose=0, shuffle=False).history
    seconds = time.perf_counter() - start
    history = pd.DataFrame(history).rename_axis("epoch")
    history.index += 1
    best_epoch = int(history["val_loss"].idxmin())
    settings = {"model": {**zoo.spectrogram_defaults(name), **(params or {})},
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


def run_network(
    name: str, X: np.ndarray, table: pd.DataFrame, split: pd.Series, *, experiment: str, dataset: str, protocol: str,
    representation: str, label: str | None = None, params: dict | None = None, resamples: int = 1000, seed: int = 42,
    train_size: int | None = None, **fit_settings,
) -> tuple[dict, pd.DataFrame, NetworkFit]:
    """Train on the ``train`` rows, stop early on ``valid``, score ``test``: one results record.

    ``table`` (``track_id, genre``, optionally ``segment``) is aligned with ``X``;
    ``split`` holds each row's split and must keep every track in one split. When
    a track has several rows (segments), test metrics are at clip level: segment
    probabilities are averaged per track; segment-level accuracy goes to ``extra``.
    ``train_size`` cuts the training tracks to that many (stratified by genre with
    ``seed``; validation and test untouched): the record's protocol becomes
    ``protocol@train_size`` and ``extra["subsampled_from"]`` the original count.
    The record carries the genre of every training and validation clip.
    Returns the record (model called ``label``, default ``name``), the test
    predictions per clip (``track_id, genre, predicted, confidence``) and the fit.
    """
    frame = table.assign(split=np.asarray(split))
    splits.assert_no_leakage(frame)
    y, labels = encode_labels(frame["genre"])
    parts = split_parts(frame, protocol)
    subsampled = {}
    if train_size is not None:
        frame["split"], subsampled["subsampled_from"] = subsample_training(frame, train_size, protocol, seed)
        protocol = f"{protocol}@{train_size}"
        parts = split_parts(frame, protocol)
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
                 best_epoch=fit.best_epoch, unit="clip", **subsampled,
                 # what helpers.results.comparisons pairs two runs on, and what a reader can listen to
                 test_clips=dict(id=[str(t) for t in tracks], truth=[str(g) for g in truth], predicted=[str(p) for p in predicted]))
    if segmented:
        extra.update(segment_test_accuracy=segment_accuracy, test_segments=int(parts["test"].sum()),
                     train_segments=int(parts["train"].sum()))
    record = evaluate.evaluate(
        truth, predicted, labels, experiment=experiment, model=label or name, dataset=dataset, protocol=protocol,
        representation=representation, sizes=sizes, train_seconds=fit.seconds, params=fit.settings,
        resamples=resamples, seed=seed, extra=extra,
        train_genres=clip_genres(frame, parts["train"]), valid_genres=clip_genres(frame, parts["valid"]),
    )
    predictions = pd.DataFrame({"track_id": tracks, "genre": truth, "predicted": predicted, "confidence": mean.max(axis=1)})
    return record, predictions, fit


def run_network_protocols(
    name: str, X: np.ndarray, table: pd.DataFrame, protocols: Sequence[str], *, experiment: str, dataset: str,
    representation: str, label: str | None = None, results_dir=None, profile: str | None = None, seed: int = 42,
    train_size: int | None = None,
    **run_settings,
) -> dict[str, tuple[dict, pd.DataFrame, NetworkFit]]:
    """:func:`run_network` under each protocol (splits decided per track, segments follow their track).

    A fixed protocol needs ``table``'s ``fixed_split`` column (a ``ValueError`` otherwise).
    Saves each record under ``results_dir`` when given; returns ``{protocol: (record, predictions, fit)}``,
    keyed by the record's protocol (``protocol@train_size`` with ``train_size``, see :func:`run_network`).
    A protocol that leaves a split empty (a small subset of GTZAN under its fixed
    fault-filtered split) is skipped with a message.
    """
    zoo.spectrogram_defaults(name)  # an unknown model name fails before any protocol trains
    runs = {}
    for protocol in protocols:
        try:
            split = row_split(table, protocol, seed=seed)
            run = run_network(name, X, table, split, experiment=experiment, dataset=dataset, protocol=protocol,
                              representation=representation, label=label, seed=seed, train_size=train_size, **run_settings)
        except EmptySplitError as error:
            print(f"skipped {label or name} under {protocol}: {error}")
            continue
        runs[run[0]["protocol"]] = run
        if results_dir is not None:
            evaluate.save(run[0], results_dir, profile=profile)
    return runs


