"""Optuna searches: seeded draws, the median pruner, a study that resumes from its SQLite file after its process was
killed, two processes sharing one study, bad storages named in one line, and the two figures. Small objectives, no
networks."""

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from helpers import cli
from helpers.models import optuna_search

REPO = Path(__file__).resolve().parents[1]

# One worker process: runs `search` on a small objective that writes each call's parameters to a file. "die": the
# process kills itself during its third trial (no clean-up, as a crash or a lost machine); "share": each worker's first
# trial waits until the other worker has started one, so that both work on the study at the same time.
WORKER = """
import json, math, os, signal, sys, time
from pathlib import Path
from helpers.models import optuna_search
storage, worker, trials, folder, mode = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), Path(sys.argv[4]), sys.argv[5]
calls = 0
def objective(params, report):
    global calls
    calls += 1
    (folder / f"call-{worker}-{calls}.json").write_text(json.dumps(params))
    if mode == "die" and calls == 3:
        time.sleep(1.5)  # mid-trial: its heartbeat has been recorded
        os.kill(os.getpid(), signal.SIGKILL)
    if mode == "share" and calls == 1:
        (folder / f"ready-{worker}").touch()
        deadline = time.time() + 60
        while not (folder / f"ready-{1 - worker}").exists() and time.time() < deadline:
            time.sleep(0.05)
    loss = (math.log10(params["learning_rate"]) + 3) ** 2
    for epoch in (1, 2):
        report(epoch, loss + 1 / epoch)
    return loss
optuna_search.search(objective, study_name="shared", storage=storage, trials=trials, worker=worker,
                     heartbeat_seconds=1, grace_seconds=2)
"""


def _worker(storage, worker: int, trials: int, folder: Path, mode: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", WORKER, str(storage), str(worker), str(trials), str(folder), mode],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _loss(params, report):
    loss = (math.log10(params["learning_rate"]) + 3) ** 2 + (math.log10(params["weight_decay"]) + 2) ** 2
    for epoch in (1, 2):
        report(epoch, loss + 1 / epoch)
    return loss


def test_a_study_resumes_from_its_storage_after_its_process_was_killed(tmp_path):
    import json

    import optuna

    storage = tmp_path / "studies" / "optuna.sqlite3"
    killed = _worker(storage, 0, 5, tmp_path, "die")
    _, err = killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL, err
    before = optuna.load_study(study_name="shared", storage=optuna_search.storage_url(storage)).get_trials()
    assert [t.state.name for t in before] == ["COMPLETE", "COMPLETE", "RUNNING"]
    time.sleep(3)  # the dead process's heartbeat goes stale (grace 2 s)

    calls = []

    def objective(params, report):
        calls.append(params)
        return _loss(params, report)

    resumed = optuna_search.search(objective, study_name="shared", storage=storage, trials=5, heartbeat_seconds=1, grace_seconds=2)
    assert resumed.ran == 3  # only the missing trials: the two finished ones are kept
    table = resumed.trials.set_index("number")
    assert table.loc[2, "state"] == "FAIL"  # the dead process's trial, failed once stale ...
    assert calls[0] == json.loads((tmp_path / "call-0-3.json").read_text())  # ... and run again with its parameters
    for trial in before[:2]:
        assert table.loc[trial.number, "state"] == "COMPLETE" and table.loc[trial.number, "value"] == trial.value
    assert (table["state"] == "COMPLETE").sum() == 5
    again = optuna_search.search(objective, study_name="shared", storage=storage, trials=5)
    assert again.ran == 0 and again.best_params == resumed.best_params


def test_two_processes_share_one_study_on_one_sqlite_file(tmp_path):
    import optuna

    storage = tmp_path / "shared.sqlite3"
    workers = [_worker(storage, k, 6, tmp_path, "share") for k in (0, 1)]  # both create the new file's tables at once
    for process in workers:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    trials = optuna.load_study(study_name="shared", storage=optuna_search.storage_url(storage)).get_trials()
    finished = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]
    assert 6 <= len(finished) <= 7  # the target, or one more that the other worker was still running
    assert {t.user_attrs["worker"] for t in finished} == {0, 1}
    draws = [tuple(sorted(t.params.items())) for t in trials]
    assert len(set(draws)) == len(draws), "two workers drew the same parameters"


def test_draws_are_seeded_per_worker_pruned_by_the_median_and_quiet(tmp_path, capfd):
    storage = tmp_path / "studies.sqlite3"
    first, same, other = (optuna_search.search(_loss, study_name=name, storage=storage, trials=3, seed=7, worker=worker)
                          for name, worker in (("a", 0), ("b", 0), ("c", 1)))  # each a new study: same draws, or another worker's
    columns = ["learning_rate", "weight_decay"]
    assert first.trials[columns].equals(same.trials[columns])
    assert not first.trials[columns].equals(other.trials[columns])
    assert "Trial 0 finished" not in capfd.readouterr().err  # no INFO line per trial

    epochs = []

    def worse_after_the_first(params, report):
        loss = 1.0 if not epochs else 10.0
        for epoch in (1, 2, 3):
            epochs.append(epoch)
            report(epoch, loss)
        return loss

    pruned = optuna_search.search(worse_after_the_first, study_name="p", storage=storage, trials=3, pruner_startup_trials=1)
    assert pruned.trials["state"].tolist() == ["COMPLETE", "PRUNED", "PRUNED"]
    assert epochs == [1, 2, 3, 1, 1]  # a pruned trial stops at its first epoch above the median


def test_a_bad_storage_is_one_user_error_and_a_foreign_file_is_left_alone(tmp_path):
    foreign = tmp_path / "notes.txt"
    foreign.write_text("my notes")
    for storage, words in ((tmp_path, "is a folder"), (foreign, "is not a SQLite database"),
                           ("nosuchdatabase://host/db", "is not a database URL")):
        with pytest.raises(cli.UserError, match=words) as error:
            optuna_search.search(_loss, study_name="s", storage=storage, trials=1)
        assert "\n" not in str(error.value)
    assert foreign.read_text() == "my notes"
    assert optuna_search.storage_url("postgresql://user:secret@host/optuna") == "postgresql://user:secret@host/optuna"


def test_the_figures_are_optunas_history_and_importances_with_our_title(tmp_path):
    one = optuna_search.search(_loss, study_name="one", storage=tmp_path / "f.sqlite3", trials=1)
    note = optuna_search.importance_figure(one.study, "nnet1 on gtzan")
    assert "at least two complete trials" in note.axes[0].texts[0].get_text()
    three = optuna_search.search(_loss, study_name="three", storage=tmp_path / "f.sqlite3", trials=3)
    for figure in (optuna_search.history_figure(three.study, "nnet1 on gtzan"),
                   optuna_search.importance_figure(three.study, "nnet1 on gtzan")):
        assert figure.axes[0].get_title() == "nnet1 on gtzan" and figure.axes[0].get_title(loc="left") == ""
        plt.close(figure)
    plt.close(note)
