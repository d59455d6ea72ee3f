"""`python -m benchmarks.classroom` (make classroom-budget): what one student costs.

Each quick notebook runs on a copy, on all the cores ("idle"), beside one competing CPU-bound process ("shared",
as on a class server), and on one core ("one-core", `taskset -c 0`); its wall time and the kernel's peak memory
(the kernel's own getrusage) go to benchmarks/results/classroom-budget.json. Each condition runs with its own
seed, so the nine runs also measure tests/bands.json's bands (`--bands`), as `python -m tools.bands` would.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from d2l_ext import cpus, machine
from d2l_ext.files import write_atomic
from tools import bands, chapter

RESULTS = Path(__file__).resolve().parent / "results" / "classroom-budget.json"
CONDITIONS = {"idle": 0, "shared": 1, "one-core": 2}  # name -> seed
HOG = [sys.executable, "-c", "while True: pass"]  # one CPU-bound process on the same cores
BUDGET_MB = 2000  # a student's usual memory limit on BinderHub and JupyterHub ("2G"); tests/nbval_plugin.py guards it


class Condition:
    """Run the code inside under one condition: a competing process, or this process (and its kernels) on core 0."""

    def __init__(self, name):
        self.name, self.hog, self.affinity = name, None, os.sched_getaffinity(0)

    def __enter__(self):
        if self.name == "shared":
            self.hog = subprocess.Popen(HOG)
        if self.name == "one-core":
            os.sched_setaffinity(0, {min(self.affinity)})  # the kernel inherits it, as under taskset -c 0
        return self

    def __exit__(self, *exc):
        if self.hog:
            self.hog.kill()
            self.hog.wait()
        os.sched_setaffinity(0, self.affinity)


def run(conditions, tabs):
    """{condition: {tab: figures}} for the bands, and the measurements record."""
    observed, measured = {}, {}
    with tempfile.TemporaryDirectory() as folder:
        for name in conditions:
            for tab in tabs:
                with Condition(name):
                    print(f"== {tab}, {name} (seed {CONDITIONS[name]})", flush=True)
                    figures, info = bands.observe(tab, CONDITIONS[name], folder)
                observed.setdefault(name, {})[tab] = figures
                measured.setdefault(tab, {})[name] = {
                    "wall_time_s": info["wall_time_s"],
                    "peak_rss_mb": info["peak_rss_mb"],
                }
    for tab, by_condition in measured.items():
        idle = by_condition.get("idle", {}).get("wall_time_s")
        for values in by_condition.values():
            values["vs_idle"] = round(values["wall_time_s"] / idle, 2) if idle else None
    return observed, measured


def main(argv=None):
    """Measure, write the results JSON (and tests/bands.json with --bands), print a table."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.classroom", description=__doc__.splitlines()[0])
    parser.add_argument("--conditions", nargs="+", choices=CONDITIONS, default=list(CONDITIONS))
    parser.add_argument("--tabs", nargs="+", choices=chapter.TABS, default=list(chapter.TABS))
    parser.add_argument("--bands", action="store_true", help="also write tests/bands.json (all conditions and tabs)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.bands and (set(args.conditions) != set(CONDITIONS) or set(args.tabs) != set(chapter.TABS)):
        parser.error("--bands needs every condition (three seeds) and every tab")
    observed, measured = run(args.conditions, args.tabs)
    record = {
        "command": "make classroom-budget  (python -m benchmarks.classroom)",
        "machine": json.loads(machine.describe()) | {"cpus_available": cpus.available()},
        "budget_mb": BUDGET_MB,
        "notebooks": measured,
    }
    write_atomic(args.out, json.dumps(record, indent=1) + "\n")
    for tab, by_condition in measured.items():
        print(
            tab,
            "  ".join(
                f"{n}: {v['wall_time_s']} s ({v['vs_idle']}x), {v['peak_rss_mb']} MB" for n, v in by_condition.items()
            ),
        )
    if args.bands:
        how = "The nine runs of benchmarks/classroom.py: seed 0 idle, 1 shared, 2 on one core. " + bands.__doc__.split(
            "\n\n"
        )[1].replace("\n", " ")
        runs = {tab: [observed[name][tab] for name in CONDITIONS] for tab in chapter.TABS}
        write_atomic(bands.BANDS, json.dumps(bands.record(runs, CONDITIONS.values(), how), indent=1) + "\n")
    over = [
        f"{tab} {n}: {v['peak_rss_mb']} MB"
        for tab, c in measured.items()
        for n, v in c.items()
        if v["peak_rss_mb"] > BUDGET_MB
    ]
    if over:
        print(f"over a student's {BUDGET_MB} MB: {'; '.join(over)}", file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
