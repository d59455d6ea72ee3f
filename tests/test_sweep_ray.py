"""The sweeps on Ray: the same seed gives the same trials as in this process, a worker killed mid-trial is retried
and the sweep completes, and a trial no node can hold is refused before anything runs. One local Ray with 2 CPUs
serves the tests, its session files in a folder of its own that is removed after them."""

import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest

from d2l_ext.sweep import engine, exercises

pytestmark = pytest.mark.pinned_lane(reason="Ray is one of environment.yml's development pins")
VARYING = {"wall_s", "date", "pid", "first_epoch_s", "steady_epoch_s", "train_time_s"}


def quiet(*args):
    """A log that prints nothing."""


@pytest.fixture(scope="module")
def ray():
    ray = pytest.importorskip("ray")
    sessions = tempfile.mkdtemp(prefix="ray")  # short: Ray's socket paths must fit in 107 characters
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, _temp_dir=sessions)
    yield ray
    ray.shutdown()
    shutil.rmtree(sessions, ignore_errors=True)


def same_run(record):
    """A record less what differs between two runs of one trial: times, date, process."""
    keep = {k: v for k, v in record.items() if k not in VARYING}
    keep["epochs"] = [{k: v for k, v in e.items() if k != "time_s"} for e in record["epochs"]]
    return keep


@pytest.mark.usefixtures("real_data")
def test_the_same_seed_gives_the_same_trials_in_process_and_as_ray_tasks(torch, ray, tmp_path):
    configs = exercises.configs(1, quick=True, grid=(0.1, 0.4), epochs=1, seeds=(0,))
    here = engine.run(configs, tmp_path / "here", threads=1, log=quiet)
    on_ray = engine.run(configs, tmp_path / "ray", ray=engine.RAY_AUTO, threads=1, log=quiet)
    assert {r["pid"] for r in here} == {os.getpid()} and os.getpid() not in {r["pid"] for r in on_ray}
    assert [same_run(r) for r in on_ray] == [same_run(r) for r in here]
    assert here[0]["test_acc"] != here[1]["test_acc"]  # two different trials, not one twice


def test_a_worker_killed_mid_trial_is_retried_and_the_sweep_completes(ray, tmp_path):
    attempts = tmp_path / "attempts"
    attempts.mkdir()

    def killed_once(config, threads):
        """Each attempt leaves a file; the first attempt at lr 0.2 kills its own worker process (SIGKILL)."""
        mark = Path(attempts) / f"{config['value']}-{len(list(Path(attempts).iterdir()))}"
        mark.touch()
        if config["value"] == 0.2 and not any(p.name.startswith("0.2-") and p != mark for p in attempts.iterdir()):
            os.kill(os.getpid(), signal.SIGKILL)
        return {"config": config, "train_loss": 1.0, "test_acc": 0.5, "wall_s": 0.0, "device": "-", "date": "-"}

    configs = exercises.configs(1, grid=(0.1, 0.2), epochs=1, seeds=(0,))
    records = engine.run(configs, tmp_path / "sweep", ray=engine.RAY_AUTO, threads=1, trial=killed_once, log=quiet)
    assert [r["config"]["value"] for r in records] == [0.1, 0.2]
    assert sorted(p.name.split("-")[0] for p in attempts.iterdir()) == ["0.1", "0.2", "0.2"]
    assert len(list((tmp_path / "sweep" / engine.TRIALS_DIR).glob("*.json"))) == 2


def test_a_trial_larger_than_every_node_is_refused_before_anything_runs(ray, tmp_path):
    calls = []
    configs = exercises.configs(1, grid=(0.1,), epochs=1, seeds=(0,))
    with pytest.raises(engine.ClusterError, match="--cpus-per-trial 3: the largest node of the Ray cluster has 2 CPUs"):
        engine.run(configs, tmp_path, ray=engine.RAY_AUTO, threads=3, trial=lambda c, t: calls.append(c), log=quiet)
    with pytest.raises(
        engine.ClusterError, match="--gpus-per-trial 0.5: the largest node of the Ray cluster has 0 GPUs"
    ):
        engine.run(configs, tmp_path, ray=engine.RAY_AUTO, threads=1, gpus=0.5, trial=lambda c, t: calls.append(c))
    assert calls == [] and not any(tmp_path.iterdir())
