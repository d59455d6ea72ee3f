"""MXNet's CPU threading, set before MXNet loads: its CPU share (d2l_ext.cpus), one OpenMP team (framework-free)."""

import importlib.util
import os
import sys
import warnings
from pathlib import Path

from d2l_ext import cpus

# MXNet 1.x on x86 takes half the cores unless told (it assumes hyper-threading: src/engine/openmp.cc), so
# a 2-core laptop trains on one. More threads alone do not pay: under the default threaded engine the worker
# thread and the main thread (each float()/asnumpy() of the chapter's loop) hold an OpenMP team each, more
# threads than cores, and libgomp then cuts its spin-wait, so the team sleeps between the many small ops.
# NaiveEngine runs each op on the calling thread: one team, all cores busy (measurements: benchmarks/README.md,
# "MXNet on a CPU"). A CUDA build keeps MXNet's defaults: there the asynchronous engine is what keeps a GPU fed.
ENGINE_VAR, ENGINE = "MXNET_ENGINE_TYPE", "NaiveEngine"
THREADS_VAR = "MXNET_OMP_MAX_THREADS"
USER_THREAD_VARS = ("OMP_NUM_THREADS", THREADS_VAR)  # either one set by the user: MXNet's count is theirs
CUDA_DIST_INFO = "mxnet_cu*.dist-info"  # pip's CUDA builds (mxnet-cu112, mxnet-cu117, ...) beside the package
RECORDED_VARS = (ENGINE_VAR, *USER_THREAD_VARS, *cpus.THREAD_VARS[1:], *cpus.WAIT_VARS)


def cuda_build_installed():
    """Whether the `mxnet` on the path comes from a CUDA build (an `mxnet-cuXXX` dist-info beside it); no import."""
    spec = importlib.util.find_spec("mxnet")
    if spec is None or not spec.submodule_search_locations:
        return False
    return any(Path(spec.submodule_search_locations[0]).parent.glob(CUDA_DIST_INFO))


def wanted_settings(environ, cores):
    """The variables to add to `environ` for CPU training on `cores` cores; the user's own are kept."""
    wanted = {ENGINE_VAR: ENGINE}
    if not any(var in environ for var in USER_THREAD_VARS):
        wanted[THREADS_VAR] = str(cores)
    return {var: value for var, value in wanted.items() if var not in environ}


def configure():
    """Before MXNet is imported: NaiveEngine on the CPU share (CPU builds only); return what was set."""
    if cuda_build_installed():
        return {}
    wanted = wanted_settings(os.environ, cpus.available())
    if wanted and "mxnet" in sys.modules:
        warnings.warn(
            "mxnet was imported before d2l_ext, so it keeps its defaults (half the cores on x86). "
            "Import d2l_ext.mxnet first, or set "
            + " ".join(f"{k}={v}" for k, v in wanted.items())
            + " before starting Python.",
            stacklevel=2,
        )
        return {}
    os.environ.update(wanted)
    return wanted


def recorded_settings(environ=os.environ):
    """The threading variables in effect, for a run's record."""
    return {var: environ[var] for var in RECORDED_VARS if var in environ}
