#!/usr/bin/env bash
# The one prepared GPU check, run through the device tool from the repository root:
#   carry .gpu (wheels for the image's Python 3.12 that it lacks: d2l, nbclient, ipykernel...; the four
#   Fashion-MNIST .gz files in .gpu/data) and run `bash benchmarks/device-check.sh`.
# Preparing .gpu here (it is git-ignored through .git/info/exclude; the image has torch but not these):
#   python3 -m pip download -q --only-binary=:all: --python-version 3.12 --implementation cp \
#     --platform manylinux_2_17_x86_64 --platform manylinux_2_28_x86_64 --platform manylinux_2_34_x86_64 \
#     -d .gpu/whl nbclient==0.11.0 nbformat==5.11.1 ipykernel==7.4.0 ipython==8.39.0 matplotlib-inline==0.1.6
#   (then the same with --no-deps for d2l==1.0.3; delete the wheels the image already has: attrs,
#   packaging, pygments, python_dateutil, typing_extensions) and cp /usr/share/datasets/fashion-mnist/*.gz .gpu/data/
# Steps, most important first, each under its own time limit so that one failure leaves the rest:
# the fast runner with its five runs in one graphed step (--together), then with CUDA graphs run by run,
# `make bench`'s figures, the full-data PyTorch notebook, a GPU
# profile of the chapter's loop, the fast runner in eager mode. Everything lands in $OUT/results.tgz,
# re-packed after every step (a kill at the call's limit still returns what was done).
# Locally (plumbing only): LOCAL_TEST=1 PY=.venv/bin/python OUT=/tmp/out bash benchmarks/device-check.sh
set -u
PY=${PY:-python3}
STEPS=${STEPS:-run-together run-graph bench notebook profile run-eager}  # tune: the side-by-side choices (d2l_ext.tune)
OUT=${OUT:?set OUT to the folder that comes back}
WORK=$(mktemp -d)
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg TF_CPP_MIN_LOG_LEVEL=2
[ -d .gpu/data ] && export FASHION_MNIST_DIR=$PWD/.gpu/data
if [ -z "${LOCAL_TEST:-}" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .gpu/whl/*.whl \
    || { echo "wheel install failed"; exit 1; }
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
  pack
}

{ nvidia-smi; $PY -c "import torch, sys; print(sys.version); import matplotlib; print('torch', torch.__version__, torch.cuda.is_available() and torch.cuda.get_device_name(0), 'matplotlib', matplotlib.__version__)"; } \
  >"$WORK/machine.txt" 2>&1
cat "$WORK/machine.txt"
wanted() { [[ " $STEPS " == *" $1 "* ]]; }
wanted tune && step tune 120 $PY -m d2l_ext.tune --out "$WORK/tune"
wanted run-together && step run-together 150 $PY -m d2l_ext.run "${RUN[@]}" --together --out "$WORK/run-together"
wanted run-graph && step run-graph 150 $PY -m d2l_ext.run "${RUN[@]}" --out "$WORK/run-graph"
wanted bench && step bench 330 $PY -m d2l_ext.bench "${BENCH[@]}" --out "$WORK/bench"
if wanted notebook && [ -n "$NOTEBOOK" ]; then
  step notebook 240 $PY -m d2l_ext.execute notebooks/lr-scheduler-pytorch.ipynb
  cp notebooks/lr-scheduler-pytorch.ipynb "$WORK/" && pack
fi
wanted profile && step profile 90 $PY -m d2l_ext.bench --profile
wanted run-eager && step run-eager 150 $PY -m d2l_ext.run "${RUN[@]}" --mode eager --out "$WORK/run-eager"
cat "$WORK/steps.txt"
rm -rf "$WORK"
