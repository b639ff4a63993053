#!/usr/bin/env bash
# Run every numbered notebook in order with papermill, setting up the environment first.
#
#   ./run_all.sh                       report profile on whatever dataset is found; the smoke profile
#                                      when that is the embedded synthetic dataset (every section in
#                                      minutes: synthetic results say nothing about music)
#   ./run_all.sh --profile NAME        smoke (tiny settings, seconds per notebook), report or paper
#   ./run_all.sh --dataset DIR         a GTZAN folder (a relative path is taken from the current
#                                      directory) or the word "synthetic"; default: $MGC_DATASET,
#                                      else $GTZAN_DIR, else data/gtzan, else the embedded
#                                      synthetic dataset
#   ./run_all.sh --only 00,02          a subset of notebooks, by number: commas and/or spaces,
#                                      leading zero optional ("0,2", "00 02" and "0, 2" are the same)
#   ./run_all.sh --in-place            render into notebooks/, figures/ and results/ (the
#                                      committed report); default: runs/<profile>-<dataset label>/
#   ./run_all.sh --dry-run             check the options and the dataset, print the dataset label
#                                      and the notebooks that would run, and stop; writes nothing
#                                      (says where the synthetic dataset or the environment would
#                                      be made instead)
#   ./run_all.sh --setup-only          create/refresh the virtual environment and stop
#
# Environment: PYTHON (interpreter for the venv, default python3), MGC_VENV (venv folder,
# default .venv; "none" uses PYTHON as it is, e.g. a conda environment), MGC_PROFILE
# (default profile), MGC_DATASET and GTZAN_DIR (default dataset, as above).
set -euo pipefail
CALLER_DIR=$PWD  # relative dataset paths are the caller's, not the repository's
cd "$(dirname "$0")"
REPO=$(pwd)

# One line on stderr that says what is wrong and what to do, then exit 2.
die() { echo "run_all.sh: $*" >&2; exit 2; }
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }

NOTEBOOKS=(notebooks/[0-9][0-9]_*.ipynb)
[ -e "${NOTEBOOKS[0]}" ] || die "no numbered notebooks (notebooks/NN_*.ipynb) in $REPO; is this a complete checkout?"
NUMBERS=()
for nb in "${NOTEBOOKS[@]}"; do name=${nb#notebooks/}; NUMBERS+=("${name%%_*}"); done
VALID_NUMBERS=$(IFS=,; echo "${NUMBERS[*]}" | sed 's/,/, /g')

PROFILE=${MGC_PROFILE:-report}
PROFILE_GIVEN=0; [ -n "${MGC_PROFILE:-}" ] && PROFILE_GIVEN=1
DATASET=${MGC_DATASET:-}
DATASET_FROM=MGC_DATASET
ONLY=""
ONLY_GIVEN=0
IN_PLACE=0
SETUP_ONLY=0
DRY_RUN=0
HINT_PROFILE="smoke, report or paper"
HINT_DATASET="a GTZAN folder or the word synthetic"
HINT_ONLY="notebook numbers such as 00,02; valid: $VALID_NUMBERS"
# $1: the option, $2: what it takes, $3: the value given ("" or a following option: missing).
need_value() { if [ -z "$3" ] || [[ "$3" == --* ]]; then die "$1 needs a value ($2)"; fi; }
while [ $# -gt 0 ]; do
  case "$1" in
    --profile) need_value --profile "$HINT_PROFILE" "${2-}"; PROFILE=$2; PROFILE_GIVEN=1; shift 2 ;;
    --profile=*) need_value --profile "$HINT_PROFILE" "${1#*=}"; PROFILE=${1#*=}; PROFILE_GIVEN=1; shift ;;
    --dataset) need_value --dataset "$HINT_DATASET" "${2-}"; DATASET=$2; DATASET_FROM=--dataset; shift 2 ;;
    --dataset=*) need_value --dataset "$HINT_DATASET" "${1#*=}"; DATASET=${1#*=}; DATASET_FROM=--dataset; shift ;;
    --only) need_value --only "$HINT_ONLY" "${2-}"; ONLY=$2; ONLY_GIVEN=1; shift 2 ;;
    --only=*) need_value --only "$HINT_ONLY" "${1#*=}"; ONLY=${1#*=}; ONLY_GIVEN=1; shift ;;
    --in-place) IN_PLACE=1; shift ;;
    --dry-run) DRY_RUN=1; shift ;;
    --setup-only) SETUP_ONLY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) die "unknown option '$1'; see ./run_all.sh --help" ;;
  esac
done
case "$PROFILE" in
  smoke|report|paper) ;;
  *) die "unknown profile '$PROFILE'; valid profiles: smoke, report, paper" ;;
esac

# ---------------------------------------------------------------- which notebooks
SELECTED=("${NOTEBOOKS[@]}")
if [ "$ONLY_GIVEN" = 1 ]; then
  WANTED=" "
  read -r -d '' -a TOKENS <<< "${ONLY//,/ }" || true  # no glob expansion of the value
  for token in ${TOKENS[@]+"${TOKENS[@]}"}; do
    [[ "$token" =~ ^[0-9]+$ ]] || die "--only '$ONLY': '$token' is not a notebook number; valid: $VALID_NUMBERS"
    digits=$token
    while [[ "$digits" == 0?* ]]; do digits=${digits#0}; done  # 3, 03 and 003 are notebook 03
    number=$(printf '%02d' "$((10#${digits:0:3}))")
    if [ ${#digits} -gt 2 ] || [[ " ${NUMBERS[*]} " != *" $number "* ]]; then
      die "--only '$ONLY': there is no notebook $token; valid: $VALID_NUMBERS"
    fi
    WANTED+="$number "
  done
  [ "$WANTED" != " " ] || die "--only '$ONLY' selects no notebook; give numbers such as 00,02 (valid: $VALID_NUMBERS)"
  SELECTED=()
  for nb in "${NOTEBOOKS[@]}"; do
    name=${nb#notebooks/}
    [[ "$WANTED" == *" ${name%%_*} "* ]] && SELECTED+=("$nb")
  done
fi

# ---------------------------------------------------------------- which dataset (checked before any Python runs)
# Notebooks run with notebooks/ as working directory: a dataset path becomes absolute here.
# Sets FOLDER to the absolute form of folder $1 (named by $2), or fails with one line.
folder_or_die() {
  local path=$1 from=$2
  case "$path" in "~") path=$HOME ;; "~/"*) path=$HOME/${path#"~/"} ;; esac
  case "$path" in /*) ;; *) path=$CALLER_DIR/$path ;; esac
  if [ -d "$path" ]; then
    FOLDER=$(cd "$path" 2>/dev/null && pwd) || die "$from '$1' is a folder that cannot be opened; check its permissions"
  elif [ -e "$path" ]; then
    die "$from '$1' is a file, not a folder; unpack it and give the folder that holds genres_original/ (or the word synthetic)"
  else
    die "$from '$1' does not exist (relative paths are taken from $CALLER_DIR); give a dataset folder (GTZAN, FMA-small, genre folders) or the word synthetic (README.md: Data)"
  fi
}
if [ "$SETUP_ONLY" = 0 ]; then
  if [ -n "$DATASET" ]; then
    if [ "$(echo "$DATASET" | tr '[:upper:]' '[:lower:]')" = synthetic ]; then
      export MGC_DATASET=synthetic
    else
      folder_or_die "$DATASET" "$DATASET_FROM"
      export MGC_DATASET=$FOLDER
      # errors from Python then name the option the user gave rather than the variable it travels in
      if [ "$DATASET_FROM" = --dataset ]; then export MGC_DATASET_SOURCE=--dataset; else unset MGC_DATASET_SOURCE; fi
    fi
  else
    unset MGC_DATASET
    if [ -n "${GTZAN_DIR:-}" ]; then
      folder_or_die "$GTZAN_DIR" GTZAN_DIR
      export GTZAN_DIR=$FOLDER
    fi
  fi
fi

# A dry run ends here: it lists what would run and has written nothing.
end_dry_run() {
  for nb in "${SELECTED[@]}"; do echo "==> would run ${nb#notebooks/}"; done
  echo "==> dry run: nothing was run or written"
  exit 0
}

# ---------------------------------------------------------------- environment
VENV=${MGC_VENV:-.venv}
if [ "$VENV" = "none" ]; then
  PY=${PYTHON:-python3}
else
  BASE_PY=${PYTHON:-python3}
  if ! "$BASE_PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    die "Python 3.11 or newer is needed (found: $("$BASE_PY" --version 2>&1)); set PYTHON=/path/to/python3.11"
  fi
  if [ ! -x "$VENV/bin/python" ]; then
    if [ "$DRY_RUN" = 1 ]; then
      echo "==> would create the virtual environment $VENV and install the pinned requirements (the dataset is checked once it exists)"
      end_dry_run
    fi
    echo "==> creating virtual environment $VENV"
    "$BASE_PY" -m venv "$VENV"
  fi
  PY="$VENV/bin/python"
  # Reinstall only when the dependency files changed since the last install.
  # requirements-nodeps.txt: packages installed without their dependencies (musicnn's checkpoints).
  STAMP=$(cat requirements.txt requirements-nodeps.txt pyproject.toml | "$PY" -c 'import hashlib, sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')
  INSTALLED=$(cat "$VENV/.installed" 2>/dev/null || true)
  if [ "$INSTALLED" != "$STAMP" ] && [ "$DRY_RUN" = 1 ]; then
    echo "==> would install the pinned requirements into $VENV (they changed since the last install)"
  elif [ "$INSTALLED" != "$STAMP" ]; then
    echo "==> installing pinned requirements into $VENV (first run: a few minutes; log: $VENV/install.log)"
    # xgboost-cpu and the GPU wheel `xgboost` install the same module: drop an older venv's GPU wheel first.
    if ! { "$PY" -m pip install --disable-pip-version-check --upgrade pip &&
           { ! "$PY" -m pip show -q xgboost 2>/dev/null || "$PY" -m pip uninstall -y -q xgboost nvidia-nccl-cu12; } &&
           "$PY" -m pip install --disable-pip-version-check -r requirements.txt &&
           "$PY" -m pip install --disable-pip-version-check --no-deps -r requirements-nodeps.txt &&
           "$PY" -m pip install --disable-pip-version-check --no-deps -e . ; } > "$VENV/install.log" 2>&1; then
      tail -n 30 "$VENV/install.log" >&2
      echo "run_all.sh: installing the requirements failed; full log: $VENV/install.log" >&2
      exit 1
    fi
    echo "$STAMP" > "$VENV/.installed"
  fi
fi
if [ "$SETUP_ONLY" = 1 ]; then
  if [ "$DRY_RUN" = 1 ]; then echo "==> dry run: the environment was left as it is"; exit 0; fi
  echo "==> environment ready: $PY"
  exit 0
fi

# ---------------------------------------------------------------- dataset label, where outputs go
# Results on the embedded synthetic dataset say nothing about music, so a run that names no profile shows every
# section working there with the smoke profile's small settings (minutes, not the report profile's hour).
if [ "$PROFILE_GIVEN" = 0 ] && PROBE=$(MGC_PROFILE=$PROFILE "$PY" -m helpers.config dataset --no-create 2>/dev/null) &&
   [ "${PROBE##*$'\n'}" = synthetic ]; then
  PROFILE=smoke
  echo "==> the embedded synthetic dataset, so the smoke profile: every section on small settings, in minutes (synthetic"
  echo "    results say nothing about music). Real data: GTZAN_DIR=/path/to/gtzan ./run_all.sh (docs/data.md);"
  echo "    the report profile on synthetic clips: --profile report"
fi
export MGC_PROFILE=$PROFILE
export MGC_BATCH=1  # progress bars print rarely in rendered notebooks
# Resolves the dataset exactly as the notebooks do (it may generate the synthetic dataset
# first; with --no-create, for a dry run, it only says where it would) and prints the run's
# label as its last line; a dataset that is not usable is one "error: ..." line on stderr and
# exit status 2, passed on as it is.
DATASET_COMMAND=(-m helpers.config dataset)
if [ "$DRY_RUN" = 1 ]; then DATASET_COMMAND+=(--no-create); fi
if LABEL_OUT=$("$PY" "${DATASET_COMMAND[@]}"); then
  :
else
  status=$?
  [ "$status" = 2 ] && exit 2
  echo "run_all.sh: resolving the dataset failed ('$PY ${DATASET_COMMAND[*]}' exited with status $status; see above)" >&2
  exit 1
fi
[[ "$LABEL_OUT" == *$'\n'* ]] && printf '%s\n' "${LABEL_OUT%$'\n'*}"  # what it said before the label
LABEL=${LABEL_OUT##*$'\n'}
if ! [[ "$LABEL" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]]; then
  echo "run_all.sh: '$PY -m helpers.config dataset' printed no usable dataset label (last line: '$LABEL'); is helpers/config.py up to date?" >&2
  exit 1
fi
if [ "$IN_PLACE" = 1 ]; then
  export MGC_OUTPUT_DIR=$REPO
  NB_OUT=$REPO/runs/in-place  # each notebook is copied over notebooks/ only once it ran without error
else
  export MGC_OUTPUT_DIR=$REPO/runs/$PROFILE-$LABEL
  NB_OUT=$MGC_OUTPUT_DIR/notebooks
fi
echo "==> profile $PROFILE, dataset $LABEL, outputs in $MGC_OUTPUT_DIR"
if [ "$DRY_RUN" = 1 ]; then end_dry_run; fi
mkdir -p "$NB_OUT"

# ---------------------------------------------------------------- sources and notebooks in step
# Each notebook is a jupytext pair (notebooks/NN_name.py + .ipynb): an edit on either side
# reaches the other before rendering; pairs already in step are left as they are.
if ! "$PY" -m jupytext --quiet --sync "${SELECTED[@]}"; then
  echo "run_all.sh: 'jupytext --sync' failed for the notebooks above; fix the .py source or the .ipynb it names" >&2
  exit 1
fi

# ---------------------------------------------------------------- notebooks, in order
START=$(date +%s)
for nb in "${SELECTED[@]}"; do
  name=${nb#notebooks/}
  echo "==> $name"
  # The profile travels in $MGC_PROFILE, not as a papermill parameter: an injected
  # "PROFILE = ..." cell would pin it, and nbval must run the committed notebooks as smoke.
  # ipykernel warns on every start that its local TCP sockets are unencrypted, and asyncio may report
  # the kernel's control task pending at shutdown (two lines), and the kernel may log the interrupt
  # papermill sends it at shutdown as an "ERROR" after the last cell ran: drop those lines only.
  if ! "$PY" -m papermill "$nb" "$NB_OUT/$name" --cwd notebooks --kernel python3 \
        --progress-bar --log-level WARNING 2> >(grep -v --line-buffered -e "Kernel is running over TCP without encryption" \
        -e "^task: <Task pending name=.*dispatch_control" -e "IPKernelApp\] ERROR | KeyboardInterrupt caught in kernel" | sed -u "s/Task was destroyed but it is pending!//" >&2); then
    echo "FAILED: $nb (the executed copy with the error is $NB_OUT/$name)" >&2
    exit 1
  fi
  if [ "$IN_PLACE" = 1 ]; then
    # papermill records where it read and wrote the notebook: keep those paths repository-relative,
    # since a committed notebook must not carry one machine's folders. Its empty "tags" lists go
    # too, so that the paired .py source stays free of them.
    "$PY" - "$NB_OUT/$name" "$nb" <<'PY'
import sys

import nbformat

executed, target = sys.argv[1:]
notebook = nbformat.read(executed, as_version=4)
meta = notebook.metadata.get("papermill", {})
for key in ("input_path", "output_path"):
    if key in meta:
        meta[key] = target
for cell in notebook.cells:
    # The pair keeps cells and tags only (notebooks/jupytext.toml): papermill's per-cell
    # timings and empty tag lists go, so that `jupytext --sync` finds nothing to change.
    tags = cell.metadata.get("tags")
    cell.metadata = nbformat.NotebookNode({"tags": tags} if tags else {})
nbformat.write(notebook, target)
PY
  fi
done
[ "$IN_PLACE" = 1 ] && NB_OUT=$REPO/notebooks
echo "==> ${#SELECTED[@]} notebook(s) ran in $(( $(date +%s) - START )) s; executed notebooks in $NB_OUT, figures in $MGC_OUTPUT_DIR/figures"
