"""Optuna searches of a network's learning rate and weight decay, as the FMA report ran them, kept in a database so
that an interrupted search resumes and several processes or machines can share one.

* Sampler: TPE (Optuna's default), seeded; each call draws from ``seed``, its ``worker`` number and the number of
  trials the study already holds, so that a resumed study and two workers on one study do not repeat each other's
  draws, and the same call on the same study draws the same trials. ``constant_liar`` keeps concurrent workers
  from sampling around the same point while a trial runs.
* Pruner: the median rule on the validation loss of each epoch (``MedianPruner``): a trial whose loss at an epoch is
  worse than the median of earlier trials at that epoch stops there (state ``PRUNED``).
* Storage: Optuna's RDB storage, a SQLite file by default (:func:`storage_url`). :func:`search` runs trials until
  the study holds ``trials`` finished (complete or pruned) ones: a study interrupted by Ctrl-C or a crash keeps every
  finished trial and the next call runs only the missing ones; a finished study runs nothing and gives the same
  best parameters. A trial whose process died stays ``RUNNING`` (not counted) until its heartbeat is ``grace_seconds``
  old, then it is marked failed and run again with the same parameters (Optuna's ``RetryHeartbeatStaleTrialCallback``;
  a process that died before its trial's first heartbeat leaves that trial ``RUNNING`` for good, and uncounted).

Sharing one study: give every process the same ``study_name`` and ``storage`` and its own ``worker`` number. On one
machine the same SQLite file is enough (SQLite locks the file for each write; fine for a few workers whose trials
take seconds or more). Machines share a database server named by its URL, e.g.
``postgresql://user:password@host/optuna`` (the server's Python driver must be installed, psycopg2 for PostgreSQL);
``$MGC_OPTUNA_STORAGE`` names one for every run without editing a notebook (:func:`default_storage`). The study stops
at ``trials`` finished trials whoever ran them; a worker may finish a trial or two past it while the others end theirs.

Figures (``optuna.visualization.matplotlib``): :func:`history_figure` (the validation loss of each trial and the best
so far) and :func:`importance_figure` (fANOVA importance of each parameter, seeded).
Optuna's per-trial INFO lines are silenced (warnings still show).
"""

from __future__ import annotations

import os
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .. import cli
from ..plots.style import set_title, styled
from ..runtime import install_quiet_tensorflow

if TYPE_CHECKING:
    import matplotlib.figure
    import optuna

STORAGE_VARIABLE = "MGC_OPTUNA_STORAGE"
# Log-uniform ranges around the seeds' Adam 1e-4 and the weight decay 0.005 Optuna found for NNET2.
SEARCH_SPACE: dict[str, tuple[float, float]] = {"learning_rate": (1e-5, 1e-2), "weight_decay": (1e-5, 1e-1)}
# Finished trials per study and profile, as zoo.GRIDS sizes the grid search. The FMA report gives no count; paper: ours,
# enough for TPE to model 20 trials after its 10 random ones; report: what 2 CPU cores afford; smoke: the code path.
TRIALS: dict[str, int] = {"paper": 30, "report": 4, "smoke": 2}
HEARTBEAT_SECONDS = 60
GRACE_SECONDS = 180  # a trial silent this long belongs to a process that died
_SQLITE_HEADER = b"SQLite format 3\x00"

# The objective: trains with the suggested parameters, calls report(epoch, validation loss) after each epoch (which
# raises optuna.TrialPruned when the pruner stops the trial) and returns the value to minimise.
Objective = Callable[[dict[str, float], Callable[[int, float], None]], float]


def _optuna():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)  # no INFO line per trial in rendered notebooks
    return optuna


def default_storage(path: str | os.PathLike) -> str:
    """The storage of a study unless a call names one: ``$MGC_OPTUNA_STORAGE`` (a database URL that several machines
    share) when set, else the SQLite file ``path``."""
    return os.environ.get(STORAGE_VARIABLE) or str(path)


def storage_url(storage: str | os.PathLike) -> str:
    """A database URL as given (``sqlite:///...``, ``postgresql://...``), or a path as the URL of a SQLite file there
    (its folder is created). A path that is a folder, or a file that is not a SQLite database, is a ``cli.UserError``:
    the study never writes into a file it did not make."""
    text = os.fspath(storage)
    if "://" in text:
        return text
    path = Path(text).expanduser().resolve()
    if path.is_dir():
        raise cli.UserError(f"optuna storage {path} is a folder; name a SQLite file (e.g. {path / 'optuna.sqlite3'}) or a database URL")
    if path.is_file() and path.stat().st_size:
        with open(path, "rb") as handle:
            if handle.read(len(_SQLITE_HEADER)) != _SQLITE_HEADER:
                raise cli.UserError(f"optuna storage {path} is not a SQLite database; name another file or a database URL")
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _shown(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 (a URL too broken to parse is shown as given)
        return url


def open_storage(storage: str | os.PathLike, *, heartbeat_seconds: int = HEARTBEAT_SECONDS, grace_seconds: int = GRACE_SECONDS):
    """Optuna's RDB storage at ``storage`` (:func:`storage_url`), with heartbeats so that a dead process's trial is
    failed and retried. A URL that is not a database, or a database that cannot be opened, is one ``cli.UserError``."""
    optuna = _optuna()
    import sqlalchemy.exc

    url = storage_url(storage)
    # SQLite: wait for another worker's write instead of failing on a locked file
    engine = {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}
    for attempt in range(3):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(
                    url, engine_kwargs=engine, heartbeat_interval=heartbeat_seconds, grace_period=grace_seconds,
                    heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=2))
        except (sqlalchemy.exc.ArgumentError, ImportError) as error:
            raise cli.UserError(f"optuna storage {_shown(url)!r} is not a database URL Optuna can open ({error}); name a "
                                "SQLite file or a URL such as sqlite:///path/optuna.sqlite3 or postgresql://user@host/db") from None
        except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.IntegrityError) as error:
            # two workers creating the tables of a new file at once (a locked file, a schema row written twice):
            # the second retries once the first is done
            if attempt == 2:
                raise cli.UserError(f"cannot open optuna storage {_shown(url)}: {error.orig}; check the file or the database "
                                    "server") from None
            time.sleep(0.5 * (attempt + 1))


FINISHED_STATES = ("COMPLETE", "PRUNED")


def _finished(study: optuna.Study) -> int:
    optuna = _optuna()
    states = tuple(getattr(optuna.trial.TrialState, s) for s in FINISHED_STATES)
    return len(study.get_trials(deepcopy=False, states=states))


def open_study(study_name: str, storage: str | os.PathLike, *, seed: int = 42, worker: int = 0, startup_trials: int = 10,
               pruner_startup_trials: int = 5, warmup_epochs: int = 0, heartbeat_seconds: int = HEARTBEAT_SECONDS,
               grace_seconds: int = GRACE_SECONDS) -> optuna.Study:
    """The study ``study_name`` in ``storage``, created when missing, minimising the validation loss.

    ``startup_trials``: random trials before TPE models the results (Optuna's 10); ``pruner_startup_trials`` and
    ``warmup_epochs``: the median pruner waits for that many finished trials, and prunes no trial before that epoch.
    """
    optuna = _optuna()
    rdb = open_storage(storage, heartbeat_seconds=heartbeat_seconds, grace_seconds=grace_seconds)
    held = next((s.n_trials for s in optuna.study.get_all_study_summaries(rdb, include_best_trial=False)
                 if s.study_name == study_name), 0)
    draws = int(np.random.SeedSequence([seed, worker, held]).generate_state(1)[0])
    pruner = optuna.pruners.MedianPruner(n_startup_trials=pruner_startup_trials, n_warmup_steps=warmup_epochs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # constant_liar
        sampler = optuna.samplers.TPESampler(seed=draws, n_startup_trials=startup_trials, constant_liar=True)
        return optuna.create_study(study_name=study_name, storage=rdb, sampler=sampler, pruner=pruner, direction="minimize",
                                   load_if_exists=True)


@dataclass(frozen=True)
class Search:
    """A study after :func:`search`: the study itself, its trials as a table, and how many trials this call ran."""

    study: optuna.Study
    trials: pd.DataFrame  # number, state, value, one column per parameter, worker, seconds
    ran: int

    @property
    def best_params(self) -> dict[str, float]:
        """The parameters of the trial with the lowest validation loss (``ValueError`` when none completed)."""
        return dict(self.study.best_params)

    @property
    def best_value(self) -> float:
        return float(self.study.best_value)


def trial_table(study: optuna.Study) -> pd.DataFrame:
    """One row per trial: ``number, state, value``, each parameter, the ``worker`` that ran it and its ``seconds``."""
    rows = [{"number": t.number, "state": t.state.name, "value": t.value, **t.params, "worker": t.user_attrs.get("worker"),
             "seconds": t.duration.total_seconds() if t.duration else None} for t in study.get_trials(deepcopy=False)]
    return pd.DataFrame(rows, columns=None if rows else ["number", "state", "value", "worker", "seconds"])


def search(objective: Objective, *, study_name: str, storage: str | os.PathLike, trials: int,
           space: Mapping[str, tuple[float, float]] = SEARCH_SPACE, seed: int = 42, worker: int = 0,
           timeout: float | None = None, **study_settings: Any) -> Search:
    """Run trials of ``objective`` until study ``study_name`` in ``storage`` holds ``trials`` finished ones.

    Each trial draws every parameter of ``space`` log-uniformly within its ``(low, high)`` and calls
    ``objective(params, report)``; ``report(epoch, validation_loss)`` feeds the median pruner and raises
    ``optuna.TrialPruned`` when it stops the trial (:func:`pruning_callback` does it from Keras). ``worker``: this
    process's number among those sharing the study; ``timeout``: seconds after which no new trial starts;
    ``study_settings``: :func:`open_study`'s. An exception in ``objective`` marks its trial failed and propagates.
    """
    if trials < 1:
        raise ValueError(f"trials must be 1 or more, got {trials}")
    for name, (low, high) in space.items():
        if not 0 < low < high:
            raise ValueError(f"{name}: a log-uniform range needs 0 < low < high, got ({low}, {high})")
    optuna = _optuna()
    study = open_study(study_name, storage, seed=seed, worker=worker, **study_settings)
    finished = tuple(getattr(optuna.trial.TrialState, s) for s in FINISHED_STATES)
    ran = 0

    def run_trial(trial) -> float:
        nonlocal ran
        ran += 1
        trial.set_user_attr("worker", worker)
        params = {name: trial.suggest_float(name, low, high, log=True) for name, (low, high) in space.items()}

        def report(epoch: int, value: float) -> None:
            trial.report(float(value), int(epoch))
            if trial.should_prune():
                raise optuna.TrialPruned(f"validation loss {value:.4g} at epoch {epoch} is above the median of earlier trials")

        return float(objective(params, report))

    remaining = trials - _finished(study)
    if remaining > 0:
        study.optimize(run_trial, n_trials=remaining, timeout=timeout, gc_after_trial=True,
                       callbacks=[optuna.study.MaxTrialsCallback(trials, states=finished)])
    return Search(study, trial_table(study), ran)


def pruning_callback(report: Callable[[int, float], None], monitor: str = "val_loss"):
    """A Keras callback that passes ``monitor`` after each epoch (1-based) to ``report``, whose ``TrialPruned`` ends
    the fit."""
    install_quiet_tensorflow()
    import keras

    class Pruning(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            value = (logs or {}).get(monitor)
            if value is not None:
                report(epoch + 1, float(value))

    return Pruning()


@styled
def history_figure(study: optuna.Study, title: str) -> matplotlib.figure.Figure:
    """Optuna's optimisation history: each finished trial's validation loss and the best so far."""
    optuna = _optuna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        ax = optuna.visualization.matplotlib.plot_optimization_history(study, target_name="validation loss")
    return _titled(ax, title)


@styled
def importance_figure(study: optuna.Study, title: str, seed: int = 42) -> matplotlib.figure.Figure:
    """Optuna's parameter importances (fANOVA, seeded) over the complete trials; a figure that says so when fewer
    than two trials completed (importances need at least two)."""
    import matplotlib.pyplot as plt

    optuna = _optuna()
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(complete) < 2:
        fig, ax = plt.subplots(figsize=(6.4, 2.0))
        ax.axis("off")
        ax.text(0.5, 0.5, f"parameter importances need at least two complete trials; this study has {len(complete)}",
                ha="center", va="center", wrap=True)
        set_title(ax, title)
        return fig
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        ax = optuna.visualization.matplotlib.plot_param_importances(study, evaluator=evaluator, target_name="validation loss")
    return _titled(ax, title)


def _titled(ax, title: str) -> matplotlib.figure.Figure:
    """Optuna's figure with ``title`` in place of its own (which sits at the left, where a long title would overlap it),
    laid out so that the parameter names stay inside the image."""
    for where in ("left", "center", "right"):
        ax.set_title("", loc=where)
    set_title(ax, title)
    ax.figure.tight_layout()
    return ax.figure
