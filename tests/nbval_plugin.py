"""A pytest plugin for nbval (loaded by pyproject.toml's addopts): the payloads it does not compare, stderr
streams that hold only framework log lines left out, the bands each training's final figures must land in
when the notebooks run in quick mode (tests/bands.json), and the MXNet notebook skipped where MXNet is not
installed (the current lane)."""

import importlib.util
import json
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell

from d2l_ext.data import quick_mode
from tools.bands import BANDS, final_figures

# Figures are compared by their text/plain form and their plotted numbers (d2l_ext.series); their SVG/PNG/HTML
# renderings differ from run to run in ids and metadata.
NBVAL_SKIP = ("image/svg+xml", "image/png", "text/html", "application/javascript")


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


def pytest_collectstart(collector):
    """Tell nbval which output payloads not to compare."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += NBVAL_SKIP


MXNET_NOTEBOOK = "lr-scheduler-mxnet.ipynb"
NO_MXNET = (
    "MXNet is not installed: MXNet 1.9.1 needs NumPy < 1.24, so the current lane (environment-current.yml) "
    "leaves it out; `make test` runs this notebook in the pinned lane"
)


def pytest_collection_modifyitems(items):
    """Skip the MXNet notebook's cells, saying why, where MXNet is not installed."""
    if importlib.util.find_spec("mxnet") is None:
        for item in items:
            if Path(str(item.fspath)).name == MXNET_NOTEBOOK:
                item.add_marker(pytest.mark.skip(reason=NO_MXNET))


def band_for(item):
    """The band of a training cell run in quick mode, or None (other cells, full data)."""
    if not hasattr(item, "cell") or not quick_mode():
        return None
    bands = json.loads(BANDS.read_text(encoding="utf-8"))["bands"]
    return bands.get(Path(str(item.fspath)).name, {}).get(item.cell.get("id"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After nbval ran a training cell in quick mode: its final figures must lie in the recorded band."""
    result = yield
    band = band_for(item)
    if band:
        figures = final_figures(item.test_outputs)
        outside = [
            f"{name} {figures[name]} outside [{low}, {high}]"
            for name, (low, high) in band["limits"].items()
            if not low <= figures[name] <= high
        ]
        if outside:
            raise AssertionError(f"{band['run']}: {'; '.join(outside)} (tests/bands.json, quick mode)")
    return result
