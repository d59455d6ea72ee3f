"""What makes the chapter run on the current stack (environment-current.yml): d2l_ext installs into an environment
without changing its frameworks, names the remedy when d2l is missing, and gives TensorFlow >= 2.16 Keras 2."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from d2l_ext import compat

ROOT = Path(__file__).resolve().parent.parent
# what a student's environment already has and `pip install d2l_ext` must leave as it is
PROTECTED = {"torch", "torchvision", "tensorflow", "tf-keras", "keras", "numpy", "matplotlib"}
# the chapter's TensorFlow tab reads optimizer.lr, which Keras 3 optimizers do not have
READS_LR = (
    "from d2l_ext import tensorflow as d2l; import tensorflow as tf; "
    "print(tf.keras.optimizers.SGD(learning_rate=0.25).lr.numpy())"
)
needs_tf_keras = pytest.mark.skipif(
    importlib.util.find_spec("tf_keras") is None, reason="TensorFlow 2.15 (pinned lane) has Keras 2 built in"
)


def python(code, **env):
    """Run code in a fresh interpreter of this environment, with `env` over os.environ (None removes a name)."""
    merged = {k: v for k, v in {**os.environ, **env}.items() if v is not None}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=merged, capture_output=True, text=True, timeout=300
    )


def test_installing_the_project_here_changes_no_framework_numpy_or_matplotlib(tmp_path):
    report = tmp_path / "report.json"
    spec = f"{ROOT}[torch,tensorflow]"
    args = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--report", str(report), spec]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    changed = {item["metadata"]["name"].lower() for item in json.loads(report.read_text())["install"]}
    assert changed & PROTECTED == set()
    assert "d2l" not in changed


def test_a_missing_d2l_is_an_error_naming_the_install_without_its_pins(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "d2l" else real(name, *a))
    with pytest.raises(ImportError, match=r"pip install --no-deps d2l==1\.0\.3"):
        compat.require_d2l()


def test_the_tensorflow_drop_in_gives_keras_2_with_optimizer_lr():
    done = python(READS_LR, TF_USE_LEGACY_KERAS=None, TF_CPP_MIN_LOG_LEVEL="3")
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["0.25"]


def test_importing_the_tensorflow_drop_in_writes_no_log_line_to_stderr():
    done = python("from d2l_ext import tensorflow", TF_USE_LEGACY_KERAS=None, TF_CPP_MIN_LOG_LEVEL=None)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stderr == ""


def test_tensorflow_log_lines_below_the_level_are_dropped_and_all_else_kept(capfd, monkeypatch):
    monkeypatch.setenv(compat.TF_LOG_LEVEL, "2")
    lines = [
        compat.ABSL_NOTICE + "\n",
        "I0000 00:00:1795951059.880075   26353 cudart_stub.cc:31] Could not find cuda drivers on your machine\n",
        "W0000 00:00:1795951059.880075   26353 port.cc:153] a warning\n",
        "E0000 00:00:1795951059.880075   26353 cuda_dnn.cc:8579] an error\n",
        "a line of anything else\n",
    ]
    with compat.tf_log_level_kept():
        for line in lines:
            os.write(2, line.encode())
    assert capfd.readouterr().err == "".join(lines[3:])


@needs_tf_keras
def test_tensorflow_with_keras_3_stops_with_the_remedy():
    done = python(READS_LR, TF_USE_LEGACY_KERAS="0", TF_CPP_MIN_LOG_LEVEL="3")
    assert done.returncode != 0
    assert "gives Keras 3 as tf.keras; the chapter needs Keras 2" in done.stderr
    assert "pip install 'tf-keras==2." in done.stderr
