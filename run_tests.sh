#!/usr/bin/env bash
# The test command: set up the environment (as run_all.sh does), then run pytest:
# unit tests under tests/ and every numbered notebook executed by nbval in the
# smoke profile on the embedded synthetic dataset. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
./run_all.sh --setup-only
VENV=${MGC_VENV:-.venv}
if [ "$VENV" = none ]; then PY=${PYTHON:-python3}; else PY=$VENV/bin/python; fi
export MGC_PROFILE=smoke MGC_DATASET=synthetic MGC_BATCH=1
exec "$PY" -m pytest --nbval-lax -p no:cacheprovider "$@"
