"""The exercise sweeps: a bad grid is refused before anything runs, naming the value; finished trials are written as
they finish and a rerun trains only the rest; a quick sweep writes its JSON, figure and table."""

import json
import os
import subprocess
import sys

import pytest

from d2l_ext import data, sweep
from d2l_ext.sweep import cli, engine, exercises, report


@pytest.fixture(autouse=True)
def quick_mode_restored(monkeypatch):
    """A sweep sets D2L_EXT_QUICK for its trials, as the fast runner does: each test puts it back."""
    monkeypatch.setenv(data.ENV_QUICK, os.environ.get(data.ENV_QUICK, "0"))


def quiet(*args):
    """A log that prints nothing."""


def fake_trial(calls, fail_at=None):
    """A trial that trains nothing: its record says which config it got; it raises at config number `fail_at`."""

    def trial(config, threads):
        if len(calls) == fail_at:
            raise KeyboardInterrupt("stopped mid-sweep")
        calls.append(config["value"])
        return {"config": config, "train_loss": 1.0, "test_acc": 0.5, "wall_s": 0.0, "device": "none", "date": "-"}

    return trial


@pytest.mark.parametrize(
    "number, grid, refused",
    [
        (1, (0.1, -0.3), "grid value -0.3 refused (constant learning rate): lr=-0.3: must be a finite number > 0"),
        (1, (0.1, float("nan")), "grid value nan refused"),
        (2, (1, 0), "grid value 0 refused (PolyScheduler power): pwr=0: must be > 0"),
        (2, (-2,), "grid value -2 refused"),
        (4, (0, 20), "grid value 20 refused (warm-up epochs): warmup_steps=20: must be a whole number >= 0 and < max"),
        (4, (2.5,), "grid value 2.5 refused"),
    ],
)
def test_a_bad_grid_value_is_refused_before_any_trial_runs_naming_it(tmp_path, number, grid, refused):
    with pytest.raises(exercises.GridError) as error:
        sweep.run(number, tmp_path, grid=grid)
    assert refused in str(error.value)
    assert not any(tmp_path.iterdir())  # no folder, no trial


def test_the_command_line_names_a_value_that_is_no_number_and_a_refused_one(capsys, tmp_path):
    with pytest.raises(SystemExit):
        cli.main(["--exercise", "1", "--grid", "0.1,fast"])
    assert "--grid value 'fast': not a number" in capsys.readouterr().err
    assert cli.main(["--exercise", "4", "--grid", "0,30", "--out", str(tmp_path)]) == 2
    assert "grid value 30 refused" in capsys.readouterr().err


def test_other_frameworks_epochs_and_seeds_are_checked_too():
    with pytest.raises(exercises.GridError, match="framework 'mxnet': sweeps run on pytorch, tensorflow"):
        exercises.configs(1, framework="mxnet")
    with pytest.raises(exercises.GridError, match="epochs=0: must be a whole number >= 1"):
        exercises.configs(1, epochs=0)
    with pytest.raises(exercises.GridError, match="seed -1"):
        exercises.configs(1, seeds=(-1,))


def test_each_finished_trial_is_on_disk_and_a_rerun_trains_only_the_rest(tmp_path):
    configs = exercises.configs(1, grid=(0.05, 0.1, 0.2), epochs=1)
    calls = []
    with pytest.raises(KeyboardInterrupt):
        engine.run(configs, tmp_path, trial=fake_trial(calls, fail_at=2), log=quiet)
    assert calls == [0.05, 0.1]
    assert len(list((tmp_path / engine.TRIALS_DIR).glob("*.json"))) == 2 and not list(tmp_path.rglob("*.tmp"))
    records = engine.run(configs, tmp_path, trial=fake_trial(calls), log=quiet)
    assert calls == [0.05, 0.1, 0.2]  # only the unfinished one trained
    assert [r["config"]["value"] for r in records] == [0.05, 0.1, 0.2]
    engine.run(configs, tmp_path, trial=fake_trial(calls), log=quiet)
    assert calls == [0.05, 0.1, 0.2]


def test_another_config_is_another_trial_and_a_damaged_record_is_named(tmp_path):
    one, two = exercises.configs(1, grid=(0.1,), epochs=1), exercises.configs(1, grid=(0.1,), epochs=2)
    calls = []
    for configs in (one, two):
        engine.run(configs, tmp_path, trial=fake_trial(calls), log=quiet)
    assert calls == [0.1, 0.1]
    path = engine.Store(tmp_path).path(one[0])
    path.write_text("{half")
    with pytest.raises(RuntimeError, match=f"{path.name}: not a trial record .*delete it to train that trial again"):
        engine.run(one, tmp_path, trial=fake_trial(calls), log=quiet)


@pytest.mark.usefixtures("real_data")
def test_a_quick_sweep_writes_its_json_figure_and_table(tmp_path, torch, capsys):
    assert cli.main(["--exercise", "2", "--quick", "--epochs", "1", "--grid", "1,2", "--out", str(tmp_path)]) == 0
    folder = tmp_path / "exercise2-quick"
    summary = json.loads((folder / report.JSON_NAME).read_text())
    assert [r["value"] for r in summary["rows"]] == [1, 2] and len(summary["trials"]) == 2
    trial = summary["trials"][0]
    assert trial["config"]["schedule"] == "PolyScheduler(max_update=1, base_lr=0.3, pwr=1, final_lr=0, " + (
        "warmup_steps=0, warmup_begin_lr=0, warmup_mode='linear')"
    )
    assert trial["epochs"][0]["lr"] == 0.3 and 0 < trial["test_acc"] < 1 and trial["device"].startswith("CPU")
    assert (folder / "exercise2.png").read_bytes()[:4] == b"\x89PNG"
    assert (folder / report.TABLE_NAME).read_text().startswith("| PolyScheduler power |")
    assert "wrote" in capsys.readouterr().out


@pytest.mark.usefixtures("real_data")
def test_together_trains_a_seeds_trials_in_one_vmapped_step(tmp_path, torch):
    configs = exercises.configs(2, quick=True, grid=(1, 2), epochs=2)
    records = engine.run(configs, tmp_path, together=True, log=quiet)
    assert [r["config"]["value"] for r in records] == [1, 2] and {r["trained_together"] for r in records} == {2}
    assert [[e["lr"] for e in r["epochs"]] for r in records] == [[0.3, 0.15], [0.3, 0.075]]  # 0.3 * (1 - e/2)**p
    assert records[0]["test_acc"] != records[1]["test_acc"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["sweep", "--exercise", "2", "--grid", "1,0"], "grid value 0 refused (PolyScheduler power)"),
        (["sweeps"], "unknown command 'sweeps'"),
        ([], "usage: python -m d2l_ext {sweep,fast}"),
    ],
)
def test_the_package_command_line_refuses_bad_input_with_status_2(args, message):
    done = subprocess.run([sys.executable, "-m", "d2l_ext", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and message in done.stderr
