"""The CPU share this process really has (cgroup quota, then affinity, then cores) and the thread settings all
three frameworks take from it, set before a framework loads (framework-free)."""

import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_CGROUP = Path("/proc/self/cgroup")
V2_MAX = "cpu.max"  # "max 100000" (no quota) or "150000 100000" (1.5 CPUs)
V1_QUOTA, V1_PERIOD = "cpu.cfs_quota_us", "cpu.cfs_period_us"  # quota -1: none
V1_CONTROLLERS = ("cpu", "cpu,cpuacct", "cpuacct,cpu")  # how v1 hierarchies name the cpu controller's folder
# A JupyterHub pod sees every core of its node but gets a quota: threads per core would be 64 threads on 1 CPU.
THREAD_VARS = ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")
# libgomp (PyTorch's and MXNet's OpenMP) spin-waits 300,000 rounds at each barrier by default. When another
# process holds a core, the team spins while the thread it waits for is descheduled: a quick MXNet epoch took
# 14x its idle time beside one busy process. 2,000 rounds (microseconds) keep the idle speed and leave the core
# to others (benchmarks/README.md, "Shared cores"); OMP_WAIT_POLICY=PASSIVE would halve MXNet's idle speed.
SPIN_VAR, SPIN = "GOMP_SPINCOUNT", "2000"
WAIT_VARS = ("OMP_WAIT_POLICY", SPIN_VAR)  # either one set by the user: the waiting is theirs


def v2_quota(folder):
    """CPUs allowed by a cgroup v2 folder's cpu.max, or None."""
    try:
        quota, period = (folder / V2_MAX).read_text(encoding="ascii").split()
    except (OSError, ValueError):
        return None
    return None if quota == "max" else int(quota) / int(period)


def v1_quota(folder):
    """CPUs allowed by a cgroup v1 cpu folder's CFS quota and period, or None."""
    try:
        quota = int((folder / V1_QUOTA).read_text(encoding="ascii"))
        period = int((folder / V1_PERIOD).read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None
    return quota / period if quota > 0 and period > 0 else None


def cgroup_folders(root, proc_cgroup):
    """(reader, folder) for this process's cgroup and each ancestor, v2 and v1, from /proc/self/cgroup."""
    try:
        lines = proc_cgroup.read_text(encoding="ascii").splitlines()
    except OSError:
        return []
    found = []
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            bases = [(v2_quota, root)]
        elif "cpu" in controllers.split(","):
            bases = [(v1_quota, root / name) for name in V1_CONTROLLERS]
        else:
            continue
        parts = Path(path).parts[1:]
        for reader, base in bases:
            found += [(reader, base.joinpath(*parts[:n])) for n in range(len(parts), -1, -1)]
    return found


def quota(root=CGROUP_ROOT, proc_cgroup=PROC_CGROUP):
    """The CPUs the tightest cgroup quota over this process allows (e.g. 1.5), or None without one."""
    quotas = [q for reader, folder in cgroup_folders(root, proc_cgroup) if (q := reader(folder)) is not None]
    return min(quotas, default=None)


def affinity():
    """The cores this process may run on (all of them where the OS cannot say, e.g. macOS)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def available(root=CGROUP_ROOT, proc_cgroup=PROC_CGROUP):
    """Threads worth running: the quota rounded up, capped by the affinity; at least 1."""
    share = quota(root, proc_cgroup)
    return max(1, min(affinity(), math.ceil(share) if share else affinity()))


def wanted_settings(environ, cpus):
    """The variables to add to `environ` for `cpus` threads with short OpenMP spinning; the user's own are kept."""
    wanted = {var: str(cpus) for var in THREAD_VARS}
    if not any(var in environ for var in WAIT_VARS):
        wanted[SPIN_VAR] = SPIN
    return {var: value for var, value in wanted.items() if var not in environ}


def configure():
    """Before a framework loads: threads from the CPU share, short OpenMP spinning; return what was set."""
    wanted = wanted_settings(os.environ, available())
    os.environ.update(wanted)
    return wanted
