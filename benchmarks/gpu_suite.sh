#!/usr/bin/env bash
# Everything that needs a CUDA GPU, in one go (sized for a few minutes of a lent GPU):
#   1. benchmarks/train_throughput.py  — ~0.5B GRPO step: static engine, HF generate, TRL
#   2. benchmarks/gpu_trainer_check.py — the trainer on the GPU: FP32 vs bf16 head mismatch
# Results go to $OUT (default benchmarks/results). Needs torch with CUDA, transformers,
# and for the TRL baseline `pip install -e '.[bench-gpu]'`.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-benchmarks/results}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
python3 - <<'EOF'
import importlib
for name in ("torch", "transformers", "trl", "datasets", "pyarrow", "accelerate"):
    try:
        print(f"{name} {importlib.import_module(name).__version__}")
    except Exception as exc:  # report and go on: the benchmark says what it skipped
        print(f"{name} unavailable: {type(exc).__name__}: {exc}")
EOF
rc=0
python3 benchmarks/train_throughput.py --budget-s "${THROUGHPUT_BUDGET_S:-270}" \
    --out "$OUT/train_throughput.json" || rc=1
python3 benchmarks/gpu_trainer_check.py --steps "${CHECK_STEPS:-150}" \
    --budget-s "${CHECK_BUDGET_S:-100}" --out "$OUT/gpu_trainer_check.json" \
    --plot "$OUT/gpu_trainer_check.png" || rc=1
exit $rc
