"""MXNet on a CPU gets NaiveEngine on every core before it loads; the user's own settings always win."""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from d2l_ext import mxnet_cpu, provenance


@pytest.fixture
def clean_env(monkeypatch):
    """No threading variables set, no MXNet imported, a CPU build installed."""
    for var in mxnet_cpu.RECORDED_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delitem(sys.modules, "mxnet", raising=False)
    monkeypatch.setattr(mxnet_cpu, "cuda_build_installed", lambda: False)
    return monkeypatch


def test_a_cpu_build_gets_naive_engine_on_every_core():
    assert mxnet_cpu.wanted_settings({}, cores=2) == {"MXNET_ENGINE_TYPE": "NaiveEngine", "MXNET_OMP_MAX_THREADS": "2"}


@pytest.mark.parametrize("user_var", mxnet_cpu.USER_THREAD_VARS)
def test_a_thread_count_set_by_the_user_is_kept(user_var):
    assert mxnet_cpu.wanted_settings({user_var: "1"}, cores=2) == {"MXNET_ENGINE_TYPE": "NaiveEngine"}


def test_an_engine_set_by_the_user_is_kept():
    assert mxnet_cpu.wanted_settings({"MXNET_ENGINE_TYPE": "ThreadedEnginePerDevice"}, cores=4) == {
        "MXNET_OMP_MAX_THREADS": "4"
    }


def test_configure_sets_the_environment_and_says_what_it_set(clean_env):
    wanted = mxnet_cpu.configure()
    assert wanted["MXNET_ENGINE_TYPE"] == "NaiveEngine"
    assert mxnet_cpu.recorded_settings() == wanted == {var: os.environ[var] for var in wanted}


def test_a_cuda_build_keeps_mxnets_asynchronous_engine(clean_env):
    clean_env.setattr(mxnet_cpu, "cuda_build_installed", lambda: True)
    assert mxnet_cpu.configure() == {} and mxnet_cpu.recorded_settings() == {}


def test_mxnet_imported_first_warns_with_the_remedy_and_sets_nothing(clean_env):
    clean_env.setitem(sys.modules, "mxnet", object())
    with pytest.warns(UserWarning, match="Import d2l_ext.mxnet first, or set MXNET_ENGINE_TYPE=NaiveEngine"):
        assert mxnet_cpu.configure() == {}
    assert mxnet_cpu.recorded_settings() == {}


def test_a_runs_record_names_the_threading_in_effect(clean_env):
    clean_env.setenv("OMP_NUM_THREADS", "3")
    assert json.loads(provenance.describe())["threading"] == {"OMP_NUM_THREADS": "3"}


@pytest.mark.skipif(importlib.util.find_spec("mxnet") is None, reason="needs MXNet")
def test_mxnet_itself_reports_the_engine_after_the_drop_in_import():
    code = "import d2l_ext.mxnet, mxnet; mxnet.np.ones(2).asnumpy()"
    env = {k: v for k, v in os.environ.items() if k not in mxnet_cpu.RECORDED_VARS}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "MXNet start using engine: NaiveEngine" in done.stderr


def test_a_cuda_wheels_dist_info_beside_the_package_marks_a_cuda_build(tmp_path, monkeypatch):
    (tmp_path / "mxnet").mkdir()
    spec = importlib.util.spec_from_file_location(
        "mxnet", tmp_path / "mxnet" / "__init__.py", submodule_search_locations=[str(tmp_path / "mxnet")]
    )
    monkeypatch.setattr(mxnet_cpu.importlib.util, "find_spec", lambda name: spec)
    assert mxnet_cpu.cuda_build_installed() is False
    (tmp_path / "mxnet_cu112-1.9.1.dist-info").mkdir()
    assert mxnet_cpu.cuda_build_installed() is True
