"""`python -m benchmarks.classroom` (make classroom-budget): what one student costs.

Each quick notebook runs on a copy, in its own process: on both cores ("idle"), beside one competing CPU-bound
process ("shared", as on a class server: another quick notebook, or a busy loop for the third), and held to one
core ("one-core", as `taskset -c N`; two notebooks at once, one on each core). Its wall time and the kernel's
peak memory (the kernel's own getrusage) go to benchmarks/results/classroom-budget.json. Each condition has its
own seed, so the nine runs also give tests/bands.json its bands (`--bands`), as `python -m tools.bands` would.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from d2l_ext import cpus, machine
from d2l_ext.files import write_atomic
from tools import bands, chapter

RESULTS = Path(__file__).resolve().parent / "results" / "classroom-budget.json"
RUNS = Path(__file__).resolve().parent.parent / "build" / "classroom"  # one JSON per run; --rounds reruns some
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


def start(run, folder):
    """Start one run (or the busy loop) as a process; it writes <folder>/<tab>-<condition>.json."""
    if run == HOG:
        return subprocess.Popen([sys.executable, "-c", "while True: pass"])
    tab, condition, core = run
    out = Path(folder) / f"{tab}-{condition}.json"
    command = [sys.executable, "-m", "benchmarks.classroom", "--single", tab, str(SEEDS[condition]), str(out)]
    return subprocess.Popen(command, preexec_fn=pinned(core))


def single(tab, seed, out):
    """In a child process: one quick execution, kept beside `out`; its final figures and execution record as JSON."""
    executed = Path(out).with_suffix("")  # the executed copy, for a look at what the run drew
    executed.mkdir(parents=True, exist_ok=True)
    figures, info = bands.observe(tab, int(seed), executed)
    write_atomic(out, json.dumps({"figures": figures, "info": info}))


def measure(rounds, folder=RUNS):
    """Run the rounds given (numbers from 1); each run leaves <folder>/<tab>-<condition>.json."""
    folder.mkdir(parents=True, exist_ok=True)
    for n in rounds:
        runs = ROUNDS[n - 1]
        print(f"== round {n}/{len(ROUNDS)}: {', '.join(r if r == HOG else f'{r[0]} {r[1]}' for r in runs)}", flush=True)
        processes = [(run, start(run, folder)) for run in runs]
        for run, process in processes:
            if run != HOG and process.wait() != 0:
                raise RuntimeError(f"{run[0]} ({run[1]}) failed")
        for run, process in processes:
            if run == HOG:
                process.kill()
                process.wait()


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
    """Measure, write the results JSON (and tests/bands.json with --bands), print a table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.classroom", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rounds", type=int, nargs="+", choices=range(1, len(ROUNDS) + 1), help="only these (default all)"
    )
    parser.add_argument("--bands", action="store_true", help="also write tests/bands.json from the nine runs")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--single", nargs=3, metavar=("TAB", "SEED", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.single:
        return single(*args.single)
    measure(args.rounds or range(1, len(ROUNDS) + 1))
    results = collected()
    table = budget(results)
    record = {
        "command": "make classroom-budget  (python -m benchmarks.classroom)",
        "how": __doc__.split("\n\n")[1].replace("\n", " "),
        "machine": json.loads(machine.describe()) | {"cpus_available": cpus.available()},
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
    missing = [f"{tab} {c}" for tab in chapter.TABS for c in SEEDS if (tab, c) not in results]
    if args.bands and missing:
        print(f"--bands needs all nine runs; missing {', '.join(missing)}: run the other --rounds", file=sys.stderr)
        return 2
    if args.bands:
        how = f"The nine runs of benchmarks/classroom.py, seeds {SEEDS}. " + bands.__doc__.split("\n\n")[1].replace(
            "\n", " "
        )
        runs = {tab: [results[(tab, c)]["figures"] for c in SEEDS] for tab in chapter.TABS}
        write_atomic(bands.BANDS, json.dumps(bands.record(runs, SEEDS.values(), how), indent=1) + "\n")
    over = [
        f"{t} {c}: {v['peak_rss_mb']} MB"
        for t, cs in table.items()
        for c, v in cs.items()
        if v["peak_rss_mb"] > BUDGET_MB
    ]
    if over:
        print(f"over a student's {BUDGET_MB} MB: {'; '.join(over)}", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
