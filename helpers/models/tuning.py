"""Grid search over a spectrogram network's parameters with keras-tuner.

Every trial trains on the ``train`` rows and is scored on the ``valid`` rows; the
test rows are never seen. Tuner state lives on disk, so a finished search is
reloaded and an interrupted one resumes.

A setting chosen on one protocol's validation clips may sit in another protocol's
test list (GTZAN's fault-filtered test list holds clips of the random split's
validation part), so :func:`grid_search_per_protocol` tunes each protocol on its own
train/valid parts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..runtime import progress as progress_bar
from ..runtime import quiet_tensorflow
from . import zoo
from .network_splits import row_split, split_parts
from .networks import seed_networks, train_valid_datasets
from .training import EmptySplitError, encode_labels


def _grid_label(value) -> str:
    return "-".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value)


def grid_search(
    name: str, grid: dict[str, list], X: np.ndarray, table: pd.DataFrame, split: pd.Series, *, directory,
    project_name: str, overwrite: bool = False, epochs: int = 10, batch_size: int = 32, patience: int = 5,
    augment: dict | None = None, seed: int = 42, params: dict | None = None,
) -> tuple[pd.DataFrame, dict]:
    """Every combination of ``grid`` (parameters of ``zoo.spectrogram_model(name)``) with keras-tuner ``GridSearch``.

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

    unknown = set(grid) - set(zoo.spectrogram_defaults(name))
    if unknown:
        raise ValueError(f"grid keys {sorted(unknown)} are not parameters of {name}; valid: {', '.join(zoo.spectrogram_defaults(name))}")
    # keras-tuner choices must be scalars: tuples (filters per block) travel as labels.
    decode = {key: {_grid_label(v): v for v in values} for key, values in grid.items()}
    input_shape = tuple(X_train.shape[1:])

    def build(hp):
        chosen = {key: decode[key][hp.Choice(key, list(decode[key]))] for key in grid}
        return zoo.spectrogram_model(name, input_shape, n_classes, seed=seed, **{**(params or {}), **chosen})

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


def grid_search_per_protocol(
    name: str, grid: dict[str, list], X: np.ndarray, table: pd.DataFrame, protocols: Sequence[str], *, directory,
    project_prefix: str, overwrite: bool = False, epochs: int = 10, batch_size: int = 32, patience: int = 5,
    augment: dict | None = None, seed: int = 42, params: dict | None = None,
) -> dict[str, tuple[pd.DataFrame, dict]]:
    """:func:`grid_search` once per protocol, on that protocol's own train/valid parts (``network_split``).

    The best setting of a protocol is then evaluated under the same protocol, whose test
    clips no trial has seen: only the train and valid rows reach the tuner (checked).
    Tuner state per protocol lives in ``directory/<project_prefix>-<protocol>``. A protocol
    that leaves a part empty is skipped with a message. Returns ``{protocol: (trials, best)}``.
    """
    zoo.spectrogram_defaults(name)  # an unknown model name fails before any search
    searches = {}
    for protocol in protocols:
        try:
            split = row_split(table, protocol, seed=seed)
            split_parts(table[["track_id"]].assign(split=split.to_numpy()), protocol)
        except EmptySplitError as error:
            print(f"skipped the grid search of {name} under {protocol}: {error}")
            continue
        seen = split.isin(("train", "valid")).to_numpy()
        searched = table[seen].reset_index(drop=True)
        leaked = set(searched["track_id"]) & set(table.loc[(split == "test").to_numpy(), "track_id"])
        assert not leaked, f"test clips reached the {protocol} grid search: {sorted(leaked)[:5]}"
        project = f"{project_prefix}-{re.sub(r'[^A-Za-z0-9._-]+', '-', protocol)}"
        searches[protocol] = grid_search(
            name, grid, X[seen], searched, split[seen].to_numpy(), directory=directory, project_name=project,
            overwrite=overwrite, epochs=epochs, batch_size=batch_size, patience=patience, augment=augment, seed=seed,
            params=params)
    return searches
