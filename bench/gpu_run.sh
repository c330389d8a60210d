#!/usr/bin/env bash
# One rehearsed run for a bare GPU machine (issue 16 item 3, issue 17): set-up report, the
# training benchmark, then the paper's Figure 3-5 grid at 10^5 epochs, batched.
#
#   bench/gpu_run.sh                         # H100/H200: DEVICE=cuda SCALE=paper
#   DEVICE=cpu SCALE=toy OUT=/tmp/g bench/gpu_run.sh   # the rehearsal (tests/test_bench.py)
#
# Environment: DEVICE (cuda|cpu, default cuda), SCALE (paper|toy, default paper),
# OUT (output folder, default /tmp/shallownc-gpu-run; the lent device machine sets $OUT),
# PYTHON (an interpreter that has torch; default: .venv/bin/python, else python3, else
# TORCH_VARIANT=cuda scripts/setup_env.sh builds .venv), TF32 (1|0, default 1 on CUDA),
# EPOCHS, BATCH (0 = full batch), WIDTH, LP (1: class-LP verdicts, needs highspy).
# Writes $OUT/gpu_run.log, $OUT/bench_training.txt, $OUT/fig3_grid.nc.
set -euo pipefail
cd "$(dirname "$0")/.."
DEVICE=${DEVICE:-cuda}
SCALE=${SCALE:-paper}
OUT=${OUT:-/tmp/shallownc-gpu-run}
TF32=${TF32:-$([ "$DEVICE" = cuda ] && echo 1 || echo 0)}
LP=${LP:-0}
mkdir -p "$OUT"
exec > >(tee "$OUT/gpu_run.log") 2>&1
export PYTHONUNBUFFERED=1
t0=$(date +%s)
echo "[gpu_run] $(date -u +%FT%TZ) DEVICE=$DEVICE SCALE=$SCALE TF32=$TF32 OUT=$OUT"

usable() {  # does interpreter $1 import torch (with CUDA when DEVICE=cuda)?
  [ -n "$1" ] && command -v "$1" >/dev/null 2>&1 && "$1" -c "import sys, torch
sys.exit(0 if '$DEVICE' != 'cuda' or torch.cuda.is_available() else 1)" 2>/dev/null
}
PY=${PYTHON:-}
if ! usable "$PY"; then
  PY=""
  for cand in .venv/bin/python python3; do
    if usable "$cand"; then PY=$cand; break; fi
  done
fi
if [ -z "$PY" ]; then
  echo "[gpu_run] no interpreter with torch$([ "$DEVICE" = cuda ] && echo ' + CUDA'): setup"
  TORCH_VARIANT=$([ "$DEVICE" = cuda ] && echo cuda || echo cpu) scripts/setup_env.sh
  PY=.venv/bin/python
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
if [ "$DEVICE" = cuda ]; then nvidia-smi || true; fi
"$PY" - <<'EOF'
import sys, torch, numpy, xarray
print(f"[gpu_run] python {sys.version.split()[0]} ({sys.executable}); torch {torch.__version__};"
      f" CUDA {torch.version.cuda}; cuda available {torch.cuda.is_available()}; numpy "
      f"{numpy.__version__}; xarray {xarray.__version__}")
if torch.cuda.is_available():
    p = torch.cuda.get_device_properties(0)
    print(f"[gpu_run] GPU {p.name}, {p.total_memory / 2**30:.0f} GiB, {p.multi_processor_count} SMs")
EOF

flags=()
[ "$TF32" = 1 ] && flags+=(--tf32)
quick=()
[ "$SCALE" = toy ] && quick+=(--quick)
echo "[gpu_run] 1/2 benchmark: batched trainer vs per-run loop, fraction of peak"
if [ "$DEVICE" = cuda ]; then
  "$PY" bench/training.py --device cuda "${flags[@]}" "${quick[@]}" --runs 36 --repeat 1 \
    | tee "$OUT/bench_training.txt"
  echo "[gpu_run] the same at d = 600 with torch.compile'd steps (falls back to eager)"
  "$PY" bench/training.py --device cuda "${flags[@]}" "${quick[@]}" --runs 36 --repeat 1 \
    --d 600 --compile | tee -a "$OUT/bench_training.txt" || echo "[gpu_run] compile bench failed"
else
  "$PY" bench/training.py --device cpu "${quick[@]}" | tee "$OUT/bench_training.txt"
fi

echo "[gpu_run] 2/2 the paper's Figure 3-5 grid ($SCALE)"
grid=(--device "$DEVICE" --scale "$SCALE" --out "$OUT" "${flags[@]}")
[ -n "${EPOCHS:-}" ] && grid+=(--epochs "$EPOCHS")
[ -n "${BATCH:-}" ] && grid+=(--batch-size "$BATCH")
[ -n "${WIDTH:-}" ] && grid+=(--width "$WIDTH")
[ "$LP" = 1 ] && grid+=(--lp)
"$PY" bench/paper_grid_train.py "${grid[@]}"
echo "[gpu_run] done in $(( $(date +%s) - t0 )) s; files in $OUT: $(ls "$OUT" | tr '\n' ' ')"
