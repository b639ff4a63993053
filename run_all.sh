#!/usr/bin/env bash
# Run every numbered notebook in order with papermill, setting up the environment first.
#
#   ./run_all.sh                       report profile on whatever dataset is found
#   ./run_all.sh --profile smoke       tiny settings (seconds per notebook)
#   ./run_all.sh --dataset DIR         a GTZAN folder (or "synthetic"); default: $GTZAN_DIR,
#                                      else data/gtzan, else the embedded synthetic dataset
#   ./run_all.sh --only 00,02          a subset of notebooks, by number
#   ./run_all.sh --in-place            render into notebooks/, figures/ and results/ (the
#                                      committed report); default: runs/<profile>-<dataset>/
#   ./run_all.sh --setup-only          create/refresh the virtual environment and stop
#
# Environment: PYTHON (interpreter for the venv, default python3), MGC_VENV (venv folder,
# default .venv; "none" uses the current interpreter as it is, e.g. a conda environment).
set -euo pipefail
cd "$(dirname "$0")"
REPO=$(pwd)

PROFILE=${MGC_PROFILE:-report}
DATASET=""
ONLY=""
IN_PLACE=0
SETUP_ONLY=0
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) PROFILE=${2:?--profile needs a value}; shift 2 ;;
    --profile=*) PROFILE=${1#*=}; shift ;;
    --dataset) DATASET=${2:?--dataset needs a value}; shift 2 ;;
    --dataset=*) DATASET=${1#*=}; shift ;;
    --only) ONLY=${2:?--only needs a value}; shift 2 ;;
    --only=*) ONLY=${1#*=}; shift ;;
    --in-place) IN_PLACE=1; shift ;;
    --setup-only) SETUP_ONLY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run_all.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$PROFILE" in
  smoke|report|paper) ;;
  *) echo "run_all.sh: unknown profile '$PROFILE'; valid profiles: smoke, report, paper" >&2; exit 2 ;;
esac

# ---------------------------------------------------------------- environment
VENV=${MGC_VENV:-.venv}
if [ "$VENV" = "none" ]; then
  PY=${PYTHON:-python3}
else
  BASE_PY=${PYTHON:-python3}
  if ! "$BASE_PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "run_all.sh: Python 3.11 or newer is needed (found: $("$BASE_PY" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
    exit 2
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    echo "==> creating virtual environment $VENV"
    "$BASE_PY" -m venv "$VENV"
  fi
  PY="$VENV/bin/python"
  # Reinstall only when the dependency files changed since the last install.
  STAMP=$(cat requirements.txt pyproject.toml | "$PY" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
  if [ "$(cat "$VENV/.installed" 2>/dev/null)" != "$STAMP" ]; then
    echo "==> installing pinned requirements into $VENV (first run: a few minutes; log: $VENV/install.log)"
    if ! { "$PY" -m pip install --disable-pip-version-check --upgrade pip &&
           "$PY" -m pip install --disable-pip-version-check -r requirements.txt &&
           "$PY" -m pip install --disable-pip-version-check --no-deps -e . ; } > "$VENV/install.log" 2>&1; then
      tail -n 30 "$VENV/install.log" >&2
      echo "run_all.sh: installing the requirements failed; full log: $VENV/install.log" >&2
      exit 1
    fi
    echo "$STAMP" > "$VENV/.installed"
  fi
fi
if [ "$SETUP_ONLY" = 1 ]; then
  echo "==> environment ready: $PY"
  exit 0
fi

# ---------------------------------------------------------------- which dataset, where outputs go
export MGC_PROFILE=$PROFILE
export MGC_BATCH=1  # progress bars print rarely in rendered notebooks
# Notebooks run with notebooks/ as working directory: make dataset paths absolute first.
absolute() { if [ -e "$1" ]; then (cd "$1" && pwd); else echo "$1"; fi; }
if [ -n "$DATASET" ]; then
  export MGC_DATASET=$(absolute "$DATASET")
fi
if [ -n "${GTZAN_DIR:-}" ]; then
  export GTZAN_DIR=$(absolute "$GTZAN_DIR")
fi
# Resolving may generate the synthetic dataset first; its name is the last line printed.
DATASET_NAME=$("$PY" -c 'from helpers import config; print(config.resolve_dataset().name)' | tail -n 1)
if [ "$IN_PLACE" = 1 ]; then
  export MGC_OUTPUT_DIR=$REPO
  NB_OUT=$REPO/runs/in-place  # each notebook is copied over notebooks/ only once it ran without error
else
  export MGC_OUTPUT_DIR=$REPO/runs/$PROFILE-$DATASET_NAME
  NB_OUT=$MGC_OUTPUT_DIR/notebooks
fi
mkdir -p "$NB_OUT"
echo "==> profile $PROFILE, dataset $DATASET_NAME, outputs in $MGC_OUTPUT_DIR"

# ---------------------------------------------------------------- notebooks, in order
START=$(date +%s)
for nb in notebooks/[0-9][0-9]_*.ipynb; do
  name=$(basename "$nb")
  number=${name%%_*}
  if [ -n "$ONLY" ] && [[ ",$ONLY," != *",$number,"* ]]; then
    continue
  fi
  echo "==> $name"
  # The profile travels in $MGC_PROFILE, not as a papermill parameter: an injected
  # "PROFILE = ..." cell would pin it, and nbval must run the committed notebooks as smoke.
  if ! "$PY" -m papermill "$nb" "$NB_OUT/$name" --cwd notebooks --kernel python3 \
        --progress-bar --log-level WARNING; then
    echo "FAILED: $nb (the executed copy with the error is $NB_OUT/$name)" >&2
    exit 1
  fi
  if [ "$IN_PLACE" = 1 ]; then
    cp "$NB_OUT/$name" "$nb"
  fi
done
[ "$IN_PLACE" = 1 ] && NB_OUT=$REPO/notebooks
echo "==> all notebooks ran in $(( $(date +%s) - START )) s; executed notebooks in $NB_OUT, figures in $MGC_OUTPUT_DIR/figures"
