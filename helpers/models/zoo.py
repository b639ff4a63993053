"""Every model, built from plain parameters so that notebooks, tuners and tests share one definition.

Models on tabular features (scaling is part of each pipeline, so it is fit on
training data only):

``knn``, ``random-forest``, ``xgboost`` (library defaults), ``xgboost-tuned``
(the seed report's tuned parameters), ``svm-rbf`` and ``dense-net`` (the seed
report's 512-512-256-128-64-16 network with batch normalisation and dropout).

Labels are integers 0..n_classes-1 (see ``helpers.models.training.encode_labels``).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from ..runtime import quiet_tensorflow

# The seed report's tuned XGBoost (random 80/20 split, 79 % reported).
XGB_TUNED: dict[str, Any] = dict(
    subsample=0.6, reg_lambda=1.5, reg_alpha=0.1, n_estimators=1000, max_depth=9,
    learning_rate=0.05, gamma=0, colsample_bytree=0.6,
)
FEATURE_MODELS: tuple[str, ...] = ("knn", "random-forest", "xgboost", "xgboost-tuned", "svm-rbf", "dense-net")
SEQUENCE_MODELS: tuple[str, ...] = ("lstm",)
# Linear and kernel classifiers for pretrained embeddings; regularisation chosen by 5-fold
# cross-validation on the training clips only (never on the protocol's test clips).
EMBEDDING_MODELS: tuple[str, ...] = ("logreg-cv", "svm-rbf-cv")
LOGREG_CS: tuple[float, ...] = (1e-3, 1e-2, 0.1, 1.0)
SVM_CS: tuple[float, ...] = (0.3, 1.0, 3.0, 10.0, 30.0)


class DenseNetClassifier(ClassifierMixin, BaseEstimator):
    """The seed report's dense network as a scikit-learn classifier (Keras inside).

    Layers 512-512-256-128-64-16 (ReLU, batch normalisation, dropout) and a
    softmax; Adam; early stopping on a validation share of the training data
    restores the best weights.
    """

    def __init__(self, units=(512, 512, 256, 128, 64, 16), dropout=0.2, learning_rate=1e-3, epochs=100,
                 batch_size=32, patience=10, validation_split=0.1, seed=42, verbose=0, run_eagerly="auto"):
        self.units = units
        self.dropout = dropout
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.patience = patience
        self.validation_split = validation_split
        self.seed = seed
        self.verbose = verbose
        self.run_eagerly = run_eagerly

    def _build(self, n_features: int, n_classes: int, eager: bool = False):
        quiet_tensorflow()
        import keras

        keras.backend.clear_session()  # one graph per fit: no retracing across folds
        keras.utils.set_random_seed(self.seed)
        model = keras.Sequential([keras.Input((n_features,))])
        for width in self.units:
            model.add(keras.layers.Dense(width, activation="relu"))
            model.add(keras.layers.BatchNormalization())
            model.add(keras.layers.Dropout(self.dropout))
        model.add(keras.layers.Dense(n_classes, activation="softmax"))
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                      jit_compile=False,  # XLA compilation costs more than it saves on tabular data this small
                      run_eagerly=eager)
        return model

    def fit(self, X, y):
        quiet_tensorflow()
        import keras

        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        # Keras takes the validation share from the *end* of the arrays, and tables are
        # often sorted by genre: shuffle first, or validation holds a single genre.
        order = np.random.default_rng(self.seed).permutation(len(y))
        X, y = X[order], y[order]
        self.classes_ = np.unique(y)
        steps = self.epochs * -(-len(X) // self.batch_size)
        # Tracing a graph costs seconds; for a few dozen steps (smoke runs) eager is faster.
        eager = steps < 100 if self.run_eagerly == "auto" else bool(self.run_eagerly)
        self.model_ = self._build(self._input_shape(X), int(y.max()) + 1, eager)
        callbacks = [keras.callbacks.EarlyStopping(patience=self.patience, restore_best_weights=True)] if self.validation_split else []
        start = time.perf_counter()
        self.history_ = self.model_.fit(
            X, y, epochs=self.epochs, batch_size=self.batch_size, validation_split=self.validation_split,
            callbacks=callbacks, verbose=self.verbose, shuffle=True,
        ).history
        self.fit_seconds_ = time.perf_counter() - start
        return self

    def _input_shape(self, X):
        return X.shape[1]

    def predict_proba(self, X):
        return self.model_.predict(np.asarray(X, dtype=np.float32), verbose=0)

    def predict(self, X):
        return np.argmax(self.predict_proba(X), axis=1)


class LSTMClassifier(DenseNetClassifier):
    """An LSTM over per-frame feature sequences ``(n, steps, features)``.

    Each feature is standardised with training statistics; two stacked LSTM
    layers (64, 32), dropout, a dense layer and a softmax.
    """

    def __init__(self, units=(64, 32), dropout=0.3, learning_rate=1e-3, epochs=60, batch_size=32, patience=10,
                 validation_split=0.1, seed=42, verbose=0, run_eagerly="auto"):
        super().__init__(units=units, dropout=dropout, learning_rate=learning_rate, epochs=epochs, batch_size=batch_size,
                         patience=patience, validation_split=validation_split, seed=seed, verbose=verbose, run_eagerly=run_eagerly)

    def _build(self, input_shape, n_classes: int, eager: bool = False):
        quiet_tensorflow()
        import keras

        keras.backend.clear_session()
        keras.utils.set_random_seed(self.seed)
        layers = [keras.Input(input_shape)]
        for i, width in enumerate(self.units):
            layers.append(keras.layers.LSTM(width, return_sequences=i < len(self.units) - 1))
            layers.append(keras.layers.Dropout(self.dropout))
        layers += [keras.layers.Dense(64, activation="relu"), keras.layers.Dense(n_classes, activation="softmax")]
        model = keras.Sequential(layers)
        model.compile(optimizer=keras.optimizers.Adam(self.learning_rate), loss="sparse_categorical_crossentropy",
                      metrics=["accuracy"], jit_compile=False, run_eagerly=eager)
        return model

    def fit(self, X, y):
        X = np.asarray(X, dtype=np.float32)
        self.mean_ = X.mean(axis=(0, 1), keepdims=True)
        self.std_ = X.std(axis=(0, 1), keepdims=True) + 1e-6
        return super().fit(self._scale(X), y)

    def _scale(self, X):
        return (np.asarray(X, dtype=np.float32) - self.mean_) / self.std_

    def predict_proba(self, X):
        return self.model_.predict(self._scale(X), verbose=0)

    def _input_shape(self, X):
        return X.shape[1:]


def feature_model(name: str, seed: int = 42, jobs: int = 1, **overrides: Any) -> Pipeline:
    """A scaler + classifier pipeline for tabular features; ``overrides`` replace model parameters."""
    if name == "knn":
        from sklearn.neighbors import KNeighborsClassifier

        model = KNeighborsClassifier(**{"n_neighbors": 5, **overrides})
    elif name == "random-forest":
        from sklearn.ensemble import RandomForestClassifier

        model = RandomForestClassifier(**{"n_estimators": 500, "random_state": seed, "n_jobs": jobs, **overrides})
    elif name in ("xgboost", "xgboost-tuned"):
        from xgboost import XGBClassifier

        base = XGB_TUNED if name == "xgboost-tuned" else {}
        model = XGBClassifier(**{**base, "random_state": seed, "n_jobs": jobs, "tree_method": "hist", **overrides})
    elif name == "svm-rbf":
        from sklearn.svm import SVC

        model = SVC(**{"kernel": "rbf", "C": 10.0, "gamma": "scale", "random_state": seed, **overrides})
    elif name == "logreg-cv":
        from sklearn.linear_model import LogisticRegressionCV

        # l1_ratios, scoring and use_legacy_attributes set explicitly: their defaults change in scikit-learn 1.10-1.11
        model = LogisticRegressionCV(**{"Cs": list(LOGREG_CS), "cv": inner_cv(seed), "max_iter": 2000, "tol": 1e-3, "n_jobs": jobs,
                                        "l1_ratios": (0.0,), "scoring": "accuracy", "use_legacy_attributes": False,
                                        **overrides})
    elif name == "svm-rbf-cv":
        from sklearn.model_selection import GridSearchCV
        from sklearn.svm import SVC

        model = GridSearchCV(SVC(kernel="rbf", gamma="scale", random_state=seed), {"C": list(SVM_CS)},
                             **{"cv": inner_cv(seed), "n_jobs": jobs, **overrides})
    elif name == "dense-net":
        model = DenseNetClassifier(**{"seed": seed, **overrides})
    elif name == "lstm":
        return LSTMClassifier(**{"seed": seed, **overrides})  # scales its sequences itself
    else:
        raise ValueError(f"unknown model {name!r}; valid models: {', '.join(FEATURE_MODELS + SEQUENCE_MODELS + EMBEDDING_MODELS)}")
    return make_pipeline(StandardScaler(), model)


def inner_cv(seed: int, folds: int = 5):
    """Stratified folds of the training clips that choose an embedding model's regularisation (at most 5, at least 2)."""
    from sklearn.model_selection import StratifiedKFold

    return StratifiedKFold(max(2, min(5, folds)), shuffle=True, random_state=seed)


# ----------------------------------------------------------------------------- spectrogram networks

CNN_MODELS: tuple[str, ...] = ("base-cnn", "small-cnn", "crnn")
# The main seed's head alone (dense 128, dropout 0.5, softmax), on the cached features of a frozen base
# (helpers.models.transfer_nets.base_features): the frozen-base recipe without recomputing the base each epoch.
DENSE_HEAD: dict[str, Any] = dict(dense_units=128, dropout=0.5, learning_rate=1e-3)

# The main seed report's base CNN: three convolution blocks (conv, max pooling, dropout),
# dense 128, softmax; Adam 1e-3.
BASE_CNN: dict[str, Any] = dict(filters=(32, 64, 128), kernel_size=3, pool_size=2, dropout=0.25, dense_units=128,
                                dense_dropout=0.5, learning_rate=1e-3)
# The 3-s-segment report's small CNN (64 mel bins): conv 64 3x3, then 3x5, max pooling 2x4, dropout 0.2, dense 32.
SMALL_CNN: dict[str, Any] = dict(filters=(64, 64), kernel_sizes=((3, 3), (3, 5)), pool_size=(2, 4), dropout=0.2,
                                 dense_units=32, learning_rate=1e-3)
CRNN: dict[str, Any] = dict(filters=(32, 64, 64), kernel_size=3, pool_size=2, dropout=0.25, lstm_units=64, learning_rate=1e-3)

# keras-tuner grids over the base CNN's parameters (filters, kernel sizes, dropout, learning
# rate). The seed report searched 551 combinations; "paper" spans the same four axes
# (3 x 2 x 3 x 3 = 54 trials), "report" a CPU-sized corner of it (8 trials, 3x3 kernels only,
# the cheapest on a CPU), "smoke" two trials.
GRIDS: dict[str, dict[str, list]] = {
    "paper": dict(filters=[(16, 32, 64), (32, 64, 128), (64, 128, 256)], kernel_size=[3, 5],
                  dropout=[0.1, 0.25, 0.4], learning_rate=[1e-2, 1e-3, 1e-4]),
    "report": dict(filters=[(16, 32, 64), (32, 64, 128)], dropout=[0.25, 0.4], learning_rate=[1e-3, 3e-4]),
    "smoke": dict(dropout=[0.1, 0.25]),
}


def grid(name: str) -> dict[str, list]:
    """The tuner grid called ``name`` (a key of ``GRIDS``)."""
    if name not in GRIDS:
        raise ValueError(f"unknown grid {name!r}; valid grids: {', '.join(GRIDS)}")
    return GRIDS[name]


def spectrogram_defaults(name: str) -> dict[str, Any]:
    """The default parameters of spectrogram network ``name`` (``BASE_CNN``, ``SMALL_CNN``, ``CRNN``, ``DENSE_HEAD``,
    or a transfer network's, see ``helpers.models.transfer_nets``)."""
    from . import transfer_nets

    if name in transfer_nets.NETWORKS:
        return transfer_nets.transfer_defaults(name)
    defaults = {"base-cnn": BASE_CNN, "small-cnn": SMALL_CNN, "crnn": CRNN, "dense-head": DENSE_HEAD}
    if name not in defaults:
        valid = CNN_MODELS + ("dense-head",) + transfer_nets.NETWORKS
        raise ValueError(f"unknown model {name!r}; valid spectrogram models: {', '.join(valid)}")
    return dict(defaults[name])


def spectrogram_model(name: str, input_shape: tuple[int, int, int], n_classes: int, seed: int = 42, **overrides: Any):
    """A compiled Keras network on ``(mel bands, frames, channels)`` inputs, built from plain parameters.

    ``name`` is one of ``CNN_MODELS``, ``dense-head`` (the seed's head on feature vectors) or a
    transfer network (``helpers.models.transfer_nets.NETWORKS``, built there); ``overrides`` replace entries
    of its parameter dict, so a tuner and a notebook build the same network.
    """
    quiet_tensorflow()
    import keras

    from . import transfer_nets

    defaults = spectrogram_defaults(name)
    unknown = set(overrides) - set(defaults)
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(unknown)} for {name}; valid: {', '.join(defaults)}")
    p = {**defaults, **overrides}
    if name in transfer_nets.NETWORKS:
        return transfer_nets.build(name, input_shape, n_classes, seed=seed, **p)
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(input_shape)
    x = inputs
    if name == "dense-head":
        x = keras.layers.Dropout(p["dropout"])(keras.layers.Dense(p["dense_units"], activation="relu")(x))
    elif name == "small-cnn":
        for filters, kernel in zip(p["filters"], p["kernel_sizes"]):
            x = keras.layers.Conv2D(filters, kernel, padding="same", activation="relu")(x)
            x = keras.layers.MaxPooling2D(p["pool_size"], padding="same")(x)
            x = keras.layers.Dropout(p["dropout"])(x)
        x = keras.layers.Flatten()(x)
        x = keras.layers.Dense(p["dense_units"], activation="relu")(x)
    else:
        for filters in p["filters"]:
            x = keras.layers.Conv2D(filters, p["kernel_size"], padding="same", activation="relu")(x)
            x = keras.layers.MaxPooling2D(p["pool_size"], padding="same")(x)
            x = keras.layers.Dropout(p["dropout"])(x)
        if name == "base-cnn":
            x = keras.layers.Flatten()(x)
            x = keras.layers.Dense(p["dense_units"], activation="relu")(x)
            x = keras.layers.Dropout(p["dense_dropout"])(x)
        else:  # CRNN: the frequency axis folded into channels, an LSTM over time
            x = keras.layers.Permute((2, 1, 3))(x)
            x = keras.layers.Reshape((x.shape[1], x.shape[2] * x.shape[3]))(x)
            x = keras.layers.LSTM(p["lstm_units"])(x)
    outputs = keras.layers.Dense(n_classes, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name=name)
    model.compile(optimizer=keras.optimizers.Adam(p["learning_rate"]), loss="categorical_crossentropy", metrics=["accuracy"])
    return model
