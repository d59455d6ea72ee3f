"""`python -m benchmarks.classroom` (make classroom-budget): what one student costs.

Each quick notebook runs on a copy, in its own process: on both cores ("idle"), beside one competing CPU-bound
process ("shared", as on a class server: another quick notebook, or a busy loop for the third), and held to one
core ("one-core", as `taskset -c N`; two notebooks at once, one on each core). Its wall time and the kernel's
peak memory (the kernel's own getrusage) go to benchmarks/results/classroom-budget.json. Each condition has its
own seed. (tests/bands.json is measured as `make test` runs the notebooks, on one thread: python -m tools.bands.)
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from d2l_ext import cpus, provenance
from d2l_ext.atomic import write_atomic
from tools import bands, chapter
from tools.notebooks import NOTEBOOK_NAME

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "classroom-budget.json"
RUNS = ROOT / "build" / "classroom"  # one JSON per run; --rounds reruns some
NOTEBOOKS = ROOT / "notebooks"
SEEDS = {"idle": 0, "shared": 1, "one-core": 2}
HOG = "busy loop"  # in a round: one CPU-bound process beside the notebook
ROUNDS = (  # the runs of a round go together: (tab, condition, the core it is held to or None), or HOG
    (("mxnet", "idle", None),),
    (("pytorch", "idle", None),),
    (("tensorflow", "idle", None),),
    (("mxnet", "shared", None), ("pytorch", "shared", None)),  # each is the other's competing process
    (("tensorflow", "shared", None), HOG),
    (("mxnet", "one-core", 0), ("pytorch", "one-core", 1)),  # each alone on its core, as students held to one CPU
    (("tensorflow", "one-core", 0),),  # core 1 free for other work
)
BUDGET_MB = 2000  # a student's usual memory limit on BinderHub and JupyterHub ("2G"); tests/nbval_plugin.py guards it


def pinned(core):
    """A function for Popen's preexec_fn holding the child (and its kernels) to one core; None: no hold."""
    return None if core is None else lambda: os.sched_setaffinity(0, {core})


def start(run, notebook_dir, folder):
    """Start one run (or the busy loop) as a process; it writes <folder>/<tab>-<condition>.json."""
    if run == HOG:
        return subprocess.Popen([sys.executable, "-c", "while True: pass"])
    tab, condition, core = run
    out, notebook = Path(folder) / f"{tab}-{condition}.json", Path(notebook_dir) / NOTEBOOK_NAME.format(tab=tab)
    command = [sys.executable, "-m", "benchmarks.classroom", "--single", str(notebook), str(SEEDS[condition]), str(out)]
    return subprocess.Popen(command, preexec_fn=pinned(core), cwd=ROOT)


def single(notebook, seed, out):
    """In a child process: one quick execution, kept beside `out`; its final figures and execution record as JSON."""
    executed = Path(out).with_suffix("")  # the executed copy, for a look at what the run drew
    executed.mkdir(parents=True, exist_ok=True)
    figures, info = bands.observe(notebook, int(seed), executed)
    write_atomic(out, json.dumps({"figures": figures, "info": info}))


def measure(rounds, notebook_dir=NOTEBOOKS, folder=RUNS):
    """Run the rounds given (numbers from 1); each run leaves <folder>/<tab>-<condition>.json."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in rounds:
        runs = ROUNDS[n - 1]
        print(f"== round {n}/{len(ROUNDS)}: {', '.join(r if r == HOG else f'{r[0]} {r[1]}' for r in runs)}", flush=True)
        processes = [(run, start(run, notebook_dir, folder)) for run in runs]
        try:
            failed = [f"{run[0]} ({run[1]})" for run, process in processes if run != HOG and process.wait() != 0]
        finally:
            for run, process in processes:
                if process.poll() is None:
                    process.kill()
                    process.wait()
        if failed:
            raise RuntimeError(f"round {n}: {', '.join(failed)} failed (its log is above)")


def collected(folder=RUNS):
    """{(tab, condition): {"figures", "info"}} of every run recorded in `folder`."""
    found = {}
    for tab in chapter.TABS:
        for condition in SEEDS:
            path = folder / f"{tab}-{condition}.json"
            if path.exists():
                found[(tab, condition)] = json.loads(path.read_text())
    return found


def budget(results):
    """Per tab and condition: wall time, peak memory, and the time against the idle run."""
    table = {}
    for (tab, condition), result in results.items():
        info = result["info"]
        table.setdefault(tab, {})[condition] = {"wall_time_s": info["wall_time_s"], "peak_rss_mb": info["peak_rss_mb"]}
    for by_condition in table.values():
        for values in by_condition.values():
            values["vs_idle"] = round(values["wall_time_s"] / by_condition["idle"]["wall_time_s"], 2)
    return table


def main(argv=None):
    """Measure, write the results JSON, print a table; 1 with a line for a failed run or one over the memory budget."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.classroom", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, nargs="+", choices=range(1, len(ROUNDS) + 1), help="only these (default all)"
    )
    parser.add_argument("--notebooks", type=Path, default=NOTEBOOKS, help="the folder of the three notebooks")
    parser.add_argument("--runs", type=Path, default=RUNS, help="the folder of the runs' records and executed copies")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--single", nargs=3, metavar=("NOTEBOOK", "SEED", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.single:
        return single(*args.single)
    try:
        measure(args.rounds or range(1, len(ROUNDS) + 1), args.notebooks, args.runs)
    except RuntimeError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    results = collected(args.runs)
    table = budget(results)
    record = {
        "command": "make classroom-budget  (python -m benchmarks.classroom)",
        "how": __doc__.split("\n\n")[1].replace("\n", " "),
        "machine": json.loads(provenance.describe()) | {"cpus_available": cpus.available()},
        "budget_mb": BUDGET_MB,
        "notebooks": table,
    }
    write_atomic(args.out, json.dumps(record, indent=1) + "\n")
    for tab, by_condition in table.items():
        print(
            tab,
            "  ".join(
                f"{c}: {v['wall_time_s']} s ({v['vs_idle']}x), {v['peak_rss_mb']} MB" for c, v in by_condition.items()
            ),
        )
    over = [
        f"{t} {c}: {v['peak_rss_mb']} MB"
        for t, cs in table.items()
        for c, v in cs.items()
        if v["peak_rss_mb"] > BUDGET_MB
    ]
    if over:
        print(f"error: over a student's {BUDGET_MB} MB: {'; '.join(over)}", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
