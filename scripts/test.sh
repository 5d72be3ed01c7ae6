#!/usr/bin/env bash
# Run the whole test suite (sets up first when needed). Extra arguments go to pytest, e.g. -m "not slow".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --no-run
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_DATASETS_OFFLINE=1 OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
# The wheel, installed in a fresh venv outside the repo, must extract the sample exactly as the checkout does.
# Only for the whole suite (no pytest arguments); JUESUAN_SKIP_WHEEL_CHECK=1 skips it. It runs first so that
# pytest's summary is the last line of the output.
if [[ $# -eq 0 && -z "${JUESUAN_SKIP_WHEEL_CHECK:-}" ]]; then
  .venv/bin/python scripts/check_wheel.py
fi
exec .venv/bin/python -m pytest -q "$@"
