"""Build the answer-key notebook notebooks/exercises-pytorch.ipynb from notebooks/exercises-pytorch.md.

Same markdown format as the chapter (tools/chapter.py), PyTorch tab only; outputs of unchanged cells are kept.
Cells that run a sweep (`sweep.run(`) or read a trained result (`ex1` to `ex5`) carry the nbval ignore-output tag
(their numbers come from training, and in quick mode from a smaller sweep); a cell that runs a sweep also carries a
tag with which tests/nbval_plugin.py requires a figure and a table of it (any cell must make its stored kinds again).
"""

import re

import nbformat

from tools import chapter, notebooks

TAB = "pytorch"
SOURCE = notebooks.NOTEBOOK_DIR / "exercises-pytorch.md"
NOTEBOOK = notebooks.NOTEBOOK_DIR / "exercises-pytorch.ipynb"
SWEEP_CALL = re.compile(r"\bsweep\.run\(")
SWEEP_RESULT = re.compile(r"\bex[1-5]\b")  # the answer key's names for the five exercises' trained results
SHOWS_FIGURE_AND_TABLE = "d2l-ext-shows-figure-and-table"  # tests/nbval_plugin.py requires both in such a cell


def new_cell(kind, source, index):
    """A notebook cell; a cell running a sweep or reading its result is tagged so nbval does not compare its values."""
    cell = notebooks.new_cell(kind, source, index)
    if kind == "code" and SWEEP_CALL.search(source):
        cell.metadata["tags"] = [notebooks.IGNORE_OUTPUT_TAG, SHOWS_FIGURE_AND_TABLE]
    elif kind == "code" and SWEEP_RESULT.search(source):
        cell.metadata["tags"] = [notebooks.IGNORE_OUTPUT_TAG]
    return cell


def build(old=None):
    """The answer-key notebook from its source, outputs carried over from `old` where the code is unchanged."""
    cells = chapter.read_chapter(SOURCE)
    body = [new_cell(kind, src, i) for i, (kind, src) in enumerate(chapter.tab_cells(cells, TAB), 1)]
    nb = nbformat.v4.new_notebook(cells=notebooks.carry_outputs([notebooks.install_cell(TAB)] + body, old))
    nb.metadata = dict(old.metadata) if old else {}
    nb.metadata |= notebooks.COLAB_GPU
    nb.metadata["kernelspec"] = notebooks.KERNELSPEC
    nb.metadata.setdefault("language_info", {"name": "python"})  # the kernel's own, once executed (tools/execute.py)
    return nb


def generate():
    """Write the answer-key notebook."""
    notebooks.write(build(notebooks.read(NOTEBOOK)), NOTEBOOK)
    print(f"wrote notebooks/{NOTEBOOK.name}")


def check():
    """Lines naming each cell of the committed answer key that drifted from its source (empty when in sync)."""
    have = notebooks.read(NOTEBOOK)
    if have is None:
        return [f"{NOTEBOOK}: missing"]
    want, got = notebooks.shape(build()), notebooks.shape(have)
    problems = [f"{NOTEBOOK}: cell {i} differs from {SOURCE.name}" for i, (a, b) in enumerate(zip(got, want)) if a != b]
    if len(got) != len(want):
        problems.append(f"{NOTEBOOK}: {len(got)} cells, {SOURCE.name} gives {len(want)}")
    return problems
