"""`python -m tools.bands [--seeds 0 1 2]`: each training's final figures in quick mode over several seeds, the band
nbval holds it to, written to tests/bands.json.

Every notebook is executed on a copy (the committed ones stay as they are) with D2L_EXT_QUICK=1, each seed, and
TEST_THREADS, as `make test` runs it; one run per core at a time, each held to its core. A training's band is
[lowest - margin, highest + margin] of what the seeds gave, the margin being the spread seen or MIN_MARGIN, whichever
is larger: seeds move initial weights and batch order, which is also how float noise from another CPU shows after a
few epochs. Each band records the digest of the code it was measured on (the notebook's code cells up to the
training's): tests/nbval_plugin.py holds `make test`'s quick run to a band measured on the same code and refuses one
measured on other code.
"""

import argparse
import concurrent.futures
import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from d2l_ext import cpus, data, determinism, provenance
from d2l_ext.atomic import write_atomic
from d2l_ext.fast import RUNS
from tools import chapter, execute, notebooks

ROOT = Path(__file__).resolve().parent.parent
BANDS = ROOT / "tests" / "bands.json"
SEEDS = (0, 1, 2)
TEST_THREADS = {var: "1" for var in cpus.THREAD_VARS}  # what nbval's kernels train with (tests/nbval_plugin.py)
METRICS = ("train_loss", "train_acc", "test_acc")
MIN_MARGIN = {"train_loss": 0.05, "train_acc": 0.03, "test_acc": 0.03}
# the line each tab's training prints last: "train loss 0.4, train acc 0.85, test acc 0.83" (TensorFlow: "loss ...")
NUMBER = r"(?:[\d.]+|nan|inf)"
FINAL_LINE = rf"loss ({NUMBER}), train acc ({NUMBER}), test acc ({NUMBER})"


def final_figures(outputs):
    """The figures of the last final line in a cell's stdout, as floats; an AssertionError when there is none."""
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")
    found = re.findall(FINAL_LINE, text)
    if not found:
        raise AssertionError(f"no final line ('... loss X, train acc Y, test acc Z') in the cell's output: {text!r}")
    return dict(zip(METRICS, map(float, found[-1])))


def code_digest(nb, cell_id):
    """SHA-256 of the notebook's code up to and including the cell: what a training there depends on (the first cell,
    which installs d2l_ext where it is missing, trains nothing)."""
    sources = []
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.get("id") != notebooks.INSTALL_ID:
            sources.append(cell.source)
        if cell.get("id") == cell_id:
            return hashlib.sha256(json.dumps(sources).encode()).hexdigest()
    raise KeyError(f"no cell {cell_id!r} in the notebook")


def training_cells(nb):
    """(cell, run name) for each training cell, in the chapter's order of the fast runner's RUNS."""
    cells = [c for c in nb.cells if notebooks.IGNORE_OUTPUT_TAG in c.get("metadata", {}).get("tags", [])]
    if len(cells) != len(RUNS):
        raise ValueError(f"{len(cells)} training cells, expected one for each of {', '.join(RUNS)}")
    return list(zip(cells, RUNS))


def observe(path, seed, folder):
    """({cell id: {run, code_sha256, figures}}, execution record) from one quick execution of a copy of a notebook."""
    copy = Path(shutil.copy(path, folder))
    os.environ.update({data.ENV_QUICK: "1", determinism.ENV_SEED: str(seed)})  # the kernel inherits them
    if not execute.run(copy):
        raise RuntimeError(f"{copy.name} failed with seed {seed}")
    nb = nbformat.read(copy, as_version=4)
    found = {
        cell.id: {"run": run, "code_sha256": code_digest(nb, cell.id), "figures": final_figures(cell.outputs)}
        for cell, run in training_cells(nb)
    }
    return found, nb.metadata[execute.METADATA_KEY]["execution"]


def band(values, metric):
    """[low, high] around the observed values (see the module docstring), rounded outwards to 3 decimals."""
    margin = max(max(values) - min(values), MIN_MARGIN[metric])
    return [round(min(values) - margin - 5e-4, 3), round(max(values) + margin + 5e-4, 3)]


def bands_of(runs):
    """One notebook's bands from its runs' observations (observe's first value, one per seed)."""
    return {
        cell_id: {
            "run": seen["run"],
            "code_sha256": seen["code_sha256"],
            "observed": {m: [r[cell_id]["figures"][m] for r in runs] for m in METRICS},
            "limits": {m: band([r[cell_id]["figures"][m] for r in runs], m) for m in METRICS},
        }
        for cell_id, seen in runs[0].items()
    }


def record(runs_by_name, seeds, how):
    """tests/bands.json's content from {notebook file name: [observations, one per seed]}."""
    return {
        "how": how,
        "seeds": list(seeds),
        "kernel_threads": TEST_THREADS,
        "machine": json.loads(provenance.describe()),
        "bands": {name: bands_of(runs) for name, runs in runs_by_name.items()},
    }


def measure(notebook_paths, seeds, folder):
    """{notebook name: [observations, one per seed]}: each (notebook, seed) in a child process of its own, held to
    a free core with TEST_THREADS, as many at a time as there are cores; a failed run is a RuntimeError naming it."""
    free = queue.Queue()
    for core in sorted(os.sched_getaffinity(0)):
        free.put(core)
    jobs = [(path, seed) for path in notebook_paths for seed in seeds]

    def run(job):
        path, seed = job
        out, core = Path(folder) / f"{path.stem}-{seed}.json", free.get()
        command = [sys.executable, "-m", "tools.bands", "--single", str(path), str(seed), str(out)]
        try:
            held = lambda: os.sched_setaffinity(0, {core})  # noqa: E731
            done = subprocess.run(command, cwd=ROOT, env=os.environ | TEST_THREADS, preexec_fn=held)
        finally:
            free.put(core)
        if done.returncode != 0:
            raise RuntimeError(f"{path.name} failed with seed {seed} (its log is above)")
        return json.loads(out.read_text())

    with concurrent.futures.ThreadPoolExecutor(free.qsize()) as pool:
        found = list(pool.map(run, jobs))
    by_name = {}
    for (path, _), observation in zip(jobs, found):
        by_name.setdefault(path.name, []).append(observation)
    return by_name


def main(argv=None):
    """Measure the bands of the three notebooks (or those in --notebooks) and write them; 1 with a line on failure."""
    parser = argparse.ArgumentParser(prog="python -m tools.bands", description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=SEEDS)
    parser.add_argument("--notebooks", type=Path, default=notebooks.NOTEBOOK_DIR, help="the folder of the three")
    parser.add_argument("--out", type=Path, default=BANDS)
    parser.add_argument("--single", nargs=3, metavar=("NOTEBOOK", "SEED", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.single:
        path, seed, out = args.single
        with tempfile.TemporaryDirectory() as folder:
            write_atomic(out, json.dumps(observe(path, int(seed), folder)[0]))
        return 0
    paths = [args.notebooks / notebooks.NOTEBOOK_NAME.format(tab=tab) for tab in chapter.TABS]
    how = " ".join(__doc__.split("\n\n")[1:]).replace("\n", " ")
    try:
        with tempfile.TemporaryDirectory() as folder:
            runs = measure(paths, args.seeds, folder)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    write_atomic(args.out, json.dumps(record(runs, args.seeds, how), indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
