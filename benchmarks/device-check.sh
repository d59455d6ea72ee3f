#!/usr/bin/env bash
# The prepared GPU check: on a machine with an NVIDIA GPU, a Python that has torch with CUDA, and no network.
#   bash benchmarks/device-check.sh EXTRAS_DIR OUT_DIR     (from the repository root)
# EXTRAS_DIR holds what such a machine usually lacks: whl/ (wheels for its Python: d2l, nbclient, nbformat,
# ipykernel, ipython, matplotlib-inline; made on a networked machine with, e.g.,
#   python3 -m pip download --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 \
#     -d EXTRAS_DIR/whl nbclient==0.11.0 nbformat==5.11.1 ipykernel==7.4.0 ipython==8.39.0 matplotlib-inline==0.1.6
# and `--no-deps d2l==1.0.3`, leaving out the wheels the machine already has) and data/ (the four Fashion-MNIST
# .gz files). Steps, most important first, each under its own time limit so that one failure leaves the rest:
# the fast runner with its five runs in one graphed step (--together), then with CUDA graphs run by run, the
# bench, the full-data PyTorch notebook, a GPU profile of the chapter's loop, the fast runner in eager mode.
# Everything lands in OUT_DIR/results.tgz, re-packed after every step (a kill still returns what was done).
# Plumbing only, on any machine with the project's .venv: LOCAL_TEST=1 PY=.venv/bin/python bash $0 - /tmp/out
# Exit status 1, naming them, when a step failed.
set -u
EXTRAS=${1:?usage: bash benchmarks/device-check.sh EXTRAS_DIR OUT_DIR}
OUT=${2:?usage: bash benchmarks/device-check.sh EXTRAS_DIR OUT_DIR}
PY=${PY:-python3}
STEPS=${STEPS:-run-together run-graph bench notebook profile run-eager}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg TF_CPP_MIN_LOG_LEVEL=2
[ -d "$EXTRAS/data" ] && export FASHION_MNIST_DIR=$(cd "$EXTRAS/data" && pwd)
if [ -z "${LOCAL_TEST:-}" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$EXTRAS"/whl/*.whl \
    || { echo "error: installing the wheels in $EXTRAS/whl failed" >&2; exit 1; }
  export PYTHONPATH=/tmp/site:$PWD
  RUN=(); BENCH=(); NOTEBOOK=1
else
  RUN=(--quick --epochs 2); BENCH=(--skip-notebook); NOTEBOOK=
fi

pack() { tar czf "$OUT/.results.tgz" -C "$WORK" . && mv "$OUT/.results.tgz" "$OUT/results.tgz"; }

step() {  # step NAME SECONDS COMMAND...: run with a limit, log to $WORK/NAME.log, show its tail
  local name=$1 limit=$2 start=$SECONDS rc
  shift 2
  echo "=== $name (limit ${limit} s)"
  timeout "$limit" "$@" >"$WORK/$name.log" 2>&1
  rc=$?
  grep -v -i -E "warn|^\s*$|self.check_worker" "$WORK/$name.log" | tail -n 25
  echo "=== $name: rc=$rc, $((SECONDS - start)) s" | tee -a "$WORK/steps.txt"
  [ "$rc" = 0 ] || FAILED="$FAILED $name"
  pack
}
FAILED=

{ nvidia-smi; $PY -c "import torch, sys; print(sys.version); import matplotlib; print('torch', torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(0), 'matplotlib', matplotlib.__version__)"; } \
  >"$WORK/machine.txt" 2>&1
cat "$WORK/machine.txt"
wanted() { [[ " $STEPS " == *" $1 "* ]]; }
wanted run-together && step run-together 150 $PY -m d2l_ext fast "${RUN[@]}" --together --out "$WORK/run-together"
wanted run-graph && step run-graph 150 $PY -m d2l_ext fast "${RUN[@]}" --out "$WORK/run-graph"
wanted bench && step bench 330 $PY -m benchmarks.bench "${BENCH[@]}" --out "$WORK/bench"
if wanted notebook && [ -n "$NOTEBOOK" ]; then
  step notebook 240 $PY -m tools.execute notebooks/lr-scheduler-pytorch.ipynb
  cp notebooks/lr-scheduler-pytorch.ipynb "$WORK/" && pack
fi
wanted profile && step profile 90 $PY -m benchmarks.bench --profile
wanted run-eager && step run-eager 150 $PY -m d2l_ext fast "${RUN[@]}" --mode eager --out "$WORK/run-eager"
cat "$WORK/steps.txt"
[ -z "$FAILED" ] || { echo "error: these steps failed:$FAILED (logs in $OUT/results.tgz)" >&2; exit 1; }
