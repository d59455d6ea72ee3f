"""`make run` writes a notebook only after a clean run, with run metadata; a failure leaves it untouched."""

import os
import platform
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import IPython
import nbformat
import pytest

from tools import execute

ROOT = Path(__file__).resolve().parent.parent
READ_S = 120  # at most this long for the run to reach a cell


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


@pytest.mark.parametrize("seed, quick", [("0", "0"), ("7", "1")])
def test_a_clean_run_writes_outputs_and_what_ran_it_as_its_kernel_saw_it(tmp_path, seed, quick):
    path = notebook(tmp_path, "print(6 * 7)")
    done = subprocess.run(
        [sys.executable, "-m", "tools.execute", str(path)],
        cwd=ROOT,
        env={**os.environ, "D2L_EXT_SEED": seed, "D2L_EXT_QUICK": quick},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "[small.ipynb] done in" in done.stdout
    nb = nbformat.read(path, as_version=4)
    assert nb.cells[0].outputs[0]["text"] == "42\n"
    info = nb.metadata[execute.METADATA_KEY]["execution"]
    assert info["device"] and info["versions"]["numpy"] and info["wall_time_s"] > 0 and "date" in info
    assert info["seed"] == int(seed) and info["quick_mode"] is (quick == "1")
    assert nb.metadata.language_info["version"] == platform.python_version()  # what JupyterLab would write
    assert [p.name for p in tmp_path.iterdir()] == ["small.ipynb"]  # written through a temporary, renamed


@pytest.mark.skipif(
    IPython.version_info < (8,),
    reason="IPython 7 kernels (Colab's) print the interrupted cell's traceback to their own stderr; "
    "make run and make run-current, this tool's commands, start IPython 8+ kernels",
)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["Ctrl-C", "SIGTERM"])
def test_an_interrupted_run_says_where_writes_nothing_and_leaves_no_kernel(tmp_path, signum):
    path = notebook(tmp_path, "print('first')", "import time; time.sleep(30)", "print('never')")
    before = path.read_bytes()
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.execute", str(path)],
        cwd=ROOT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        # a shell's background job starts with SIGINT ignored, and Python then installs no Ctrl-C handler
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        seen = read_until(process.stdout, "cell 2/3", READ_S)  # its line ends only when its cell does: read as it comes
        kernel_pid, connection_file = kernel_of(process.pid)
    except BaseException:
        process.kill()
        process.communicate(timeout=60)
        raise
    assert "cell 1/3" in seen
    process.send_signal(signum)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "[small.ipynb] interrupted at cell 2/3: nothing written, the notebook is as it was" in err
    assert "Traceback" not in err and path.read_bytes() == before
    assert not Path(connection_file).exists(), "the kernel's connection file (its signing key) is removed"
    assert not Path(f"/proc/{kernel_pid}").exists(), "the kernel process has ended"


def read_until(stream, text, timeout):
    """What a pipe gave until `text` appeared in it; a failure when the process ends or `timeout` s pass first."""
    seen, deadline = "", time.monotonic() + timeout
    while text not in seen:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([stream], [], [], left)[0]:
            pytest.fail(f"no {text!r} after {timeout} s: {seen!r}")
        seen += os.read(stream.fileno(), 1).decode() or pytest.fail(f"the run ended before {text!r}: {seen!r}")
    return seen


def kernel_of(pid):
    """(pid, connection file) of the kernel process started by process `pid`."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if stat.read_text().rsplit(")", 1)[1].split()[1] == str(pid):
                args = (stat.parent / "cmdline").read_bytes().decode().split("\0")
                if "-f" in args:
                    return int(stat.parent.name), args[args.index("-f") + 1]
        except OSError:
            pass
    raise AssertionError(f"no kernel process under {pid}")


def test_a_training_figure_logs_each_epoch_while_its_cell_runs(tmp_path):
    cell = """
from d2l_ext import figures; figures.register()
import matplotlib; matplotlib.use("module://matplotlib_inline.backend_inline"); import matplotlib.pyplot as plt
from IPython import display
fig, ax = plt.subplots()
for k in (1, 2, 3):  # as d2l's Animator draws: legend entries, redisplay in place
    ax.cla(); ax.plot(range(1, k + 1), [0.5] * k); ax.legend(["test acc"]); ax.set_xlim([1, 3])
    display.display(fig); display.clear_output(wait=True)
"""
    log = []
    assert execute.run(notebook(tmp_path, cell), log=lambda *a, **k: log.append(" ".join(map(str, a)))) is True
    progress = [line.strip() for line in log if "epoch" in line]
    assert [p.split(" (")[0] for p in progress] == [f"epoch {k}/3: test acc 0.500" for k in (1, 2, 3)]
    assert "cell done" in log[-2]
