"""Shared test set-up: one core per pytest worker, a plotting backend for plain Python, the lanes, data and
framework fixtures, and the check that the session left nothing in the temporary folder."""

import importlib
import importlib.util
import os
import re
import shutil
import tempfile
from pathlib import Path

import matplotlib
import pytest

from tools import pins

matplotlib.use("Agg")  # d2l's SVG display needs a Jupyter kernel; plain pytest draws off-screen
PINNED_ONLY = "runs in the pinned lane only ({why}); `make test` runs it there"
# the session's own temporary folder (TMPDIR) under the system's, removed after it; a short name: Ray's socket paths
# under it must fit in 107 characters
SESSION_TEMP = "d2l-"
# what other programs leave in a temporary folder by design, removed with the session's: TensorFlow's autograph
# writes the code it generates to files it deletes at exit (a notebook kernel is killed, not exited), torch keeps
# Inductor's cache there (a dispatch mode loads it), Chromium its shared memory (--disable-dev-shm-usage)
THIRD_PARTY_TEMP = re.compile(r"^(__autograph_generated_file\w+\.py|torchinductor_\w+|org\.chromium\.Chromium\.\w+)$")


def pytest_configure(config):
    """Each xdist worker (gw0, gw1, ...) on a core of its own, its notebook kernels and subprocesses with it: the
    notebooks train on one thread each anyway (tests/nbval_plugin.py), and two workers' threads then never fight
    for a core (benchmarks/README.md, "make test on two cores")."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if worker and 1 < workers <= len(cores):
        os.sched_setaffinity(0, {cores[int(worker[2:]) % len(cores)]})
    if not hasattr(config, "workerinput"):  # the controller: what /tmp holds, then a TMPDIR for the whole session
        config.temp_before = set(os.listdir(tempfile.gettempdir()))
        config.session_temp = tempfile.mkdtemp(prefix=SESSION_TEMP)
        os.environ["TMPDIR"] = config.session_temp  # workers, kernels and every subprocess inherit it
        tempfile.tempdir = None


def pytest_collection_modifyitems(items):
    """Skip tests marked pinned_lane outside the pinned lane, saying why (the marker's reason)."""
    if pins.lane() != pins.ENVIRONMENT:
        for item in items:
            if marker := item.get_closest_marker("pinned_lane"):
                item.add_marker(pytest.mark.skip(reason=PINNED_ONLY.format(why=marker.kwargs["reason"])))


@pytest.hookimpl(wrapper=True)
def pytest_sessionfinish(session, exitstatus):
    """In the controller, once the workers are gone: a session that left anything in its own TMPDIR but what other
    libraries leave by design and pytest's own (tmp_path, whose folders pytest removes for passed tests), or, in CI
    (a machine running nothing else), anything new in the system's temporary folder, fails naming it."""
    result = yield
    session_temp = getattr(session.config, "session_temp", None)
    if session_temp is not None:
        system, left = os.path.dirname(session_temp), []
        # in CI (elsewhere other programs write there too), unless this session runs inside another's TMPDIR (a test
        # running pytest): the outer session's kernels write there meanwhile, and the outer session checks it
        if os.environ.get("CI") == "true" and not os.path.basename(system).startswith(SESSION_TEMP):
            new = set(os.listdir(system)) - session.config.temp_before
            left = sorted(n for n in new if not n.startswith(SESSION_TEMP))  # lanes side by side: each checks its own
        left += sorted(
            os.path.join(session_temp, name)
            for name in os.listdir(session_temp)
            if not (THIRD_PARTY_TEMP.match(name) or name.startswith("pytest-of-"))
        )
        if left:
            session.config.get_terminal_writer().line(f"error: the tests left temporary files: {left}", red=True)
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
    return result


def pytest_unconfigure(config):
    """In the controller: the session's TMPDIR removed, unless the session failed (a failed test's files are there)."""
    session_temp = getattr(config, "session_temp", None)
    if session_temp is not None and not config.pluginmanager.get_plugin("terminalreporter").stats.get("failed"):
        shutil.rmtree(session_temp, ignore_errors=True)


@pytest.fixture(scope="session")
def real_data():
    """The folder with the real Fashion-MNIST files, found or downloaded as the notebooks do; where neither works the
    test is skipped saying so (under CI=true it fails: CI has the data)."""
    from d2l_ext import data

    try:
        return data.locate()
    except data.DataError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and the real Fashion-MNIST is not available: {e}")
        pytest.skip(f"needs the Fashion-MNIST files (make data, or set FASHION_MNIST_DIR): {str(e).splitlines()[0]}")


@pytest.fixture
def no_data_env(monkeypatch, tmp_path):
    """An environment where no Fashion-MNIST folder is found: empty search path, home and cwd."""
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.delenv("D2L_EXT_QUICK", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def copy_repository(copy):
    """Copy the repository's tracked files (no venv, no build output) to `copy`, for commands that write into it."""
    import shutil
    import subprocess

    root = Path(__file__).resolve().parent.parent
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (root / name).exists():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, copy / name)
    return copy


@pytest.fixture
def repository_copy(tmp_path):
    """A copy of the repository's tracked files, for commands that write into it."""
    return copy_repository(tmp_path / "repository")


# ---- frameworks, each skipped where it is not installed ----
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    from d2l_ext import compat

    compat.choose_legacy_keras()  # as d2l_ext.tensorflow does: TensorFlow >= 2.16 loads Keras 2 only if told first
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def mx():
    if importlib.util.find_spec("mxnet") is None:  # not importorskip: MXNet must not load before d2l_ext.mxnet
        pytest.skip("mxnet is not installed in this lane (MXNet 1.9.1 needs NumPy < 1.24)")
    importlib.import_module("d2l_ext.mxnet")  # first: it sets MXNet's CPU threading before MXNet loads
    return importlib.import_module("mxnet")
