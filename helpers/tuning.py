"""Grid search over a spectrogram network's parameters with keras-tuner.

Every trial trains on the ``train`` rows and is scored on the ``valid`` rows; the
test rows are never seen. Tuner state lives on disk, so a finished search is
reloaded and an interrupted one resumes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import models
from .networks import seed_networks, train_valid_datasets
from .runtime import progress as progress_bar
from .runtime import quiet_tensorflow
from .training import EmptySplitError, encode_labels


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
    for part in ("train", "valid"):
        if not (split == part).any():
            raise EmptySplitError(f"the grid search needs {part} rows, and the split given has none")
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

    seed_networks(seed)
    tuner = keras_tuner.GridSearch(build, objective="val_accuracy", seed=seed, directory=str(directory),
                                   project_name=project_name, overwrite=overwrite)
    train, valid = train_valid_datasets(X_train, y_train, X_valid, y_valid, n_classes, batch_size, augment, seed)
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
