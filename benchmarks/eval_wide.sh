#!/usr/bin/env bash
# Issue 12: `juesuan evaluate` on all 39 shared documents at the worst presets (scan 200, fax 150, photo 200), with
# the raw PP-OCRv6 ceiling, families and the dev/held-out split of configs/eval/wide.yaml; then one family x preset
# table (table.md). Rerun after merging fixes:  benchmarks/eval_wide.sh            (from the repo root)
# Knobs (environment): OUT (runs/eval-wide), SAMPLE (table pages per document, seeded; 0 = all), PRESETS
# ("scan fax photo"), SHARED (../shared/data), PARALLEL (1: presets run side by side), PY (python), EXTRA (more
# evaluate flags, e.g. "--only-done" to score what an interrupted run finished). Page results are resumed.
set -euo pipefail
OUT=${OUT:-runs/eval-wide}
SAMPLE=${SAMPLE:-1}
PRESETS=${PRESETS:-"scan fax photo"}
SHARED=${SHARED:-../shared/data}
PY=${PY:-python}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
mkdir -p "$OUT"
sample=()
if [ "$SAMPLE" != "0" ]; then sample=(--sample-pages "$SAMPLE"); fi
pids=()
for preset in $PRESETS; do
  cmd=("$PY" -m juesuan evaluate "$SHARED"/real/*.pdf "$SHARED"/real-wide/*.pdf -o "$OUT/$preset"
       --degrade "$preset" --families configs/eval/wide.yaml --raw-ceiling --no-labels --resume --truth-cache "$OUT/truth-cache" "${sample[@]}" ${EXTRA:-})
  echo "${cmd[*]}" > "$OUT/$preset.cmd"
  if [ "${PARALLEL:-0}" = "1" ]; then
    "${cmd[@]}" > "$OUT/$preset.log" 2>&1 &
    pids+=($!)
  else
    "${cmd[@]}" > "$OUT/$preset.log" 2>&1
  fi
done
for pid in "${pids[@]}"; do wait "$pid"; done
runs=()
for preset in scan fax photo; do [ -f "$OUT/$preset/metrics.json" ] && runs+=("$OUT/$preset/metrics.json"); done
"$PY" -m juesuan.evaluation.wide --families configs/eval/wide.yaml "${runs[@]}" > "$OUT/table.md"
cat "$OUT/table.md"
