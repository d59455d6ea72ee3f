"""Shared test set-up: a plotting backend for plain Python, data and framework fixtures."""

import os

import matplotlib
import pytest

matplotlib.use("Agg")  # d2l's SVG display needs a Jupyter kernel; plain pytest draws off-screen


@pytest.fixture
def real_data():
    """The folder with the real Fashion-MNIST files; the test is skipped, saying so, where they are not installed."""
    from d2l_ext import data

    found = data.find_dir()
    if found is None:
        pytest.skip("needs the Fashion-MNIST files: make data (or set FASHION_MNIST_DIR)")
    return found


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
    from d2l_ext import compat

    compat.choose_legacy_keras()  # as d2l_ext.tensorflow does: TensorFlow >= 2.16 loads Keras 2 only if told first
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def mx():
    pytest.importorskip("mxnet")
    pytest.importorskip("d2l_ext.mxnet")  # first: it sets MXNet's CPU threading before MXNet loads
    return pytest.importorskip("mxnet")
