"""`make test`'s nbval settings compare outputs strictly: a changed result fails, a figure's SVG does not."""
import subprocess
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NBVAL = ["--nbval", "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "sanitize.cfg"),
         "-p", "tests.conftest", f"--rootdir={ROOT}"]


def nbval(tmp_path, source, outputs):
    """Exit code of nbval (as `make test` runs it) on a one-cell notebook with the given stored outputs."""
    cell = nbformat.v4.new_code_cell(source, outputs=outputs, execution_count=1)
    path = tmp_path / "one.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", *NBVAL, path.name], cwd=tmp_path,
                          capture_output=True, text=True).returncode


def test_a_different_printed_value_fails(tmp_path):
    assert nbval(tmp_path, "print(f'learning rate is now {0.1:.2f}')",
                 [nbformat.v4.new_output("stream", name="stdout", text="learning rate is now 0.11\n")]) == 1


def test_the_same_value_and_a_sanitized_address_pass(tmp_path):
    assert nbval(tmp_path, "print('lr 0.10'); print(object())",
                 [nbformat.v4.new_output("stream", name="stdout",
                                         text="lr 0.10\n<object object at 0x7f0000000000>\n")]) == 0
