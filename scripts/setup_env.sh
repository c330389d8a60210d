#!/usr/bin/env bash
# Create the virtual environment .venv with everything the pipeline and the tests need.
#   TORCH_VARIANT=auto|cpu|cuda (default auto: cuda when `nvidia-smi` works, else cpu)
#   TORCH_VERSION (default 2.13.0), PYTHON (default python3.11, else python3), VENV (.venv)
# A CPU machine never downloads the multi-GB CUDA build of torch: the CPU variant asks the
# PyTorch CPU wheel index first (its +cpu local version wins over PyPI's CUDA build).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}
TORCH_VARIANT=${TORCH_VARIANT:-auto}
PYTHON=${PYTHON:-$(command -v python3.11 || command -v python3)}
if [ "$TORCH_VARIANT" = auto ]; then
  if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then
    TORCH_VARIANT=cuda
  else
    TORCH_VARIANT=cpu
  fi
fi
# Fashion-MNIST (the paper's Figure 6 data; config key data.fashion_mnist.path): Debian's
# package dataset-fashion-mnist (31 MB, four IDX files in /usr/share/datasets/fashion-mnist).
# Installed where we can (root with apt-get, as on CI); elsewhere one line says what to do.
# Nothing needs it by default (digits are the default's real data); its tests skip without it.
# Before the up-to-date check below, so a cached venv still gets the data (CI).
FMNIST_DIR=/usr/share/datasets/fashion-mnist
if [ "${SHALLOWNC_SKIP_DATA:-0}" != 1 ] && [ ! -f "$FMNIST_DIR/train-images-idx3-ubyte.gz" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[setup] installing Fashion-MNIST (apt-get install dataset-fashion-mnist)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null 2>&1 \
      || { apt-get update -qq >/dev/null 2>&1 \
           && apt-get install -y -qq --no-install-recommends dataset-fashion-mnist >/dev/null 2>&1; } \
      || echo "[setup] could not install dataset-fashion-mnist with apt-get; Fashion-MNIST runs need it (or data.fashion_mnist.path)"
  else
    echo "[setup] Fashion-MNIST not installed (paper presets need it): run 'sudo apt-get install dataset-fashion-mnist' (Debian/Ubuntu), or put the four IDX files in a folder and set data.fashion_mnist.path"
  fi
fi
stamp="$VENV/.shallownc-setup"
want="$(cat pyproject.toml scripts/setup_env.sh | sha256sum | cut -c1-16) torch=$TORCH_VERSION/$TORCH_VARIANT"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  echo "[setup] $VENV is up to date ($want)"; exit 0
fi
echo "[setup] creating $VENV with $($PYTHON --version) (torch $TORCH_VERSION, $TORCH_VARIANT)"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
PIP="$VENV/bin/python -m pip"
$PIP install -q --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
if ! "$VENV/bin/python" -c "import torch, sys; sys.exit(0 if torch.__version__.split('+')[0] == '$TORCH_VERSION' else 1)" 2>/dev/null; then
  if [ "$TORCH_VARIANT" = cpu ]; then
    # the CPU wheel alone: from a local wheel house (pip's find-links) if there is one, else
    # from PyTorch's CPU index; its dependencies then come from the normal index below.
    $PIP install -q --no-deps --no-index "torch==$TORCH_VERSION" 2>/dev/null \
      || $PIP install -q --no-deps "torch==$TORCH_VERSION" \
           --index-url https://download.pytorch.org/whl/cpu
    $PIP install -q "torch==$TORCH_VERSION" 2>&1 | grep -v "^WARNING: Location" || true
  else
    $PIP install -q "torch==$TORCH_VERSION" 2>&1 | grep -v "^WARNING: Location" || true
  fi
fi
$PIP install -q -e ".[test]" 2>&1 | grep -v "^WARNING: Location" || true
"$VENV/bin/python" -c "import shallownc, snakemake, highspy, xarray, netCDF4, seaborn, sklearn"
"$VENV/bin/python" -c "import torch; print('[setup] torch', torch.__version__, 'cuda available:', torch.cuda.is_available())"
echo "$want" > "$stamp"
echo "[setup] done"
