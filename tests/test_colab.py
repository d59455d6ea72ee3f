"""The notebooks' first cell, as a student on Colab meets it: it installs d2l and d2l_ext where d2l_ext is missing,
changing no package the runtime has, says what to set where no address is known, sends MXNet elsewhere where MXNet
cannot be installed, and does nothing where d2l_ext is installed (every lane). Colab's runtime is `make test-colab`'s
.venv-colab (environment-colab.yml), which runs the install first (-m colab_install), then the rest."""

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from d2l_ext.data import ENV_QUICK
from tools import assignment, notebooks, pins

ROOT = Path(__file__).resolve().parent.parent
# what a student opens on Colab: not the assignment, whose otter-grader checks need the class server or a laptop (on
# Colab it fetches its tests from a web address, which this project has not; docs/classroom.md)
NOTEBOOKS = sorted(p for p in ROOT.glob("notebooks/*.ipynb") if p != assignment.NOTEBOOK)
WITHOUT_MXNET = [p for p in NOTEBOOKS if "mxnet" not in p.name]
MXNET_ELSEWHERE = "MXNet 1.9.1 needs Python 3.11 and NumPy < 1.24, this runtime has Python"
on_colab = pytest.mark.skipif(pins.lane() != pins.COLAB, reason="Colab's runtime is .venv-colab: make test-colab")


def first_cell(path):
    """The committed notebook's install cell, and that it is the notebook's first code cell."""
    cells = [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert cells[0].id == notebooks.INSTALL_ID
    return cells[0].source


def run_cell(path, *flags, cwd, **env):
    """The first cell of `path` in a fresh interpreter of this environment (flags: the interpreter's)."""
    merged = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    code = first_cell(path)
    return subprocess.run(
        [sys.executable, *flags, "-c", code], cwd=cwd, env=merged, capture_output=True, text=True, timeout=600
    )


def distributions():
    """Name -> version of every distribution this environment's interpreter sees from outside the repository."""
    code = "import importlib.metadata as m, json; print(json.dumps({d.name: d.version for d in m.distributions()}))"
    done = subprocess.run([sys.executable, "-c", code], cwd="/", capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return {re.sub(r"[-_.]+", "-", name).lower(): version for name, version in json.loads(done.stdout).items()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_where_d2l_ext_is_installed_the_first_cell_does_nothing(path, tmp_path):
    done = run_cell(path, cwd=tmp_path, **{notebooks.SOURCE_VAR: None})
    assert done.returncode == 0, done.stderr[-3000:]
    if "mxnet" in path.name and importlib.util.find_spec("mxnet") is None:  # the current and Colab lanes
        assert done.stdout.startswith(MXNET_ELSEWHERE) and done.stdout.count("\n") == 1
        assert "class image (binder/)" in done.stdout and "make run" in done.stdout
    else:
        assert done.stdout == ""


@pytest.mark.parametrize("path", WITHOUT_MXNET, ids=lambda p: p.name)
def test_without_d2l_ext_or_an_address_the_first_cell_says_what_to_set_and_installs_nothing(path, tmp_path):
    # -S: no site-packages, so no d2l_ext (nor pip: a cell that tried to install would fail)
    done = run_cell(path, "-S", cwd=tmp_path, **{notebooks.SOURCE_VAR: None})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("\n") == 1
    assert f"%env {notebooks.SOURCE_VAR}=" in done.stdout and "%pip install --no-deps d2l==1.0.3" in done.stdout


def test_no_address_is_invented_while_pyproject_sets_none():
    assert notebooks.install_address() == ""
    assert all(f'os.environ.get("{notebooks.SOURCE_VAR}", "")' in first_cell(p) for p in NOTEBOOKS)


@pytest.mark.skipif(sys.version_info < (3, 12), reason="MXNet 1.9.1 installs on this Python (3.11)")
def test_where_mxnet_cannot_be_installed_its_first_cell_says_so_in_one_line_and_installs_nothing(tmp_path):
    before = distributions()
    done = run_cell(ROOT / "notebooks/lr-scheduler-mxnet.ipynb", cwd=tmp_path, **{notebooks.SOURCE_VAR: "file:///x"})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith(MXNET_ELSEWHERE) and done.stdout.count("\n") == 1
    assert distributions() == before


def test_the_notebooks_ask_colab_for_a_gpu_but_mxnets():
    for path in NOTEBOOKS:
        metadata = nbformat.read(path, as_version=4).metadata
        assert (metadata.get("accelerator") == "GPU") == ("mxnet" not in path.name), path.name


@on_colab
@pytest.mark.colab_install
def test_on_colabs_runtime_the_first_cell_installs_d2l_and_d2l_ext_from_a_clone_and_replaces_nothing(
    tmp_path, monkeypatch
):
    before = distributions()
    assert "d2l-ext" not in before, "run `make test-colab`: it starts from Colab's runtime"
    # a student's Run All: the first cell, then the chapter's first, which imports d2l_ext, in the same kernel
    notebook = nbformat.read(ROOT / "notebooks/lr-scheduler-pytorch.ipynb", as_version=4)
    first_two = [nbformat.v4.new_code_cell(c.source) for c in notebook.cells if c.cell_type == "code"][:2]
    nb = nbformat.v4.new_notebook(cells=first_two)
    monkeypatch.setenv(notebooks.SOURCE_VAR, f"file://{ROOT}")  # this clone, as the address pyproject.toml will hold
    monkeypatch.setenv(ENV_QUICK, "1")
    in_tmp = {"metadata": {"path": str(tmp_path)}}  # the kernel's working folder: no d2l_ext importable there
    NotebookClient(nb, kernel_name="python3", timeout=600, resources=in_tmp).execute()  # raises on a cell's error
    after = distributions()
    added = {name: after[name] for name in after.keys() - before.keys()}
    assert added == {"d2l": pins.pins()["d2l"], "d2l-ext": after.get("d2l-ext")}
    assert {name: after[name] for name in before} == before  # no package of the runtime replaced
    install, chapter_first = nb.cells
    assert [o["text"] for o in install.outputs] == [
        f"installed d2l 1.0.3, d2l_ext {added['d2l-ext']} from file://{ROOT}\n"
    ]
    assert [o for o in chapter_first.outputs if o.get("name") == "stderr" or o["output_type"] == "error"] == []
