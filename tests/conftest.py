"""Shared test set-up: nbval's skipped payloads, a plotting backend for plain Python, and data fixtures."""
import os

import matplotlib
import pytest

matplotlib.use("Agg")  # d2l's SVG display needs a Jupyter kernel; plain pytest draws off-screen

# Figures are compared by their text/plain form (`<Figure size ... with 1 Axes>`); their SVG/PNG/HTML
# renderings differ from run to run in ids and metadata, and stderr holds framework log lines.
NBVAL_SKIP = ("image/svg+xml", "image/png", "text/html", "application/javascript", "stderr")


def pytest_collectstart(collector):
    """Tell nbval which output payloads not to compare."""
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += NBVAL_SKIP


@pytest.fixture
def no_data_env(monkeypatch, tmp_path):
    """An environment where no Fashion-MNIST folder is found: empty search path, home and cwd."""
    monkeypatch.delenv("FASHION_MNIST_DIR", raising=False)
    monkeypatch.delenv("D2L_EXT_QUICK", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


# ---- frameworks, each skipped where it is not installed ----
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def mx():
    return pytest.importorskip("mxnet")
