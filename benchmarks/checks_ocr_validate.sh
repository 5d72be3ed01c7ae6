#!/usr/bin/env bash
# Issue 13: re-validate the whole-document runs that benchmarks/checks_ocr.py extracted into OUT (default
# runs/checks-s5): every document with both a scan and a fax run, then every document with a scan run.
#   bash benchmarks/checks_ocr_validate.sh [OUT] [METRICS_PREFIX]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-runs/checks-s5}
PREFIX=${2:-docs/bench/checks_ocr_s6}
PY=${PY:-.venv/bin/python}
mapfile -t ALL < <(ls ../shared/data/real/*.pdf ../shared/data/real-wide/*.pdf)
BOTH=(); SCAN=()
for p in "${ALL[@]}"; do
  s=$(basename "$p" .pdf)
  [ -f "$OUT/scan/$s/document.json" ] || continue
  SCAN+=("$p")
  [ -f "$OUT/fax/$s/document.json" ] && BOTH+=("$p")
done
echo "${#BOTH[@]} documents with both presets, ${#SCAN[@]} with a scan run"
OMP_NUM_THREADS=1 PYTHONPATH=$PWD "$PY" benchmarks/checks_ocr.py "${BOTH[@]}" --presets scan fax --out "$OUT" \
  --validate-only --metrics "${PREFIX}_final.json"
OMP_NUM_THREADS=1 PYTHONPATH=$PWD "$PY" benchmarks/checks_ocr.py "${SCAN[@]}" --presets scan --out "$OUT" \
  --validate-only --metrics "${PREFIX}_scan.json"
