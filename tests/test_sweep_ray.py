"""The sweeps on Ray: the same seed gives the same trials as in this process, and a worker killed mid-trial is
retried and the sweep completes. One local Ray with 2 CPUs serves both tests."""

import os
import signal
from pathlib import Path

import pytest

from d2l_ext import data
from d2l_ext.sweep import engine, exercises

VARYING = {"wall_s", "date", "pid", "first_epoch_s", "steady_epoch_s", "train_time_s"}


@pytest.fixture(autouse=True)
def quick_mode_restored(monkeypatch):
    """A sweep sets D2L_EXT_QUICK for its trials, as the fast runner does: each test puts it back."""
    monkeypatch.setenv(data.ENV_QUICK, os.environ.get(data.ENV_QUICK, "0"))


def quiet(*args):
    """A log that prints nothing."""


@pytest.fixture(scope="module")
def ray():
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def same_run(record):
    """A record less what differs between two runs of one trial: times, date, process."""
    keep = {k: v for k, v in record.items() if k not in VARYING}
    keep["epochs"] = [{k: v for k, v in e.items() if k != "time_s"} for e in record["epochs"]]
    return keep


@pytest.mark.usefixtures("real_data")
def test_the_same_seed_gives_the_same_trials_in_process_and_as_ray_tasks(torch, ray, tmp_path):
    configs = exercises.configs(1, quick=True, grid=(0.1, 0.4), epochs=1)
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

    configs = exercises.configs(1, grid=(0.1, 0.2), epochs=1)
    records = engine.run(configs, tmp_path / "sweep", ray=engine.RAY_AUTO, threads=1, trial=killed_once, log=quiet)
    assert [r["config"]["value"] for r in records] == [0.1, 0.2]
    assert sorted(p.name.split("-")[0] for p in attempts.iterdir()) == ["0.1", "0.2", "0.2"]
    assert len(list((tmp_path / "sweep" / engine.TRIALS_DIR).glob("*.json"))) == 2
