#!/bin/bash
# Times the three notebooks in quick mode, each on a copy (the committed notebooks stay as they are), and
# A/Bs MXNet against its own defaults (threaded engine, one thread on a 2-core x86: OMP_NUM_THREADS=1 gives
# the same single thread), alternating, ROUNDS times. Logs and a summary go to OUT_DIR.
# Usage, from the repository root after `make venv data`:
#   bash benchmarks/quick-notebooks.sh [OUT_DIR]   (default benchmarks/results/cpu-quick; ROUNDS=2)
set -euo pipefail
out=${1:-benchmarks/results/cpu-quick}
rounds=${ROUNDS:-2}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
export PATH="$PWD/.venv/bin:$PATH" JUPYTER_PATH="$PWD/.venv/share/jupyter" D2L_EXT_QUICK=1
MXNET_DEFAULTS=(MXNET_ENGINE_TYPE=ThreadedEnginePerDevice OMP_NUM_THREADS=1)

time_notebook() {  # label tab [VAR=value ...]: execute a copy of one notebook, log it, print its wall time
  local label=$1 tab=$2
  shift 2
  cp "notebooks/lr-scheduler-$tab.ipynb" "$work/$label.ipynb"
  env "$@" python -m tools.execute "$work/$label.ipynb" > "$out/notebook-$label.log" 2>&1
  echo "$label: $(grep -o 'done in .*' "$out/notebook-$label.log")"
}

{
  echo "# quick-mode notebooks, $(date -u +%FT%TZ), $(nproc) cores, commit $(git describe --always --dirty)"
  for round in $(seq "$rounds"); do
    time_notebook "mxnet-mxnet-defaults-$round" mxnet "${MXNET_DEFAULTS[@]}"
    time_notebook "mxnet-$round" mxnet
  done
  time_notebook pytorch pytorch
  time_notebook tensorflow tensorflow
} | tee "$out/notebooks-quick.txt"
