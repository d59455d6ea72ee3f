"""Threads follow the CPU share a process really has: the tightest cgroup quota, then its affinity; OpenMP waits
briefly instead of spinning on cores others need; the user's own settings always win."""

import os
import subprocess
import sys

import pytest

from d2l_ext import cpus

V2 = "0::/kubepods/pod1/container\n"
V1 = "4:memory:/x\n3:cpu,cpuacct:/kubepods/pod1\n"


def fake_cgroup(tmp_path, proc_line, files):
    """A cgroup tree under tmp_path with `files` (relative path -> text) and a /proc/self/cgroup naming it."""
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    (tmp_path / "proc-cgroup").write_text(proc_line)
    return {"root": tmp_path, "proc_cgroup": tmp_path / "proc-cgroup"}


@pytest.fixture
def cores(monkeypatch):
    monkeypatch.setattr(cpus, "affinity", lambda: 64)  # a node's 64 cores, as a JupyterHub pod sees them


def test_a_v2_quota_of_one_and_a_half_cpus_gives_two_threads_not_64(tmp_path, cores):
    where = fake_cgroup(tmp_path, V2, {"kubepods/pod1/container/cpu.max": "150000 100000\n"})
    assert cpus.quota(**where) == 1.5 and cpus.available(**where) == 2


def test_the_tightest_quota_of_the_cgroup_and_its_ancestors_wins(tmp_path, cores):
    files = {"cpu.max": "max 100000\n", "kubepods/cpu.max": "800000 100000\n", "kubepods/pod1/cpu.max": "100000 100000"}
    assert cpus.available(**fake_cgroup(tmp_path, V2, files)) == 1


def test_a_v1_cfs_quota_counts_and_minus_one_means_none(tmp_path, cores):
    files = {
        "cpu,cpuacct/kubepods/pod1/cpu.cfs_quota_us": "300000",
        "cpu,cpuacct/kubepods/pod1/cpu.cfs_period_us": "100000",
    }
    assert cpus.available(**fake_cgroup(tmp_path, V1, files)) == 3
    files["cpu,cpuacct/kubepods/pod1/cpu.cfs_quota_us"] = "-1"
    assert cpus.quota(**fake_cgroup(tmp_path, V1, files)) is None


def test_without_a_quota_the_affinity_counts(tmp_path, cores):
    where = fake_cgroup(tmp_path, V2, {"cpu.max": "max 100000\n"})
    assert cpus.quota(**where) is None and cpus.available(**where) == 64
    assert cpus.available(root=tmp_path / "absent", proc_cgroup=tmp_path / "absent") == 64


def test_a_quota_above_the_affinity_is_capped_by_it(tmp_path, monkeypatch):
    monkeypatch.setattr(cpus, "affinity", lambda: 2)
    assert cpus.available(**fake_cgroup(tmp_path, V2, {"cpu.max": "400000 100000"})) == 2


def test_cores_are_counted_where_the_os_cannot_give_an_affinity(monkeypatch):
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    assert cpus.affinity() == 8


def test_every_framework_gets_the_share_and_openmp_spins_briefly():
    assert cpus.wanted_settings({}, 3) == {
        "OMP_NUM_THREADS": "3",
        "TF_NUM_INTRAOP_THREADS": "3",
        "TF_NUM_INTEROP_THREADS": "3",
        "GOMP_SPINCOUNT": "2000",
    }


@pytest.mark.parametrize("user_var", ["OMP_WAIT_POLICY", "GOMP_SPINCOUNT"])
def test_the_users_own_waiting_and_thread_counts_are_kept(user_var):
    wanted = cpus.wanted_settings({user_var: "ACTIVE", "OMP_NUM_THREADS": "7"}, 3)
    assert "GOMP_SPINCOUNT" not in wanted and "OMP_NUM_THREADS" not in wanted


@pytest.mark.skipif(sys.platform != "linux", reason="cgroups are Linux's")
def test_pytorch_under_the_drop_in_runs_as_many_threads_as_the_share(torch):
    code = "import d2l_ext.torch, torch, os; print(torch.get_num_threads(), os.environ['GOMP_SPINCOUNT'])"
    env = {k: v for k, v in os.environ.items() if k not in cpus.THREAD_VARS + cpus.WAIT_VARS}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(cpus.available()), cpus.SPIN]
