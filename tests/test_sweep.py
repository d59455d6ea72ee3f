"""The exercise sweeps: a bad grid or an option that would be ignored is refused before anything runs, naming it;
finished trials are written as they finish and a rerun on the same stack trains only the rest; another stack trains
again; without a folder nothing is written; a sweep leaves the caller's environment as it was."""

import os

import pytest

from d2l_ext import data, sweep
from d2l_ext.sweep import cli, engine, exercises, report, trials


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
        (1, (0.1, 0.2, 0.1), "grid value 0.1 is given twice: it would train twice and count as two"),
        (1, ("cosine",), "grid value 'cosine' refused (constant learning rate): 'cosine': not a number"),
        (
            3,
            ("cosine", "linear"),
            "grid value 'linear' refused (schedule): schedule 'linear': choose from constant, sqrt",
        ),
    ],
)
def test_a_bad_grid_value_is_refused_before_any_trial_runs_naming_it(tmp_path, number, grid, refused):
    with pytest.raises(exercises.GridError) as error:
        sweep.run(number, tmp_path, grid=grid)
    assert refused in str(error.value)
    assert not any(tmp_path.iterdir())  # no folder, no trial


def test_other_frameworks_epochs_and_seeds_are_checked_too():
    with pytest.raises(exercises.GridError, match="framework 'mxnet': sweeps run on pytorch, tensorflow"):
        exercises.configs(1, framework="mxnet")
    with pytest.raises(exercises.GridError, match="epochs=0: must be a whole number >= 1"):
        exercises.configs(1, epochs=0)
    with pytest.raises(exercises.GridError, match="seed -1"):
        exercises.configs(1, seeds=(-1,))
    with pytest.raises(exercises.GridError, match="seed 3 is given twice"):
        exercises.configs(4, seeds=(3, 1, 3))
    with pytest.raises(exercises.GridError, match="exercise 3's ResNet-18 is the fast runner's PyTorch one"):
        exercises.configs(3, framework="tensorflow")
    with pytest.raises(exercises.GridError, match="quick and full size: .* choose one"):
        exercises.configs(1, quick=True, full_size=True)


def test_exercise_3_trains_the_chapters_five_schedules_scaled_to_its_epochs_on_a_narrow_resnet():
    configs = exercises.configs(3, epochs=12, seeds=(0,))
    rates = {c["value"]: [round(r, 4) for r in exercises.rates(c)] for c in configs}
    assert {c["net"] for c in configs} == {"resnet18/4"} and all(c["quick"] for c in configs)
    assert rates["constant"] == [0.3] * 12 and rates["sqrt"][:4] == [0.1, 0.0707, 0.0577, 0.05]
    assert rates["piecewise"] == [0.5] * 6 + [0.25] * 6  # halved at half of the epochs, as the chapter's 15 of 30
    assert rates["cosine"][0] == 0.3 and rates["cosine"][8:] == [0.01] * 4  # at FINAL_LR after 2/3 of the epochs
    assert rates["cosine-warmup"][:3] == [0.0, 0.15, 0.3] and rates["cosine-warmup"][8:] == [0.01] * 4
    assert {c["net"] for c in exercises.configs(3, full_size=True)} == {"resnet18"}  # the book's width, all data
    assert not any(c["quick"] for c in exercises.configs(3, full_size=True))


def test_the_answer_keys_sweeps_have_six_values_for_exercises_1_and_2_and_three_seeds_reaching_divergence():
    for number in (1, 2):
        assert len({c["value"] for c in exercises.configs(number)}) >= 6
    assert all(len({c["seed"] for c in exercises.configs(n)}) >= 3 for n in (1, 2, 4))
    lrs, powers = [c["value"] for c in exercises.configs(1)], [c["value"] for c in exercises.configs(2)]
    assert max(lrs) / min(lrs) >= 16 and min(powers) < 1 < 4 <= max(powers)


def test_within_spread_names_the_values_whose_seeds_overlap_the_bests():
    rows = [
        {"value": 0.1, "test_acc": 0.80, "test_acc_min": 0.79, "test_acc_max": 0.81},
        {"value": 0.2, "test_acc": 0.85, "test_acc_min": 0.83, "test_acc_max": 0.86},
        {"value": 0.4, "test_acc": 0.84, "test_acc_min": 0.82, "test_acc_max": 0.835},
        {"value": 0.8, "test_acc": 0.10, "test_acc_min": 0.10, "test_acc_max": 0.10},
    ]
    assert report.within_spread(rows) == [0.2, 0.4]
    assert report.within_spread(rows[:1] + rows[3:]) == [0.1]


@pytest.mark.parametrize(
    "args, refused",
    [
        (["--grid", "0.1,fast"], "--grid value 'fast': not a number"),
        (["--grid", "0,30", "--exercise", "4"], "grid value 30 refused"),
        (["--seeds", "0,0"], "seed 0 is given twice"),
        (["--framework", "tensorflow", "--cpus-per-trial", "1"], "--cpus-per-trial: TensorFlow takes its threads"),
        (["--gpus-per-trial", "0.5"], "--gpus-per-trial is a Ray task's GPU share: give --ray too"),
        (["--together", "--ray", "auto"], "--together trains in this process with pytorch"),
        (["--together", "--exercise", "3"], "--together is for LeNet's sweeps"),
        (["--quick", "--full-size"], "quick and full size"),
        (["--grid", "cosine,fast", "--exercise", "3"], "--grid value 'fast': not a number"),
    ],
)
def test_the_command_line_refuses_what_it_would_ignore_or_count_twice(capsys, tmp_path, args, refused):
    base = [] if "--exercise" in args else ["--exercise", "1"]
    with pytest.raises(SystemExit) as stopped:
        cli.parse_args(base + args + ["--out", str(tmp_path)])
    assert stopped.value.code == 2 and refused in capsys.readouterr().err
    assert not any(tmp_path.iterdir())


def test_each_finished_trial_is_on_disk_and_a_rerun_trains_only_the_rest(tmp_path):
    configs = exercises.configs(1, grid=(0.05, 0.1, 0.2), epochs=1, seeds=(0,))
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


@pytest.mark.parametrize(
    "change",
    [
        lambda monkeypatch: monkeypatch.setattr("d2l_ext.__version__", "9.9.9"),
        lambda monkeypatch: monkeypatch.setitem(trials.DISTRIBUTIONS, "pytorch", "torchvision"),  # another version
        lambda monkeypatch: monkeypatch.setattr(trials, "device_kind", lambda framework: "gpu"),
    ],
    ids=["another d2l_ext", "another framework version", "another kind of device"],
)
def test_a_trial_finished_on_another_stack_is_trained_again(tmp_path, monkeypatch, change):
    configs, calls = exercises.configs(1, grid=(0.1,), epochs=1, seeds=(0,)), []
    engine.run(configs, tmp_path, trial=fake_trial(calls), log=quiet)
    engine.run(configs, tmp_path, trial=fake_trial(calls), log=quiet)
    assert calls == [0.1]  # the same stack: reused
    change(monkeypatch)
    (record,) = engine.run(configs, tmp_path, trial=fake_trial(calls), log=quiet)
    assert calls == [0.1, 0.1] and record["stack"] == trials.stack("pytorch", trials.device_kind("pytorch"))


def test_another_config_is_another_trial_and_a_damaged_record_is_named(tmp_path):
    one, two = (
        exercises.configs(1, grid=(0.1,), epochs=1, seeds=(0,)),
        exercises.configs(1, grid=(0.1,), epochs=2, seeds=(0,)),
    )
    calls = []
    for configs in (one, two):
        engine.run(configs, tmp_path, trial=fake_trial(calls), log=quiet)
    assert calls == [0.1, 0.1]
    (path,) = [p for p in (tmp_path / engine.TRIALS_DIR).iterdir() if '"epochs": 1' in p.read_text()]
    path.write_text("{half")
    with pytest.raises(engine.RecordError, match=f"{path.name}: not a trial record .*delete it to train that trial"):
        engine.run(one, tmp_path, trial=fake_trial(calls), log=quiet)


def test_without_a_folder_a_sweep_writes_nothing_and_trains_every_time(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    configs, calls = exercises.configs(1, grid=(0.1, 0.2), epochs=1, seeds=(0,)), []
    for _ in range(2):
        engine.run(configs, None, trial=fake_trial(calls), log=quiet)
    assert calls == [0.1, 0.2, 0.1, 0.2] and not any(tmp_path.iterdir())


@pytest.mark.usefixtures("real_data")
def test_given_no_folder_a_sweep_keeps_and_reuses_trials_in_the_variables_store(torch, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(sweep.ENV_STORE, str(tmp_path))  # as grading sets it (tools/assignment.py)
    first, again = (sweep.run(1, quick=True, grid=(0.1,), epochs=1, seeds=(0,)) for _ in range(2))
    assert first.folder == again.folder == tmp_path / "exercise1-quick" and again.records == first.records
    assert capsys.readouterr().out.count("reused from") == 1


@pytest.mark.usefixtures("real_data")
@pytest.mark.parametrize("given", [None, "0", "1"], ids=["unset", "0", "1"])
def test_a_quick_sweep_leaves_the_callers_environment_as_it_was(torch, monkeypatch, given):
    monkeypatch.delenv(data.ENV_QUICK, raising=False) if given is None else monkeypatch.setenv(data.ENV_QUICK, given)
    before = dict(os.environ)
    result = sweep.run(2, quick=True, grid=(1,), epochs=1, seeds=(0,))
    assert dict(os.environ) == before
    assert result.folder is None and result.png[:4] == b"\x89PNG" and result.table.startswith("| PolyScheduler power |")
    assert result.records[0]["config"]["quick"] is True and len(result.records[0]["epochs"]) == 1


@pytest.mark.usefixtures("real_data")
def test_together_trains_a_seeds_trials_in_one_vmapped_step_on_the_threads_asked(tmp_path, torch):
    configs, before = exercises.configs(2, quick=True, grid=(1, 2), epochs=2, seeds=(0,)), torch.get_num_threads()
    try:
        records = engine.run(configs, tmp_path, together=True, threads=2, log=quiet)  # --cpus-per-trial 2
        threads = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
    assert threads == 2 and {(r["threads"], r["trained_together"]) for r in records} == {(2, 2)}
    assert [r["config"]["value"] for r in records] == [1, 2]
    assert [[e["lr"] for e in r["epochs"]] for r in records] == [[0.3, 0.15], [0.3, 0.075]]  # 0.3 * (1 - e/2)**p
    assert records[0]["test_acc"] != records[1]["test_acc"]


def test_a_trial_record_says_what_ran_it(torch, real_data):
    (config,) = exercises.configs(1, quick=True, grid=(0.1,), epochs=1, seeds=(7,))
    record = trials.run_trial(config, threads=1)
    assert record["config"]["seed"] == 7 and record["config"]["quick"] is True
    assert (
        torch.__version__.startswith(record["versions"]["torch"])
        and record["python"]
        and record["device"].startswith("CPU")
    )
