"""A pytest plugin for nbval (loaded by pyproject.toml's addopts): the payloads it does not compare, stderr
streams that hold only framework log lines left out, the bands each training's final figures must land in
when the notebooks run in quick mode (tests/bands.json), and, in cells whose values are not compared, the
figures and tables the stored outputs hold (the answer key's sweeps)."""

import json
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell

from d2l_ext.data import quick_mode
from tools.bands import BANDS, final_figures
from tools.exercises import SHOWS_FIGURE_AND_TABLE  # the answer key's sweep cells: a figure and a table, stored or not

# Figures are compared by their text/plain form and their plotted numbers (d2l_ext.series); their SVG/PNG/HTML
# renderings differ from run to run in ids and metadata.
NBVAL_SKIP = ("image/svg+xml", "image/png", "text/html", "application/javascript")
# a cell tagged nbval-ignore-output that stored one of these must make it again: its values vary, not its content
MUST_RETURN = ("image/png", "image/svg+xml", "text/markdown")


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


def band_for(item):
    """The band of a training cell run in quick mode, or None (other cells, full data)."""
    if not hasattr(item, "cell") or not quick_mode():
        return None
    bands = json.loads(BANDS.read_text(encoding="utf-8"))["bands"]
    return bands.get(Path(str(item.fspath)).name, {}).get(item.cell.get("id"))


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
    """After nbval ran a cell: stored figures and tables made again; in quick mode, training within its band."""
    result = yield
    missing = missing_kinds(item)
    if missing:
        raise AssertionError(
            f"cell {item.cell.get('id')}: must show {sorted(missing)} (stored outputs or tag), this run made none"
        )
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
