"""`make run` writes a notebook only after a clean run, with run metadata; a failure leaves it untouched."""

import nbformat

from tools import execute


def notebook(tmp_path, *sources):
    """A small notebook on disk with the given code cells."""
    path = tmp_path / "small.ipynb"
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def test_a_failing_cell_leaves_the_notebook_untouched_and_is_reported(tmp_path):
    path = notebook(tmp_path, "print('fine')", "1 / 0", "print('never')")
    before, log = path.read_bytes(), []
    assert execute.run(path, log=lambda *a, **k: log.append(" ".join(map(str, a)))) is False
    assert path.read_bytes() == before
    assert any("FAILED at cell 2/3" in line and "ZeroDivisionError" in line for line in log)
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_clean_run_writes_outputs_and_what_ran_it(tmp_path):
    path = notebook(tmp_path, "print(6 * 7)")
    assert execute.run(path, log=lambda *a, **k: None) is True
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].outputs[0]["text"] == "42\n"
    info = nb.metadata[execute.METADATA_KEY]["execution"]
    assert info["device"] and info["versions"]["numpy"] and info["wall_time_s"] > 0 and "date" in info
