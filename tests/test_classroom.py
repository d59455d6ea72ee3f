"""`make classroom-budget`'s pieces: a run held to one core keeps its kernels there, and the table compares each run
with the idle one (its whole run: tests/test_commands.py)."""

import subprocess
import sys

from benchmarks import classroom


def test_a_pinned_child_and_its_children_run_on_that_core_only():
    grandchild = "import os; print(sorted(os.sched_getaffinity(0)))"
    code = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])"
    done = subprocess.run(
        [sys.executable, "-c", code], preexec_fn=classroom.pinned(0), capture_output=True, text=True, timeout=60
    )
    assert done.stdout.strip() == "[0]"


def test_the_budget_table_compares_each_run_with_the_idle_one():
    info = lambda t, m: {"info": {"wall_time_s": t, "peak_rss_mb": m}}  # noqa: E731
    table = classroom.budget({("pytorch", "idle"): info(100.0, 900.0), ("pytorch", "shared"): info(180.0, 910.0)})
    assert table["pytorch"]["shared"] == {"wall_time_s": 180.0, "peak_rss_mb": 910.0, "vs_idle": 1.8}
