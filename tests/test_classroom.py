"""`make classroom-budget` runs each quick notebook once under each condition, with the condition's seed (so the
nine runs also make three seeds of bands); a run held to one core keeps its kernels there."""

import collections
import subprocess
import sys

from benchmarks import classroom
from tools import chapter


def test_every_notebook_runs_once_under_every_condition():
    runs = [run for rounds in classroom.ROUNDS for run in rounds if run != classroom.HOG]
    assert collections.Counter((tab, c) for tab, c, _ in runs) == {
        (t, c): 1 for t in chapter.TABS for c in classroom.SEEDS
    }
    assert sorted(classroom.SEEDS.values()) == [0, 1, 2]


def test_a_shared_run_has_a_competitor_and_one_core_runs_do_not_share_a_core():
    for runs in classroom.ROUNDS:
        conditions = {run[1] for run in runs if run != classroom.HOG}
        if "shared" in conditions:
            assert len(runs) == 2
        if "one-core" in conditions:
            cores = [run[2] for run in runs]
            assert None not in cores and len(set(cores)) == len(cores)


def test_a_pinned_child_and_its_children_run_on_that_core_only():
    grandchild = "import os; print(sorted(os.sched_getaffinity(0)))"
    code = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])"
    done = subprocess.run([sys.executable, "-c", code], preexec_fn=classroom.pinned(0), capture_output=True, text=True)
    assert done.stdout.strip() == "[0]"


def test_the_budget_table_compares_each_run_with_the_idle_one():
    info = lambda t, m: {"info": {"wall_time_s": t, "peak_rss_mb": m}}  # noqa: E731
    table = classroom.budget({("pytorch", "idle"): info(100.0, 900.0), ("pytorch", "shared"): info(180.0, 910.0)})
    assert table["pytorch"]["shared"] == {"wall_time_s": 180.0, "peak_rss_mb": 910.0, "vs_idle": 1.8}
