"""`python -m benchmarks.shared_cores`: OpenMP's waiting against shared cores, for d2l_ext/cpus.py's choice.

Two quick epochs of the chapter's `train` (MXNet, PyTorch), each in a fresh process, on an idle machine and beside
one CPU-bound process, under each OpenMP waiting setting; seconds per run and the slowdown beside the busy process
into benchmarks/results/shared-cores.json.
"""

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from d2l_ext import provenance
from d2l_ext.atomic import write_atomic

RESULTS = Path(__file__).resolve().parent / "results" / "shared-cores.json"
FRAMEWORKS = ("mxnet", "pytorch")
VARIANTS = {  # name -> environment; d2l_ext sets GOMP_SPINCOUNT=2000 unless one of these is set
    "libgomp default (spin 300,000)": {"GOMP_SPINCOUNT": "300000"},
    "OMP_WAIT_POLICY=PASSIVE": {"OMP_WAIT_POLICY": "PASSIVE"},
    "GOMP_SPINCOUNT=10000": {"GOMP_SPINCOUNT": "10000"},
    "GOMP_SPINCOUNT=2000 (d2l_ext)": {"GOMP_SPINCOUNT": "2000"},
}
HOG = [sys.executable, "-c", "while True: pass"]
TRAIN = """
import os, time
from d2l_ext import {framework} as d2l
from d2l_ext.fast.{fast} import loss, {net}
train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=256)
{setup}
start = time.perf_counter()
d2l.train(net, train_iter, test_iter, 2, loss, trainer, d2l.try_gpu())
print(time.perf_counter() - start)
"""
SETUP = {
    "mxnet": "import mxnet as mx\nnet.initialize(force_reinit=True, init=mx.init.Xavier())\n"
    "trainer = mx.gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.3})",
    "pytorch": "import torch\nnet = net_fn()\ntrainer = torch.optim.SGD(net.parameters(), lr=0.3)",
}


def seconds(framework, env, busy):
    """One run's training seconds, beside a CPU-bound process when `busy`."""
    code = TRAIN.format(
        framework="torch" if framework == "pytorch" else framework,
        fast=framework,
        net="net_fn" if framework == "pytorch" else "net",
        setup=SETUP[framework],
    )
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    hog = subprocess.Popen(HOG) if busy else None
    try:
        done = subprocess.run(
            [sys.executable, "-c", code],
            env=clean | env | {"D2L_EXT_QUICK": "1", "MPLBACKEND": "Agg"},
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
    finally:
        if hog:
            hog.kill()
            hog.wait()
    return round(float(done.stdout.split()[-1]), 2)


def main(argv=None):
    """Measure each framework and variant asked for (default all), idle and busy; write and print the table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.shared_cores", description=__doc__.splitlines()[0])
    parser.add_argument("--frameworks", nargs="+", choices=FRAMEWORKS, default=FRAMEWORKS)
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS), metavar="VARIANT")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rows = []
    for framework in args.frameworks:
        for name in args.variants:
            idle, busy = seconds(framework, VARIANTS[name], False), seconds(framework, VARIANTS[name], True)
            rows.append({"framework": framework, "variant": name, "idle_s": idle, "busy_s": busy})
            print(f"{framework:8} {name:32} idle {idle:6.2f} s  busy {busy:6.2f} s  ({busy / idle:.1f}x)", flush=True)
    info = json.loads(provenance.describe())
    record = {"command": "python -m benchmarks.shared_cores", "machine": info, "rows": rows}
    write_atomic(args.out, json.dumps(record, indent=1) + "\n")
    print(f"wrote {args.out}", time.strftime("%H:%M"))


if __name__ == "__main__":
    main()
