"""`make test`'s nbval settings catch regressions: a changed printed value, a changed schedule (through the plotted
numbers d2l_ext.figures adds to each figure), a changed stored value, and a training outside its band all fail,
naming the cell; a figure's SVG, whose ids change from run to run, is not compared."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from d2l_ext import figures
from tools import answer_key, bands, notebooks

ROOT = Path(__file__).resolve().parent.parent
# the options `make test-notebooks` uses: pyproject.toml's, read from the repository root
PROJECT_OPTIONS = ["-c", str(ROOT / "pyproject.toml"), f"--rootdir={ROOT}", "-n", "0"]


def run_nbval(path, quick=False, *options):
    """nbval's run on a notebook, with the options `make test` uses (quick mode: the bands too)."""
    command = [sys.executable, "-m", "pytest", "-q", *PROJECT_OPTIONS, *options, str(path)]
    env = {**os.environ, "D2L_EXT_QUICK": "1" if quick else "0"}
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)


def nbval(tmp_path, source, outputs):
    """nbval's run on a one-cell notebook with the given stored outputs."""
    cell = nbformat.v4.new_code_cell(source, outputs=outputs, execution_count=1)
    path = tmp_path / "one.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return run_nbval(path)


def pytorch_cells(*ids):
    """Copies of the committed PyTorch notebook's cells, by id, with their stored outputs."""
    cells = {c.id: c for c in notebooks.read(notebooks.notebook_path("pytorch")).cells}
    return [nbformat.from_dict(cells[i]) for i in ids]


def excerpt(tmp_path, cells):
    """A notebook of the given cells, named as the PyTorch notebook (bands are looked up by name and cell id)."""
    nb = nbformat.v4.new_notebook(cells=cells, metadata=notebooks.read(notebooks.notebook_path("pytorch")).metadata)
    path = tmp_path / notebooks.notebook_path("pytorch").name
    nbformat.write(nb, path)
    return path


def square_root_plot(tmp_path, mutate=lambda cells: None):
    """The imports cell, `num_epochs = 30`, the chapter's SquareRootScheduler and its plot, then `mutate`."""
    imports, scheduler, plot = pytorch_cells("cell-02", "cell-08", "cell-10")
    cells = [imports, nbformat.v4.new_code_cell("num_epochs = 30"), scheduler, plot]
    mutate(cells)
    return excerpt(tmp_path, cells)


def stdout(text):
    return [nbformat.v4.new_output("stream", name="stdout", text=text)]


def test_a_different_printed_value_fails_naming_the_cell_and_the_values(tmp_path):
    done = nbval(tmp_path, "print(f'learning rate is now {0.1:.2f}')", stdout("learning rate is now 0.11\n"))
    assert done.returncode == 1, done.stdout
    assert "Cell 0: Cell outputs differ" in done.stdout and "mismatch 'stdout'" in done.stdout
    assert "'learning rate is now 0.11\\n' == 'learning rate is now 0.10\\n'" in done.stdout


def test_the_same_value_and_a_sanitized_address_pass(tmp_path):
    done = nbval(tmp_path, "print('lr 0.10'); print(object())", stdout("lr 0.10\n<object object at 0x7f0000000000>\n"))
    assert done.returncode == 0, done.stdout


def test_a_figures_svg_is_not_compared(tmp_path):
    svg = nbformat.v4.new_output("display_data", data={"image/svg+xml": "<svg>stored</svg>", "text/plain": "x"})
    source = "display({'image/svg+xml': '<svg>new</svg>', 'text/plain': 'x'}, raw=True)"
    done = nbval(tmp_path, source, [svg])
    assert done.returncode == 0, done.stdout


@pytest.mark.usefixtures("real_data")
def test_the_chapters_schedule_plot_passes_as_committed(tmp_path):
    done = run_nbval(square_root_plot(tmp_path), quick=True)
    assert done.returncode == 0, done.stdout[-3000:]


@pytest.mark.usefixtures("real_data")
def test_a_changed_schedule_fails_at_its_plot_through_the_plotted_numbers(tmp_path):
    def steeper(cells):
        cells[2].source = cells[2].source.replace("pow(num_update + 1.0, -0.5)", "pow(num_update + 1.0, -0.9)")

    done = run_nbval(square_root_plot(tmp_path, steeper), quick=True)
    assert done.returncode == 1 and "1 failed, 3 passed" in done.stdout, done.stdout[-3000:]
    assert "Cell 3: Cell outputs differ" in done.stdout and f"mismatch '{figures.MIME}'" in done.stdout


@pytest.mark.usefixtures("real_data")
def test_a_changed_stored_value_fails_at_its_plot(tmp_path):
    def edited(cells):
        (figure,) = [o for o in cells[3].outputs if figures.MIME in o.get("data", {})]
        figure.data[figures.MIME]["axes"][0]["lines"][0]["y"][3] = 0.051  # stored 0.05

    done = run_nbval(square_root_plot(tmp_path, edited), quick=True)
    assert done.returncode == 1 and "Cell 3: Cell outputs differ" in done.stdout, done.stdout[-3000:]
    assert f"mismatch '{figures.MIME}'" in done.stdout


TRAINING_MUTATIONS = {  # name -> (cell edited, old text, new text)
    "wrong labels": (
        "cell-02",
        "batch_size=batch_size)\n",
        "batch_size=batch_size)\ntrain_iter.y = train_iter.y[torch.randperm(len(train_iter.y))]\n",
    ),
}


def mutated_training(tmp_path, mutation):
    """The PyTorch notebook's first cell and first training, one of them edited as TRAINING_MUTATIONS says."""
    cell_id, old, new = TRAINING_MUTATIONS[mutation]
    cells = pytorch_cells("cell-02", "cell-04")
    edited = next(c for c in cells if c.id == cell_id)
    assert old in edited.source
    edited.source = edited.source.replace(old, new)
    return excerpt(tmp_path, cells)


def bands_for(tmp_path, path):
    """A bands file holding the committed band of the first training, as if measured on this notebook's code."""
    name = notebooks.notebook_path("pytorch").name
    band = json.loads(bands.BANDS.read_text())["bands"][name]["cell-04"]
    nb = nbformat.read(path, as_version=4)
    written = tmp_path / "bands.json"
    written.write_text(
        json.dumps({"bands": {name: {"cell-04": {**band, "code_sha256": bands.code_digest(nb, "cell-04")}}}})
    )
    return written


@pytest.mark.pinned_lane(reason="the bands' check is the plugin's; the lanes' trainings meet it in their notebooks")
@pytest.mark.usefixtures("real_data")
@pytest.mark.parametrize("mutation", TRAINING_MUTATIONS)
def test_a_training_that_learns_nothing_fails_its_band(tmp_path, mutation):
    path = mutated_training(tmp_path, mutation)
    done = run_nbval(path, True, "--nbval-bands", str(bands_for(tmp_path, path)))
    assert done.returncode == 1 and "1 failed, 1 passed" in done.stdout, done.stdout[-3000:]
    assert re.search(r"constant: .*test_acc 0\.\d+ outside \[", done.stdout), done.stdout[-3000:]


def test_a_band_measured_on_other_code_is_refused_naming_the_remedy(tmp_path, monkeypatch):
    path = mutated_training(tmp_path, "wrong labels")
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source = nb.cells[1].source.replace("train(", "print(").replace("num_epochs, loss", "num_epochs")
    nb.cells[1].outputs = []
    nbformat.write(nb, path)  # no training to wait for: the band is refused after the cell, whatever it printed
    done = run_nbval(path, quick=True)
    assert done.returncode == 1 and "band was measured on other code" in done.stdout, done.stdout[-3000:]
    assert "measure it again: python -m tools.bands" in done.stdout


def stderr(text):
    return [nbformat.v4.new_output("stream", name="stderr", text=text)]


def test_a_framework_log_line_is_not_compared_wherever_it_lands(tmp_path):
    stored = stderr("[08:46:18] ../src/engine/engine.cc:54: MXNet start using engine: NaiveEngine\n")
    done = nbval(tmp_path, "x = 1", stored)  # this run writes no log line at all
    assert done.returncode == 0, done.stdout


WARN = "import warnings; warnings.warn('the rate is now 0.2', stacklevel=1)"


def warning(rate, pid):
    """The stderr of WARN as IPython writes it, from a kernel with process id `pid`."""
    return stderr(f"/tmp/ipykernel_{pid}/3419243.py:1: UserWarning: the rate is now {rate}\n  {WARN}\n")


def test_a_python_warning_on_stderr_is_compared_with_the_cells_temporary_file_sanitized(tmp_path):
    assert nbval(tmp_path, WARN, warning(0.2, pid=12)).returncode == 0
    done = nbval(tmp_path, WARN, warning(0.1, pid=12))
    assert done.returncode == 1 and "mismatch 'stderr'" in done.stdout and "the rate is now 0.1" in done.stdout


def test_a_training_figure_without_train_points_in_an_epoch_is_named():
    from tests.nbval_plugin import epochs_without_train_points

    def figure(train_x):
        lines = [{"label": None, "x": train_x, "y": [1.0] * len(train_x)}] * 2 + [
            {"label": None, "x": [1.0, 2.0, 3.0], "y": [0.5] * 3}
        ]
        axes = {"xlim": [1.0, 3.0], "legend": ["train loss", "train acc", "test acc"], "lines": lines}
        return {"output_type": "display_data", "data": {figures.MIME: {"axes": [axes]}}}

    assert epochs_without_train_points([figure([0.98, 1.98, 2.98])]) == {}
    assert epochs_without_train_points([figure([0.98, 2.98])]) == {"train loss": [2], "train acc": [2]}
    assert "no training figure" in epochs_without_train_points([])["figure"]


def test_a_kernel_over_a_students_memory_budget_fails_in_quick_mode(tmp_path):
    cell = nbformat.v4.new_code_cell("x = 'x' * 2_100_000_000  # resident: every byte written", execution_count=1)
    path = tmp_path / "big.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    done = run_nbval(path, quick=True)
    assert done.returncode == 1 and "exceeds a student's 2 GB" in done.stdout, done.stdout[-3000:]


def tagged_ignore_output(tmp_path, source, outputs, *tags):
    """nbval's run on a one-cell notebook tagged nbval-ignore-output (and `tags`), with the given stored outputs."""
    cell = nbformat.v4.new_code_cell(source, outputs=outputs, execution_count=1 if outputs else None)
    cell.metadata["tags"] = [notebooks.IGNORE_OUTPUT_TAG, *tags]
    path = tmp_path / "one.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return run_nbval(path)


def test_a_cell_whose_values_are_ignored_must_still_make_its_stored_figure_and_table(tmp_path):
    stored = [
        nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Image>"}),
        nbformat.v4.new_output("display_data", data={"text/markdown": "| a |\n| - |\n| 1 |", "text/plain": "<Md>"}),
    ]
    made = (
        "display({'image/png': 'AAAA', 'text/plain': 'other'}, raw=True); display({'text/markdown': '| 2 |'}, raw=True)"
    )
    assert tagged_ignore_output(tmp_path, made, stored).returncode == 0
    done = tagged_ignore_output(tmp_path, "print('trained, drew nothing')", stored)
    assert done.returncode == 1 and "must show ['image/png', 'text/markdown'] (stored outputs or tag)" in done.stdout


def test_an_answer_key_sweep_cell_must_make_a_figure_and_a_table_even_with_nothing_stored(tmp_path):
    tag = answer_key.SHOWS_FIGURE_AND_TABLE
    done = tagged_ignore_output(tmp_path, "display({'text/markdown': '| 2 |'}, raw=True)", [], tag)
    assert done.returncode == 1 and "must show ['image/png']" in done.stdout, done.stdout[-3000:]
    made = "display({'image/png': 'AAAA', 'text/plain': 'x'}, raw=True); display({'text/markdown': '| 2 |'}, raw=True)"
    assert tagged_ignore_output(tmp_path, made, [], tag).returncode == 0


def test_the_answer_keys_cells_that_train_are_not_compared_and_the_rest_are():
    nb = answer_key.build()
    code = [c for c in nb.cells if c.cell_type == "code" and c.id != notebooks.INSTALL_ID]
    tags = {c.source.splitlines()[0]: c.metadata.get("tags", []) for c in code}
    sweeps = [t for first, t in tags.items() if first.startswith(("ex1 ", "ex2 ", "ex3 ", "ex4 "))]
    assert len(sweeps) == 4 and all(answer_key.SHOWS_FIGURE_AND_TABLE in t for t in sweeps)
    trained = [first for first, t in tags.items() if t == [notebooks.IGNORE_OUTPUT_TAG]]
    assert [first.split()[0] for first in trained] == ["ex5", "toy_sgld,"]  # SGLD on LeNet, and the summary
    compared = [first for first, t in tags.items() if not t]  # the imports, the settings table, the SGLD toy
    assert [first[:12] for first in compared] == ["from pathlib", "rows = ['| 演", "x = sgld.toy"]
