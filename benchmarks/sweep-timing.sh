#!/usr/bin/env bash
# The same quick sweep (default: exercise 4, 6 trials of 6 epochs; SWEEP="..." for another) in this process and on a
# local Ray (--ray auto; then one thread per trial), one run each, alternated, in fresh folders; then Ray's start-up
# alone. Run it with nothing else heavy on the machine:
#   flock -x /tmp/cpu.lock bash benchmarks/sweep-timing.sh [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-benchmarks/results/cpu-sweep}
SWEEP=${SWEEP:---exercise 4 --quick --epochs 6 --grid 0,1,2 --seeds 0,1}  # the sweep benchmarks/README.md measured
PY=${PY:-.venv/bin/python}
mkdir -p "$OUT"
: > "$OUT/times.txt"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
run() {  # name, options: one sweep's wall time from the command line (process start to exit), in a fresh folder
  local name=$1; shift
  local start=$(date +%s.%N)
  $PY -m d2l_ext sweep $SWEEP --out "$WORK/$name" "$@" > "$OUT/$name.log" 2>&1 \
    || { echo "error: the sweep '$name' failed; its log: $OUT/$name.log" >&2; exit 1; }
  echo "$name $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s" | tee -a "$OUT/times.txt"
}
echo "== $(date -u +%FT%TZ) $(nproc) cores, sweep: $SWEEP; load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$OUT/times.txt"
run in-process
run ray-auto --ray auto
run ray-auto-1-thread-per-trial --ray auto --cpus-per-trial 1
$PY - <<'PY' | tee -a "$OUT/times.txt"
import time
start = time.monotonic()
import ray
imported = time.monotonic()
ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
started = time.monotonic()
ray.get(ray.remote(lambda: None).remote())
first = time.monotonic()
ray.get(ray.remote(lambda: None).remote())
second = time.monotonic()
ray.shutdown()
stopped = time.monotonic()
print(f"ray start-up: import {imported - start:.1f} s, init {started - imported:.1f} s, "
      f"first task {first - started:.1f} s, next task {second - first:.3f} s, shutdown {stopped - second:.1f} s")
PY
