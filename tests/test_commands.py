"""Every command the README and the docs advertise, run as a user runs it (small and quick): exit status 0 and the
files it says it writes on success; on a problem it names, status 1 and one error line, no traceback."""

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import nbformat
import pytest

from d2l_ext.fast import RUNS
from tools import chapter, notebooks

ROOT = Path(__file__).resolve().parent.parent
DISTRIBUTION = {"pytorch": "torch", "tensorflow": "tensorflow", "mxnet": "mxnet"}


def run(*args, cwd=ROOT, timeout=600, **env):
    """A command with `env` over this environment (None removes a variable); its CompletedProcess."""
    merged = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    return subprocess.run(list(args), cwd=cwd, env=merged, capture_output=True, text=True, timeout=timeout)


def python(*args, **kwargs):
    """`python ARGS...` in this environment."""
    return run(sys.executable, *args, **kwargs)


def succeeded(done):
    """The command exited 0 (else the assertion shows its stderr's end)."""
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def one_error_line(done, status=1):
    """The command exited `status` with an `error: ...` line and no traceback; that line."""
    assert done.returncode == status and "Traceback" not in done.stderr, done.stderr[-3000:]
    (line,) = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    return line


def written(folder):
    """The files under a folder, by relative path (no temporary left among them)."""
    found = sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*") if p.is_file())
    assert not [name for name in found if name.endswith(".tmp")], found
    return found


# ---- python -m d2l_ext fast | sweep ----
@pytest.mark.parametrize("framework", ["pytorch", "tensorflow", "mxnet"])
def test_fast_trains_a_quick_run_and_writes_its_record_and_figure(real_data, tmp_path, framework):
    if importlib.util.find_spec(DISTRIBUTION[framework]) is None:
        pytest.skip(f"{framework} is not installed in this lane")
    out = tmp_path / "out"
    done = succeeded(
        python("-m", "d2l_ext", "fast", "--framework", framework, "--quick", "--epochs", "1", "--schedule",
               "piecewise", "--seed", "3", "--out", str(out))
    )  # fmt: skip
    assert "imported before d2l_ext" not in done.stderr  # the drop-in set the threads up before the framework loaded
    assert written(out) == [f"results-{framework}.json", f"runs-{framework}.png"]
    record = json.loads((out / f"results-{framework}.json").read_text())
    assert record["quick_mode"] is True and record["seed"] == 3 and record["epochs"] == 1
    assert list(record["runs"]) == ["piecewise"] and record["versions"][DISTRIBUTION[framework]]
    assert f"{framework:10s} piecewise" in done.stdout and f"wrote {out}/" in done.stdout


def test_fast_takes_quick_mode_from_the_variable_as_the_notebooks_do(real_data, tmp_path):
    done = succeeded(python("-m", "d2l_ext", "fast", "--epochs", "1", "--schedule", "constant", "--out", str(tmp_path),
                            D2L_EXT_QUICK="1", D2L_EXT_SEED="5"))  # fmt: skip
    record = json.loads((tmp_path / "results-pytorch.json").read_text())
    assert record["quick_mode"] is True and record["seed"] == 5 and "train loss" in done.stdout


def test_fast_without_the_data_exits_1_naming_the_folder(tmp_path):
    done = python("-m", "d2l_ext", "fast", "--quick", "--out", str(tmp_path), FASHION_MNIST_DIR=str(tmp_path / "none"))
    assert f"FASHION_MNIST_DIR={tmp_path / 'none'}: " in one_error_line(done) and not any(tmp_path.iterdir())


def test_fast_refuses_more_epochs_than_the_chapters_runs_have(tmp_path):
    done = python("-m", "d2l_ext", "fast", "--epochs", "31", "--out", str(tmp_path))
    assert "--epochs 31: num_epochs=31: the run has 30 epochs" in one_error_line(done)


def test_sweep_trains_a_quick_sweep_and_writes_its_trials_json_figure_and_table(real_data, tmp_path):
    done = succeeded(python("-m", "d2l_ext", "sweep", "--exercise", "1", "--quick", "--epochs", "1", "--grid",
                            "0.1,0.2", "--seeds", "0", "--out", str(tmp_path)))  # fmt: skip
    files = written(tmp_path / "exercise1-quick")
    assert files[:3] == ["exercise1.png", "sweep.json", "table.md"] and len(files) == 5  # and two trial records
    assert "| constant learning rate |" in done.stdout and "wrote" in done.stdout and "(2 trials)" in done.stdout


@pytest.mark.pinned_lane(reason="the other lanes train exercise 3's ResNet in the answer key's nbval (its quick cell)")
def test_sweep_trains_exercise_3s_resnet_and_names_its_net_and_data(real_data, tmp_path):
    done = succeeded(python("-m", "d2l_ext", "sweep", "--exercise", "3", "--quick", "--grid", "cosine",
                            "--out", str(tmp_path)))  # fmt: skip
    summary = json.loads((tmp_path / "exercise3-quick" / "sweep.json").read_text(encoding="utf-8"))
    (trial,) = summary["trials"]
    assert trial["config"] | {"schedule": "-"} == {
        "exercise": 3,
        "run": "cosine",
        "schedule": "-",
        "value": "cosine",
        "epochs": 1,
        "quick": True,
        "framework": "pytorch",
        "net": "resnet18/8",
        "seed": 0,
    }
    assert "| cosine | 1 |" in done.stdout and "(1 trials)" in done.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["sweep", "--exercise", "2", "--grid", "1,0"], "grid value 0 refused (PolyScheduler power)"),
        (["sweeps"], "unknown command 'sweeps'"),
        ([], "usage: python -m d2l_ext {sweep,fast}"),
        (["fast", "--framework", "mxnet", "--together"], "--together is for --framework pytorch"),
    ],
)
def test_the_package_command_line_refuses_bad_input_with_status_2(args, message):
    done = python("-m", "d2l_ext", *args, timeout=120)
    assert done.returncode == 2 and message in done.stderr


# ---- python -m tools.* (make notebooks, check-generated, venv's requirements) ----
def test_build_check_passes_and_generate_rewrites_the_same_files(repository_copy):
    assert "match" in succeeded(python("-m", "tools.build", "check", cwd=repository_copy)).stdout
    before = {p: p.read_bytes() for p in repository_copy.rglob("*") if p.is_file()}
    done = succeeded(python("-m", "tools.build", "generate", cwd=repository_copy))
    assert "wrote notebooks/lr-scheduler-pytorch.ipynb" in done.stdout
    assert {p: p.read_bytes() for p in repository_copy.rglob("*") if p.is_file()} == before


def test_a_changed_learning_rate_in_the_chapter_fails_check_generated_until_regenerated(repository_copy):
    source = repository_copy / "notebooks" / "lr-scheduler.md"
    source.write_text(source.read_text().replace("trainer = torch.optim.SGD(net.parameters(), lr=0.5)",
                                                 "trainer = torch.optim.SGD(net.parameters(), lr=0.4)"))  # fmt: skip
    done = python("-m", "tools.build", "check", cwd=repository_copy)
    assert done.returncode == 1 and "d2l_ext/fast/pytorch.py: generated section differs" in done.stderr
    assert "lr-scheduler-pytorch.ipynb: cell" in done.stderr
    succeeded(python("-m", "tools.build", "generate", cwd=repository_copy))
    succeeded(python("-m", "tools.build", "check", cwd=repository_copy))
    code = (repository_copy / "d2l_ext" / "fast" / "pytorch.py").read_text()
    assert "trainer = torch.optim.SGD(net.parameters(), lr=0.4)" in code


def test_pins_prints_a_lanes_requirements_and_names_a_bad_file(tmp_path):
    lines = succeeded(python("-m", "tools.pins")).stdout.splitlines()
    assert lines and all("==" in line for line in lines) and "pytest==" in " ".join(lines)
    runtime = succeeded(python("-m", "tools.pins", "--runtime")).stdout
    assert "torch==" in runtime and "pytest==" not in runtime
    bad = tmp_path / "environment.yml"
    bad.write_text("dependencies:\n  - python=3.11\n  - pip:\n      - torch>=2\n")
    assert "'torch>=2' is not of the form `name==version`" in one_error_line(python("-m", "tools.pins", str(bad)))


# ---- pytest, bare ----
def test_a_bare_pytest_from_the_root_collects_what_make_test_runs():
    done = succeeded(run(str(Path(sys.executable).parent / "pytest"), "--co", "-q", "-n", "0", timeout=300))
    assert "notebooks/lr-scheduler-pytorch.ipynb::Cell 0" in done.stdout and "tests/test_commands.py::" in done.stdout


def test_pytest_from_a_python_without_the_test_environment_says_to_run_make_test():
    without_nbval = "import sys, pytest; sys.modules['nbval'] = None; sys.exit(pytest.main(['--co', '-q']))"
    done = python("-c", without_nbval, timeout=300, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")  # nbval not loaded as a plugin
    assert done.returncode != 0 and "lacks the test environment; run `make test`" in done.stdout + done.stderr


# ---- python -m benchmarks.*, bash benchmarks/*.sh ----
@pytest.mark.pinned_lane(reason="a measurement command: what it runs, the pinned lane's tests run")
def test_bench_quick_measures_both_pipelines_and_writes_its_record(real_data, torch, tmp_path):
    succeeded(python("-m", "benchmarks.bench", "--quick", "--skip-notebook", "--out", str(tmp_path)))
    (name,) = written(tmp_path)
    record = json.loads((tmp_path / name).read_text())
    assert name.startswith("bench-quick-cpu") and record["quick_mode"] is True
    assert set(record["figures"]) == {"load_data_one_pass", "chapter_epoch", "fast_runner_epoch"}
    assert all(f["reference_s"] > 0 and f["ours_s"] > 0 for f in record["figures"].values())


def tiny_notebooks(folder):
    """The three notebooks' names holding five quick 'trainings' each: a final line, as the chapter's prints."""
    folder.mkdir()
    for tab in chapter.TABS:
        cells = []
        for run in RUNS:
            cell = nbformat.v4.new_code_cell(f"print('{run}: train loss 0.5, train acc 0.8, test acc 0.7')")
            cell.metadata["tags"] = [notebooks.IGNORE_OUTPUT_TAG]
            cells.append(cell)
        nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": notebooks.KERNELSPEC})
        nbformat.write(nb, folder / notebooks.NOTEBOOK_NAME.format(tab=tab))
    return folder


def test_bands_measures_each_notebook_over_the_seeds_and_writes_the_bands(tmp_path):
    out = tmp_path / "bands.json"
    succeeded(python("-m", "tools.bands", "--notebooks", str(tiny_notebooks(tmp_path / "nb")), "--seeds", "3", "4",
                     "--out", str(out)))  # fmt: skip
    recorded = json.loads(out.read_text())
    assert recorded["seeds"] == [3, 4] and set(recorded["bands"]) == {
        f"lr-scheduler-{tab}.ipynb" for tab in chapter.TABS
    }
    pytorch = recorded["bands"]["lr-scheduler-pytorch.ipynb"]
    assert [b["run"] for b in pytorch.values()] == list(RUNS) and all(
        len(b["code_sha256"]) == 64 for b in pytorch.values()
    )
    assert [b["observed"]["test_acc"] for b in pytorch.values()] == [[0.7, 0.7]] * len(RUNS)
    assert all(low < 0.7 < high for low, high in (b["limits"]["test_acc"] for b in pytorch.values()))


@pytest.mark.pinned_lane(reason="a measurement command: what it runs, the pinned lane's tests run")
def test_classroom_budget_runs_each_notebook_under_each_condition(tmp_path):
    out = tmp_path / "budget.json"
    succeeded(python("-m", "benchmarks.classroom", "--notebooks", str(tiny_notebooks(tmp_path / "nb")),
                     "--runs", str(tmp_path / "runs"), "--out", str(out)))  # fmt: skip
    table = json.loads(out.read_text())["notebooks"]
    assert {tab: sorted(by_condition) for tab, by_condition in table.items()} == {
        tab: ["idle", "one-core", "shared"] for tab in chapter.TABS
    }
    assert all(v["wall_time_s"] > 0 and v["peak_rss_mb"] > 0 for t in table.values() for v in t.values())


@pytest.mark.pinned_lane(reason="a measurement command: what it runs, the pinned lane's tests run")
def test_shared_cores_times_a_framework_idle_and_busy_and_writes_its_record(real_data, torch, tmp_path):
    out = tmp_path / "shared.json"
    succeeded(python("-m", "benchmarks.shared_cores", "--frameworks", "pytorch", "--variants",
                     "GOMP_SPINCOUNT=2000 (d2l_ext)", "--out", str(out)))  # fmt: skip
    (row,) = json.loads(out.read_text())["rows"]
    assert row["framework"] == "pytorch" and row["idle_s"] > 0 and row["busy_s"] > 0


@pytest.mark.pinned_lane(reason="the class image's pins are the pinned lane's, less its development ones")
def test_image_size_names_what_the_class_image_leaves_out_and_its_size():
    out = succeeded(python("-m", "benchmarks.image_size")).stdout
    assert re.match(r"\d+ distributions left out, \d+ MB of \d+ MB\n", out), out
    assert "ray " in out and "selenium " in out and "torch " not in out and "ipython " not in out


@pytest.mark.pinned_lane(reason="a measurement command: what it runs, the pinned lane's tests run")
def test_device_check_runs_its_steps_and_packs_their_results(real_data, torch, tmp_path):
    done = succeeded(run("bash", "benchmarks/device-check.sh", "-", str(tmp_path / "out"), LOCAL_TEST="1",
                         PY=sys.executable, STEPS="run-eager"))  # fmt: skip
    assert "=== run-eager: rc=0" in done.stdout
    with tarfile.open(tmp_path / "out" / "results.tgz") as packed:
        names = packed.getnames()
    assert "./run-eager/results-pytorch.json" in names and "./steps.txt" in names


@pytest.mark.pinned_lane(reason="Ray is one of environment.yml's development pins")
def test_sweep_timing_times_a_sweep_in_process_and_on_ray(real_data, torch, tmp_path):
    sessions = tempfile.mkdtemp(prefix="ray")  # Ray's session files, here rather than in /tmp/ray (short: sockets)
    try:
        done = succeeded(run("bash", "benchmarks/sweep-timing.sh", str(tmp_path / "out"), PY=sys.executable,
                             SWEEP="--exercise 1 --quick --epochs 1 --grid 0.1 --seeds 0",
                             RAY_TMPDIR=sessions))  # fmt: skip
    finally:
        shutil.rmtree(sessions, ignore_errors=True)
    times = (tmp_path / "out" / "times.txt").read_text()
    assert all(f"{name} " in times for name in ("in-process", "ray-auto", "ray-auto-1-thread-per-trial"))
    assert "ray start-up: import" in times and "error" not in done.stderr
