"""run_all.sh: bad input ends in one clear line on stderr and exit status 2, never a
traceback or a silent fallback; --only picks the notebooks asked for; dataset paths are
the caller's. No notebook runs here: --dry-run stops before papermill, and most tests use
a stand-in interpreter that answers ``-m helpers.config dataset`` and refuses papermill."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

SCRIPT = REPO / "run_all.sh"
NUMBERS = [p.name[:2] for p in sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))]
NAMES = {p.name[:2]: p.name for p in (REPO / "notebooks").glob("[0-9][0-9]_*.ipynb")}

# Stands in for Python: the dataset command reports what it was given and a label (or
# $FAKE_LABEL_STATUS with $FAKE_LABEL_STDERR); papermill is refused; anything else runs
# the real interpreter.
FAKE_PYTHON = """#!/usr/bin/env bash
if [ "$1 $2 $3" = "-m helpers.config dataset" ]; then
  echo "MGC_DATASET=${{MGC_DATASET-<unset>}}"
  echo "GTZAN_DIR=${{GTZAN_DIR-<unset>}}"
  [ -n "${{FAKE_LABEL_STDERR-}}" ] && echo "$FAKE_LABEL_STDERR" >&2
  [ "${{FAKE_LABEL_STATUS:-0}}" = 0 ] || exit "$FAKE_LABEL_STATUS"
  echo "${{FAKE_LABEL-synthetic}}"
  exit 0
fi
if [ "$1 $2" = "-m papermill" ]; then echo "papermill must not run in these tests" >&2; exit 99; fi
exec {python} "$@"
"""


@pytest.fixture
def fake_python(tmp_path) -> str:
    path = tmp_path / "fake-python"
    path.write_text(FAKE_PYTHON.format(python=sys.executable))
    path.chmod(0o755)
    return str(path)


def run_all(*args: str, python: str | None = None, cwd: Path | None = None, **env: str) -> subprocess.CompletedProcess:
    """Run the script as a user would, with none of the test session's dataset settings."""
    environ = {k: v for k, v in os.environ.items() if k not in ("MGC_DATASET", "GTZAN_DIR", "MGC_OUTPUT_DIR")}
    environ.update(MGC_VENV="none", PYTHON=python or sys.executable, MGC_PROFILE="smoke", **env)
    return subprocess.run(
        ["bash", str(SCRIPT), *args], cwd=cwd or REPO, env=environ, capture_output=True, text=True, timeout=30
    )


def one_clear_line(result: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit status 2 and a single ``run_all.sh: ...`` line on stderr that holds every needle."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert len(lines) == 1 and lines[0].startswith("run_all.sh: "), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
    return lines[0]


def would_run(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 0, (result.stdout, result.stderr)
    assert "dry run" in result.stdout
    return re.findall(r"^==> would run (\S+)$", result.stdout, flags=re.M)


# ---------------------------------------------------------------- options


@pytest.mark.parametrize(
    "args, message",
    [
        (["--profile", "fast"], "valid profiles: smoke, report, paper"),
        (["--bogus"], "unknown option '--bogus'"),
        (["00"], "unknown option '00'"),
    ],
)
def test_run_all_rejects_bad_options(args, message, fake_python):
    one_clear_line(run_all(*args, python=fake_python), message)


@pytest.mark.parametrize(
    "args, option",
    [
        (["--profile"], "--profile"),
        (["--profile="], "--profile"),
        (["--profile", "--dry-run"], "--profile"),
        (["--dataset"], "--dataset"),
        (["--dataset="], "--dataset"),
        (["--only"], "--only"),
        (["--only="], "--only"),
        (["--only", "--dry-run"], "--only"),
    ],
)
def test_an_option_without_its_value_is_one_clear_error(args, option, fake_python):
    line = one_clear_line(run_all(*args, "--dry-run", python=fake_python), f"{option} needs a value (")
    if option == "--profile":
        assert "smoke, report or paper" in line


def test_help_documents_every_option():
    result = run_all("--help")
    assert result.returncode == 0 and not result.stderr
    for option in ("--profile", "--dataset", "--only", "--in-place", "--dry-run", "--setup-only"):
        assert option in result.stdout


# ---------------------------------------------------------------- --only


@pytest.mark.parametrize(
    "only, expected",
    [("3", ["03"]), ("03", ["03"]), ("00, 02", ["00", "02"]), ("0,2", ["00", "02"]), ("2 0", ["00", "02"]), (" 1,,4 ", ["01", "04"])],
)
def test_only_selects_the_numbered_notebooks(only, expected, fake_python):
    assert would_run(run_all("--dry-run", "--only", only, python=fake_python)) == [NAMES[n] for n in expected]
    assert would_run(run_all("--dry-run", f"--only={only}", python=fake_python)) == [NAMES[n] for n in expected]


def test_without_only_every_notebook_runs(fake_python):
    assert would_run(run_all("--dry-run", python=fake_python)) == [NAMES[n] for n in NUMBERS]


@pytest.mark.parametrize("only, message", [
    ("99", "no notebook 99"), ("0,12", "no notebook 12"), ("100", "no notebook 100"),
    ("x", "'x' is not a notebook number"), ("*", "'*' is not a notebook number"), (" , ", "selects no notebook")])
def test_only_with_an_unknown_number_names_the_valid_ones(only, message, fake_python):
    one_clear_line(run_all("--dry-run", "--only", only, python=fake_python), message, ", ".join(NUMBERS))


# ---------------------------------------------------------------- dataset paths (checked before any Python runs)


@pytest.mark.parametrize("how", ["--dataset", "--dataset=", "MGC_DATASET", "GTZAN_DIR"])
def test_a_file_as_dataset_is_an_error(how, tmp_path, fake_python):
    (tmp_path / "some.zip").write_bytes(b"PK")
    args, env = dataset_given(how, "some.zip")
    result = run_all("--dry-run", *args, python=fake_python, cwd=tmp_path, **env)
    one_clear_line(result, "'some.zip' is a file, not a folder", how.rstrip("="))
    assert "MGC_DATASET=" not in result.stdout  # stopped before any Python ran


@pytest.mark.parametrize("how", ["--dataset", "MGC_DATASET", "GTZAN_DIR"])
@pytest.mark.parametrize("path", ["/nonexistent/gtzan", "missing-folder"])
def test_a_missing_dataset_folder_is_an_error(how, path, tmp_path, fake_python):
    args, env = dataset_given(how, path)
    result = run_all("--dry-run", *args, python=fake_python, cwd=tmp_path, **env)
    one_clear_line(result, f"'{path}' does not exist", "synthetic")
    assert "MGC_DATASET=" not in result.stdout


@pytest.mark.parametrize("how", ["--dataset", "--dataset=", "MGC_DATASET", "GTZAN_DIR"])
def test_a_dataset_path_is_taken_from_the_callers_directory(how, tmp_path, fake_python):
    (tmp_path / "gtzan").mkdir()
    args, env = dataset_given(how, "gtzan")
    result = run_all("--dry-run", "--only", "0", *args, python=fake_python, cwd=tmp_path, **env)
    variable = "GTZAN_DIR" if how == "GTZAN_DIR" else "MGC_DATASET"
    assert result.returncode == 0, result.stderr
    assert f"{variable}={tmp_path.resolve() / 'gtzan'}\n" in result.stdout


def test_the_word_synthetic_is_not_a_path(tmp_path, fake_python):
    (tmp_path / "gtzan.zip").write_bytes(b"PK")
    result = run_all("--dry-run", "--dataset", "Synthetic", python=fake_python, cwd=tmp_path, GTZAN_DIR="gtzan.zip")
    assert result.returncode == 0, result.stderr
    assert "MGC_DATASET=synthetic\n" in result.stdout  # and GTZAN_DIR, unused then, is not checked


def dataset_given(how: str, path: str) -> tuple[list[str], dict[str, str]]:
    if how == "--dataset":
        return ["--dataset", path], {}
    if how == "--dataset=":
        return [f"--dataset={path}"], {}
    return [], {how: path}


# ---------------------------------------------------------------- the dataset label (python -m helpers.config dataset)


def test_the_label_names_the_output_folder(fake_python):
    result = run_all("--dry-run", "--only", "0", python=fake_python, FAKE_LABEL="gtzan-1a2b3c4d")
    assert would_run(result) == [NAMES["00"]]
    assert f"dataset gtzan-1a2b3c4d, outputs in {REPO / 'runs' / 'smoke-gtzan-1a2b3c4d'}" in result.stdout


def test_an_unusable_dataset_reported_by_python_is_passed_on(fake_python):
    result = run_all("--dry-run", python=fake_python, FAKE_LABEL_STATUS="2", FAKE_LABEL_STDERR="error: not a GTZAN folder; get it with ...")
    assert result.returncode == 2
    assert result.stderr.strip() == "error: not a GTZAN folder; get it with ..."
    assert "would run" not in result.stdout


@pytest.mark.parametrize("env", [{"FAKE_LABEL": ""}, {"FAKE_LABEL": "../elsewhere"}, {"FAKE_LABEL_STATUS": "1"}])
def test_a_failing_or_silent_dataset_command_stops_the_run(env, fake_python):
    result = run_all("--dry-run", python=fake_python, **env)
    assert result.returncode == 1 and "would run" not in result.stdout
    assert result.stderr.strip().splitlines()[-1].startswith("run_all.sh: ")


# With the real interpreter: these need `python -m helpers.config dataset` (helpers/config.py).


def test_dry_run_on_the_synthetic_dataset_names_only_the_selected_notebook():
    result = run_all("--dry-run", "--only", "00", "--dataset", "synthetic")
    assert would_run(result) == [NAMES["00"]]
    assert "dataset synthetic," in result.stdout
    assert not [name for name in NAMES.values() if name != NAMES["00"] and name in result.stdout]


@pytest.mark.parametrize("how", ["--dataset", "GTZAN_DIR"])
def test_a_folder_that_holds_no_dataset_is_one_error_line_without_traceback(how, tmp_path):
    (tmp_path / "empty").mkdir()
    args, env = dataset_given(how, str(tmp_path / "empty"))
    result = run_all("--dry-run", *args, **env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "would run" not in result.stdout
    lines = result.stderr.strip().splitlines()
    # helpers.cli's one "error: ..." line first; the how-to-get-the-data text may follow it.
    assert lines[0].startswith("error: ") and str(tmp_path / "empty") in lines[0], result.stderr
    assert [line for line in lines if line.startswith(("error", "run_all.sh"))] == lines[:1], result.stderr
