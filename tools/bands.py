"""`python -m tools.bands [SEED ...]`: each training's final figures in quick mode, several seeds -> tests/bands.json.

Every notebook is executed on a copy (the committed ones stay as they are) with D2L_EXT_QUICK=1 and each seed.
A training's band is [lowest - margin, highest + margin] of what the seeds gave, the margin being the spread
seen or MIN_MARGIN, whichever is larger: seeds move initial weights and batch order, which is also how float
noise from another machine shows after a few epochs. tests/nbval_plugin.py holds `make test`'s quick run to it.
"""

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

import nbformat

from d2l_ext import data, determinism, machine
from d2l_ext.fast.runner import RUNS
from d2l_ext.files import write_atomic
from tools import chapter, execute, notebooks

BANDS = Path(__file__).resolve().parent.parent / "tests" / "bands.json"
SEEDS = (0, 1, 2)
METRICS = ("train_loss", "train_acc", "test_acc")
MIN_MARGIN = {"train_loss": 0.05, "train_acc": 0.03, "test_acc": 0.03}
# the line each tab's training prints last: "train loss 0.4, train acc 0.85, test acc 0.83" (TensorFlow: "loss ...")
NUMBER = r"(?:[\d.]+|nan|inf)"
FINAL_LINE = re.compile(rf"loss ({NUMBER}), train acc ({NUMBER}), test acc ({NUMBER})")


def final_figures(outputs):
    """The figures of the last final line in a cell's stdout, as floats; an AssertionError when there is none."""
    text = "".join(o.get("text", "") for o in outputs if o.get("output_type") == "stream" and o.get("name") == "stdout")
    found = FINAL_LINE.findall(text)
    if not found:
        raise AssertionError(f"no final line ('... loss X, train acc Y, test acc Z') in the cell's output: {text!r}")
    return dict(zip(METRICS, map(float, found[-1])))


def training_cells(nb):
    """(cell, run name) for each training cell, in the chapter's order of RUNS."""
    cells = [c for c in nb.cells if notebooks.IGNORE_OUTPUT_TAG in c.get("metadata", {}).get("tags", [])]
    if len(cells) != len(RUNS):
        raise ValueError(f"{len(cells)} training cells, expected one for each of {', '.join(RUNS)}")
    return list(zip(cells, RUNS))


def observe(tab, seed, folder):
    """({cell id: (run, figures)}, execution record) from one quick execution of a copy of the tab's notebook."""
    copy = Path(shutil.copy(notebooks.notebook_path(tab), folder))
    os.environ.update({data.ENV_QUICK: "1", determinism.ENV_SEED: str(seed)})  # the kernel inherits them
    if not execute.run(copy):
        raise RuntimeError(f"{copy.name} failed with seed {seed}")
    nb = nbformat.read(copy, as_version=4)
    figures = {cell.id: (run, final_figures(cell.outputs)) for cell, run in training_cells(nb)}
    return figures, nb.metadata[execute.METADATA_KEY]["execution"]


def band(values, metric):
    """[low, high] around the observed values (see the module docstring), rounded outwards to 3 decimals."""
    margin = max(max(values) - min(values), MIN_MARGIN[metric])
    return [round(min(values) - margin - 5e-4, 3), round(max(values) + margin + 5e-4, 3)]


def bands_of(runs):
    """One notebook's bands from its runs' observations ({cell id: (run, figures)} each)."""
    return {
        cell_id: {
            "run": run,
            "observed": {m: [r[cell_id][1][m] for r in runs] for m in METRICS},
            "limits": {m: band([r[cell_id][1][m] for r in runs], m) for m in METRICS},
        }
        for cell_id, (run, _) in runs[0].items()
    }


def record(runs_by_tab, seeds, how=__doc__.split("\n\n")[1].replace("\n", " ")):
    """tests/bands.json's content from {tab: [observations, one per seed]}."""
    return {
        "how": how,
        "seeds": list(seeds),
        "machine": json.loads(machine.describe()),
        "bands": {notebooks.notebook_path(tab).name: bands_of(runs) for tab, runs in runs_by_tab.items()},
    }


def measure(seeds):
    """The bands record for all three notebooks."""
    with tempfile.TemporaryDirectory() as folder:
        return record({tab: [observe(tab, seed, folder)[0] for seed in seeds] for tab in chapter.TABS}, seeds)


def main(argv):
    """Measure with the seeds given (default SEEDS) and write tests/bands.json."""
    record = measure([int(s) for s in argv] or SEEDS)
    write_atomic(BANDS, json.dumps(record, indent=1) + "\n")
    print(f"wrote {BANDS}")


if __name__ == "__main__":
    main(sys.argv[1:])
