"""Build the three chapter notebooks from notebooks/lr-scheduler.md, keeping outputs of unchanged cells."""

import re
import tomllib
from collections import defaultdict
from pathlib import Path

import nbformat

from d2l_ext.atomic import write_atomic
from d2l_ext.data import ENV_DIR, ENV_QUICK
from tools import chapter, pins

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
    "\n>\n> On Colab or a JupyterHub without d2l_ext, the first code cell installs it and d2l {d2l} (without its"
    "\n> 2023 pins) from `{var}`, replacing no package there; where d2l_ext is installed it does nothing.{extra_note}"
)
EXTRA_NOTES = {  # tab -> what its extra (pyproject.toml, named as the module) needs beyond the current stack
    "mxnet": "\n> MXNet 1.9.1 needs Python 3.11 and NumPy < 1.24, which Colab does not have: the cell says so.",
}
TAB_NOTES = {  # tab -> a last paragraph for that notebook's intro
    "mxnet": "\n>\n> On a CPU, `d2l_ext.mxnet` starts MXNet with `NaiveEngine` on every core it may use (MXNet's"
    "\n> default takes half the cores on x86): the log line `MXNet start using engine: NaiveEngine` of the chapter's"
    "\n> first cell says so (`d2l_ext/mxnet_cpu.py` says why); setting `MXNET_ENGINE_TYPE` or `OMP_NUM_THREADS`"
    "\n> yourself overrides it.",
}


PYPROJECT = chapter.CHAPTER.parent.parent / "pyproject.toml"
INSTALL_ID = "d2l-ext-install"
SOURCE_VAR = "D2L_EXT_SOURCE"  # overrides pyproject.toml's [project.urls] Source in the first cell (tests: a clone)
# Colab opens a notebook with this metadata on a GPU runtime (a free T4), as d2lbook's Colab builds ask
COLAB_GPU = {"accelerator": "GPU", "colab": {"gpuType": "T4", "provenance": []}}
# the first code cell: where d2l_ext is missing (Colab), it installs it from Source; elsewhere it does nothing
INSTALL = """\
# Colab, or any Jupyter without d2l_ext: install d2l {d2l} (without its 2023 pins) and d2l_ext; elsewhere nothing.
import {imports}json, os, subprocess, sys
{mxnet}if importlib.util.find_spec("d2l_ext") is None:
    source = os.environ.get("{var}", "{address}")  # a pip address of this project: git+https://... or a clone
    if not source:
        print("d2l_ext is not installed and no address to install it from is set: `%env {var}=<git URL or "
              "clone of this project>` and rerun this cell, or `%pip install --no-deps d2l=={d2l}` and "
              "`%pip install \\"<clone of this project>[{extra}]\\"`")
    else:
        installed = []
        for args in (["--no-deps", "d2l=={d2l}"], [f"d2l_ext[{extra}] @ {{source}}"]):
            pip = [sys.executable, "-m", "pip", "install", "--quiet", "--report", "-", *args]
            done = subprocess.run(pip, capture_output=True, text=True)
            if done.returncode:
                raise RuntimeError(f"pip install {{' '.join(args)}} failed:\\n{{done.stderr}}")
            report = json.loads(done.stdout)["install"]
            installed += [f"{{i['metadata']['name']}} {{i['metadata']['version']}}" for i in report]
        importlib.invalidate_caches()
        print(f"installed {{', '.join(installed)}} from {{source}}")
"""
# MXNet 1.9.1 has wheels for Python <= 3.11 and breaks on NumPy >= 1.24: said in one line, and nothing installed
MXNET_GUARD = """\
numpy = importlib.metadata.version("numpy") if importlib.util.find_spec("numpy") else "0.0"
too_new = sys.version_info >= (3, 12) or tuple(map(int, numpy.split(".")[:2])) >= (1, 24)
if importlib.util.find_spec("mxnet") is None and too_new:
    print(f"MXNet 1.9.1 needs Python 3.11 and NumPy < 1.24, this runtime has Python {{sys.version.split()[0]}} and "
          f"NumPy {{numpy}}: run this notebook in the class image (binder/) or `make run` in a clone of this project")
el"""


def install_address():
    """pyproject.toml's [project.urls] Source as a pip address (git+ for a web URL), or "" where none is set."""
    source = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"].get("urls", {}).get("Source", "")
    return source if not source or source.startswith(("git+", "file:")) else f"git+{source}"


def install_cell(tab):
    """The first code cell: d2l and d2l_ext with the tab's extra installed where d2l_ext is missing."""
    module = chapter.D2L_MODULE[tab]
    source = INSTALL.format(
        d2l=pins.pins()["d2l"],
        var=SOURCE_VAR,
        address=install_address(),
        extra=module,
        imports="importlib.metadata, importlib.util, " if tab == "mxnet" else "importlib.util, ",
        mxnet=MXNET_GUARD.format() if tab == "mxnet" else "",
    )
    cell = nbformat.v4.new_code_cell(source)
    cell.id = INSTALL_ID
    return cell


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
        hosted=HOSTED.format(d2l=pins.pins()["d2l"], var=SOURCE_VAR, extra_note=EXTRA_NOTES.get(tab, "")),
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
    nb = nbformat.v4.new_notebook(cells=carry_outputs([intro_cell(tab), install_cell(tab)] + body, old))
    nb.metadata = dict(old.metadata) if old else {}
    nb.metadata |= COLAB_GPU if tab != "mxnet" else {}  # MXNet's first cell sends a Colab student elsewhere
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
