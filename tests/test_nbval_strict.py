"""`make test`'s nbval settings compare outputs strictly: a changed result fails, a figure's SVG does not."""

import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
# the options `make test-notebooks` uses: pyproject.toml's, read from the repository root
PROJECT_OPTIONS = ["-c", str(ROOT / "pyproject.toml"), f"--rootdir={ROOT}"]


def nbval(tmp_path, source, outputs):
    """nbval's run (as `make test` runs it) on a one-cell notebook with the given stored outputs."""
    cell = nbformat.v4.new_code_cell(source, outputs=outputs, execution_count=1)
    path = tmp_path / "one.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    command = [sys.executable, "-m", "pytest", "-q", *PROJECT_OPTIONS, str(path)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True)


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
