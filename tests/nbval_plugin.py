"""A pytest plugin for nbval (loaded by pyproject.toml's addopts): quick mode unless D2L_EXT_QUICK says otherwise,
the payloads it does not compare, stderr streams that hold only framework log lines left out, the MXNet notebook and
the assignment skipped where MXNet or otter-grader is not installed (the other lanes), in cells whose values are not
compared the figures and tables the stored outputs hold (the answer key's sweeps), and, in quick mode, a student's
memory budget, the bands each training's final figures must land in (tests/bands.json, measured on the same code)
and a train point in every epoch of its figure."""

import importlib.util
import json
import os
import re
from pathlib import Path

import pytest

try:
    from nbval.plugin import IPyNbCell
except ImportError as e:  # a bare `pytest` from another Python than the project's
    raise ImportError(f"{e}: this Python lacks the test environment; run `make test`, which builds it (.venv)") from e

from d2l_ext import figures
from d2l_ext.data import ENV_QUICK, quick_mode
from tools.answer_key import SHOWS_FIGURE_AND_TABLE  # the answer key's sweep cells: a figure and a table, stored or not
from tools.bands import BANDS, TEST_THREADS, code_digest, final_figures

# Figures are compared by their text/plain form and their plotted numbers (d2l_ext.figures); their SVG/PNG/HTML
# renderings differ from run to run in ids and metadata.
NBVAL_SKIP = ("image/svg+xml", "image/png", "text/html", "application/javascript")
MEMORY_BUDGET = 2_000_000_000  # bytes: "2G", the usual per-user limit of BinderHub and JupyterHub deployments
PEAK_RSS = re.compile(r"^VmHWM:\s+(\d+) kB$", re.MULTILINE)  # /proc/<pid>/status: the peak resident set
TRAIN_LINES = ("train loss", "train acc")  # the chapter's loops add them every 50 minibatches (TensorFlow: per epoch)
# a cell tagged nbval-ignore-output that stored one of these must make it again: its values vary, not its content
MUST_RETURN = ("image/png", "image/svg+xml", "text/markdown")
OTTER_LOG = Path(__file__).resolve().parent.parent / "notebooks" / ".OTTER_LOG"  # otter-grader's, in the cwd


def without_empty_logs(cell, outputs):
    """The outputs less stderr streams with nothing left after sanitizing (see tests/sanitize.cfg)."""
    return [
        o
        for o in outputs
        if not (
            o.get("output_type") == "stream"
            and o.get("name") == "stderr"
            and not cell.sanitize(o.get("text", "")).strip()
        )
    ]


def compare_outputs(cell, test, ref, skip_compare=None):
    """nbval's comparison, on outputs without log-only stderr streams."""
    return NBVAL_COMPARE(cell, without_empty_logs(cell, test), without_empty_logs(cell, ref), skip_compare)


# nbval (0.11) has no option or hook to leave an output out: its comparison is wrapped
NBVAL_COMPARE, IPyNbCell.compare_outputs = IPyNbCell.compare_outputs, compare_outputs


def pytest_addoption(parser):
    """--nbval-bands: the bands file (default tests/bands.json)."""
    parser.addoption("--nbval-bands", default=str(BANDS), help="the training bands of quick mode (tests/bands.json)")


def pytest_configure(config):
    """What the kernels inherit: quick mode by default, so that a bare `pytest` runs what `make test` runs, not the
    full data for an hour with the bands and the memory budget off (D2L_EXT_QUICK=0 asks for it); and one thread per
    framework (bands.TEST_THREADS), a float order that is the same on every machine and every pytest invocation,
    which tests/bands.json is measured with (a training at lr 0.3 parts from another thread count within epochs)."""
    os.environ.setdefault(ENV_QUICK, "1")
    for var, value in TEST_THREADS.items():
        os.environ.setdefault(var, value)
    if not hasattr(config, "workerinput"):  # the controller
        config.otter_log_before = OTTER_LOG.exists()


def pytest_unconfigure(config):
    """The log otter-grader's checks write beside the assignment (the kernel's working folder) removed, unless it was
    there before the session (a student's own)."""
    if getattr(config, "otter_log_before", True) is False:
        OTTER_LOG.unlink(missing_ok=True)


def pytest_collectstart(collector):
    """Tell nbval which output payloads not to compare."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += NBVAL_SKIP


# notebook -> (the module it needs, why a lane without it skips the notebook)
NEEDS = {
    "lr-scheduler-mxnet.ipynb": (
        "mxnet",
        "MXNet is not installed: MXNet 1.9.1 needs NumPy < 1.24, so the current lane (environment-current.yml) "
        "leaves it out; `make test` runs this notebook in the pinned lane",
    ),
    "assignment-pytorch.ipynb": (
        "otter",
        "otter-grader is not installed: the assignment's checks are environment.yml's and the class image's (on "
        "Colab otter-grader fetches its tests from a web address, which this project has not); `make test` runs "
        "this notebook in the pinned lane",
    ),
}


def pytest_collection_modifyitems(items):
    """Skip the cells of a notebook whose module is not installed in this lane, saying why."""
    missing = {name: why for name, (module, why) in NEEDS.items() if importlib.util.find_spec(module) is None}
    for item in items:
        if why := missing.get(Path(str(item.fspath)).name):
            item.add_marker(pytest.mark.skip(reason=why))


def band_for(item):
    """The band of a training cell run in quick mode, or None (other cells, full data)."""
    if not hasattr(item, "cell") or not quick_mode():
        return None
    bands = json.loads(Path(item.config.getoption("--nbval-bands")).read_text(encoding="utf-8"))["bands"]
    return bands.get(Path(str(item.fspath)).name, {}).get(item.cell.get("id"))


def epochs_without_train_points(outputs):
    """Epochs of the cell's last training figure lacking a train-loss or train-acc point: {line: [epoch, ...]}."""
    shown = [o["data"][figures.MIME] for o in outputs if figures.MIME in o.get("data", {})]
    axes = next((a for f in reversed(shown) for a in f["axes"] if TRAIN_LINES[0] in a["legend"]), None)
    if axes is None:
        return {"figure": "no training figure in the cell's output"}
    epochs, lines = range(1, round(axes["xlim"][1]) + 1), figures.named_lines(axes)
    gaps = {
        name: sorted(set(epochs) - set(figures.epochs_with_points(lines.get(name, {"x": []})))) for name in TRAIN_LINES
    }
    return {name: gap for name, gap in gaps.items() if gap}


def kernel_peak_bytes(item):
    """The peak resident memory of the notebook's kernel so far, or None where /proc cannot say."""
    pid = getattr(getattr(getattr(getattr(item.parent, "kernel", None), "km", None), "provisioner", None), "pid", None)
    try:
        found = PEAK_RSS.search(Path(f"/proc/{pid}/status").read_text(encoding="ascii"))
    except OSError:
        return None
    return int(found[1]) * 1024 if found else None


def check_memory(item):
    """In quick mode, the kernel must stay within a student's MEMORY_BUDGET."""
    peak = kernel_peak_bytes(item) if hasattr(item, "cell") and quick_mode() else None
    if peak and peak > MEMORY_BUDGET:
        raise AssertionError(
            f"the kernel's peak memory {peak / 1e9:.2f} GB exceeds a student's {MEMORY_BUDGET / 1e9:.0f} GB"
        )


def kinds(outputs):
    """The MUST_RETURN payload kinds among outputs."""
    return {kind for o in outputs or [] for kind in o.get("data", {}) if kind in MUST_RETURN}


def missing_kinds(item):
    """For a cell whose values nbval does not compare: the figure and table kinds it must make and did not."""
    if not hasattr(item, "cell") or item.options["check"]:
        return set()
    wanted = kinds(item.cell.outputs)
    if SHOWS_FIGURE_AND_TABLE in item.cell.get("metadata", {}).get("tags", []):
        wanted |= {"image/png", "text/markdown"}
    return wanted - kinds(item.test_outputs)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After nbval ran a cell: stored figures and tables made again; in quick mode, the kernel within a student's
    memory and, after a training cell, its final figures in the recorded band and its figure with train-loss and
    train-acc points in every epoch."""
    result = yield
    check_memory(item)
    missing = missing_kinds(item)
    if missing:
        raise AssertionError(
            f"cell {item.cell.get('id')}: must show {sorted(missing)} (stored outputs or tag), this run made none"
        )
    band = band_for(item)
    if band:
        if band.get("code_sha256") != code_digest(item.parent.nb, item.cell.get("id")):
            raise AssertionError(
                f"{band['run']}: tests/bands.json's band was measured on other code than this notebook's up to this "
                "cell; measure it again: python -m tools.bands"
            )
        final = final_figures(item.test_outputs)
        outside = [
            f"{name} {final[name]} outside [{low}, {high}]"
            for name, (low, high) in band["limits"].items()
            if not low <= final[name] <= high
        ]
        if outside:
            raise AssertionError(f"{band['run']}: {'; '.join(outside)} (tests/bands.json, quick mode)")
        gaps = epochs_without_train_points(item.test_outputs)
        if gaps:
            raise AssertionError(f"{band['run']}: the training figure has no train points in epochs {gaps}")
    return result
