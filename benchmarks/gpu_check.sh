#!/usr/bin/env bash
# Device check of the ML engine: a short fine-tune and a batch inference pass on the GPU,
# compared with the CPU path (see benchmarks/gpu_check.py). Runs on a CPU-only machine too,
# where it compares the CPU int8 engine with float32 and so only exercises the code.
#
#   bash benchmarks/gpu_check.sh [REVIEWS_CSV] [--device cuda:0]
#
# REVIEWS_CSV defaults to ../shared/data/womens_clothing_reviews/... beside the repository.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PY" ] || PY=python3
DATA="${SHARED_DATA_DIR:-$ROOT/../shared/data}"
CSV="$DATA/womens_clothing_reviews/Womens_Clothing_E-Commerce_Reviews.csv"
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
  CSV="$1"
  shift
fi
"$PY" -c 'import torch; print("torch", torch.__version__, "| CUDA:", torch.cuda.is_available(),
  "|", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "no GPU")'
exec "$PY" "$ROOT/benchmarks/gpu_check.py" "$CSV" "$@"
