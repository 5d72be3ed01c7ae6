#!/usr/bin/env bash
# Set up juesuan on a fresh Debian machine, then extract the bundled scanned sample.
#   bash scripts/setup.sh            # set up + run the sample
#   bash scripts/setup.sh --no-run   # set up only (scripts/test.sh uses this)
# Idempotent: a second run only checks. Needs Python >= 3.10; installs Debian packages when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN_SAMPLE=1
[[ "${1:-}" == "--no-run" ]] && RUN_SAMPLE=0
PY="${PYTHON:-python3}"
VENV="${JUESUAN_VENV:-.venv}"

# 1. Debian: CJK fonts (synthetic pages, tests), Tesseract chi_sim (peer benchmark), poppler (inspection).
need_apt=()
fc-list :lang=zh 2>/dev/null | grep -q . || need_apt+=(fonts-noto-cjk fonts-wqy-zenhei fonts-arphic-uming fonts-arphic-ukai)
command -v tesseract >/dev/null || need_apt+=(tesseract-ocr tesseract-ocr-chi-sim)
[[ -f /usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata ]] || need_apt+=(tesseract-ocr-chi-sim)
# chromium: the review app's browser test (Playwright drives Debian's chromium; no `playwright install`)
[[ -x /usr/bin/chromium ]] || need_apt+=(chromium)
if ((${#need_apt[@]})); then
  if [[ $(id -u) == 0 ]]; then
    echo "setup: apt-get install ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "setup: please install: sudo apt-get install ${need_apt[*]}" >&2
  fi
fi

# 2. venv; torch's CPU wheel first (an unpinned torch would pull GBs of CUDA wheels).
[[ -x "$VENV/bin/python" ]] || "$PY" -m venv "$VENV"
PIP=("$VENV/bin/python" -m pip -q --disable-pip-version-check)
if ! "$VENV/bin/python" -c "import torch" 2>/dev/null; then
  echo "setup: installing torch 2.13.0 (CPU)"
  "${PIP[@]}" install "torch==2.13.0" || "${PIP[@]}" install "torch==2.13.0" --index-url https://download.pytorch.org/whl/cpu
fi
if [[ ! -x "$VENV/bin/juesuan" ]] || ! "$VENV/bin/python" -c "import rapidocr, rapidocr_onnxruntime, rapid_layout, mlflow, ray, hypothesis, pandas, pyarrow, starlette, uvicorn, playwright" 2>/dev/null; then
  echo "setup: installing juesuan and its dependencies (a few minutes the first time)"
  "${PIP[@]}" install -e ".[train,ray,dev,review]"
fi
# onnx: the torch backend (extra torch-backend) reads the shipped ONNX graphs; its tests run in CI
"$VENV/bin/python" -c "import onnx" 2>/dev/null || "${PIP[@]}" install "onnx>=1.16"
# rapid-layout pulls opencv-python, rapidocr opencv-python-headless; both ship cv2, so check it survived.
if ! "$VENV/bin/python" -c "import cv2" 2>/dev/null; then
  echo "setup: repairing cv2"
  "${PIP[@]}" install --force-reinstall --no-deps opencv-python-headless
fi
"$VENV/bin/python" -c "import cv2, onnxruntime, torch, juesuan" || { echo "setup: import check failed" >&2; exit 1; }
echo "setup: ok ($("$VENV/bin/python" --version), torch $("$VENV/bin/python" -c 'import torch; print(torch.__version__)'))"

# 3. The main job on the bundled scanned sample.
if ((RUN_SAMPLE)); then
  rm -rf out/sample
  "$VENV/bin/juesuan" extract datasets/samples/*.pdf -o out/sample --workers 2 --fail-on never
  echo "sample outputs: $(pwd)/out/sample  (document.json, document.md, document.html, facts.csv, tables/*.csv, tables.xlsx, pages/*.png; facts.parquet for the batch)"
fi
