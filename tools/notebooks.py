"""Build the three chapter notebooks from notebooks/lr-scheduler.md, keeping outputs of unchanged cells."""

import re
from collections import defaultdict
from pathlib import Path

import nbformat

from d2l_ext.atomic import write_atomic
from d2l_ext.data import ENV_DIR, ENV_QUICK
from tools import chapter

NOTEBOOK_DIR = chapter.CHAPTER.parent
NOTEBOOK_NAME = "lr-scheduler-{tab}.ipynb"
IGNORE_OUTPUT_TAG = "nbval-ignore-output"  # training cells: losses and timings vary from run to run
TRAINING_CALL = re.compile(r"^train\(", re.MULTILINE)
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
INTRO_ID = "d2l-ext-intro"
INTRO = """\
> **{title}** — generated from `notebooks/lr-scheduler.md` (the {tab} tab of the chapter below); edit that
> file and run `make notebooks`, never this notebook. The chapter's code runs unchanged except
> `from d2l import {module} as d2l` → `from d2l_ext import {module} as d2l`, which reads Fashion-MNIST offline.
>
> Run everything with `make run` (full data; `make run QUICK=1` for quick mode, about four minutes a
> notebook on a 2-core CPU: 1,280 training and 100 test images of each class, every figure whole). In
> Jupyter, set `{quick}=1` before starting the kernel for quick mode (a class image built from `binder/`
> has it on); `{data_dir}` names a folder with the four data files if they are elsewhere.{hosted}{note}"""
# one line on installing d2l_ext into a hosted notebook's environment (d2l without its 2023 pins: see pyproject.toml)
HOSTED = (
    "\n>\n> On Colab or a JupyterHub: `%pip install --no-deps d2l==1.0.3` then"
    ' `%pip install "<clone of this repo>[{module}]"`{extra_note}.'
)
EXTRA_NOTES = {  # tab -> what its extra (pyproject.toml, named as the module) needs beyond the current stack
    "mxnet": " (MXNet 1.9.1: Python 3.11 and NumPy < 1.24 only)",
}
TAB_NOTES = {  # tab -> a last paragraph for that notebook's intro
    "mxnet": "\n>\n> On a CPU, `d2l_ext.mxnet` starts MXNet with `NaiveEngine` on every core it may use (MXNet's"
    "\n> default takes half the cores on x86): the first cell's log line `MXNet start using engine: NaiveEngine`"
    "\n> says so (`d2l_ext/mxnet_cpu.py` says why); setting `MXNET_ENGINE_TYPE` or `OMP_NUM_THREADS` yourself"
    "\n> overrides it.",
}


def notebook_path(tab):
    """Where one tab's notebook lives."""
    return NOTEBOOK_DIR / NOTEBOOK_NAME.format(tab=tab)


def intro_cell(tab):
    """The one added cell: what this notebook is and how to run it."""
    text = INTRO.format(
        title=f"Learning-rate scheduling ({tab})",
        tab=tab,
        module=chapter.D2L_MODULE[tab],
        quick=ENV_QUICK,
        data_dir=ENV_DIR,
        note=TAB_NOTES.get(tab, ""),
        hosted=HOSTED.format(module=chapter.D2L_MODULE[tab], extra_note=EXTRA_NOTES.get(tab, "")),
    )
    cell = nbformat.v4.new_markdown_cell(text)
    cell.id = INTRO_ID
    return cell


def new_cell(kind, source, index):
    """A fresh notebook cell; training cells carry the nbval ignore-output tag."""
    if kind == "markdown":
        cell = nbformat.v4.new_markdown_cell(source)
    else:
        cell = nbformat.v4.new_code_cell(source)
        if TRAINING_CALL.search(source):
            cell.metadata["tags"] = [IGNORE_OUTPUT_TAG]
    cell.id = f"cell-{index:02d}"
    return cell


def carry_outputs(cells, old):
    """Give each new code cell the outputs (and their timestamps) of an old cell with the same source, if any."""
    pool = defaultdict(list)
    for cell in old.cells if old else []:
        if cell.cell_type == "code":
            pool[cell.source].append(cell)
    for cell in cells:
        if cell.cell_type == "code" and pool[cell.source]:
            previous = pool[cell.source].pop(0)
            cell.outputs, cell.execution_count = previous.outputs, previous.execution_count
            if "execution" in previous.metadata:  # the run's timestamps for that cell
                cell.metadata["execution"] = previous.metadata["execution"]
    return cells


def build(tab, cells, old=None):
    """The notebook for one tab, outputs carried over from `old` where the code is unchanged."""
    body = [new_cell(kind, src, i) for i, (kind, src) in enumerate(chapter.tab_cells(cells, tab), 1)]
    nb = nbformat.v4.new_notebook(cells=[intro_cell(tab)] + carry_outputs(body, old))
    nb.metadata = dict(old.metadata) if old else {}
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata.setdefault("language_info", {"name": "python"})  # make run writes the kernel's whole one
    return nb


def read(path):
    """A notebook from disk, or None when there is none."""
    return nbformat.read(path, as_version=4) if Path(path).exists() else None


def write(nb, path):
    """Validate a notebook and write it atomically."""
    nbformat.validate(nb)
    write_atomic(path, nbformat.writes(nb) + "\n")


def shape(nb):
    """What must match the chapter: each cell's kind, source and tags."""
    return [(c.cell_type, c.source, c.get("metadata", {}).get("tags", [])) for c in nb.cells]


def drift(tab, cells):
    """Lines describing how the committed notebook differs from the chapter (empty when in sync)."""
    path = notebook_path(tab)
    have = read(path)
    if have is None:
        return [f"{path}: missing"]
    want, got = shape(build(tab, cells)), shape(have)
    problems = [f"{path}: cell {i} differs from the chapter" for i, (a, b) in enumerate(zip(got, want)) if a != b]
    if len(got) != len(want):
        problems.append(f"{path}: {len(got)} cells, the chapter gives {len(want)}")
    return problems


def generate():
    """Write all three notebooks from the chapter."""
    cells = chapter.read_chapter()
    for tab in chapter.TABS:
        path = notebook_path(tab)
        write(build(tab, cells, read(path)), path)
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")


def check():
    """Lines naming each notebook cell that drifted from the chapter."""
    cells = chapter.read_chapter()
    return [p for tab in chapter.TABS for p in drift(tab, cells)]
