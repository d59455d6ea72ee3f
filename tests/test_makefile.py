"""The Makefile's set-up stops early, with the problem and the remedy, before it writes a half-built venv."""

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def make_venv(tmp_path, *overrides):
    """`make venv` into a venv under tmp_path, with variable overrides."""
    args = ["make", "--no-print-directory", "-C", str(ROOT), "venv", f"VENV={tmp_path / 'venv'}", *overrides]
    return subprocess.run(args, capture_output=True, text=True, timeout=60)


def test_a_missing_python_stops_with_the_install_command(tmp_path):
    done = make_venv(tmp_path, "PYTHON=/nonexistent/python3.11")
    assert done.returncode != 0
    assert "Python 3.11 not found" in done.stderr and "apt-get install python3.11" in done.stderr
    assert not (tmp_path / "venv").exists()


def test_too_little_disk_stops_before_the_venv_is_made(tmp_path):
    done = make_venv(tmp_path, "VENV_FREE_GB=1000000")
    assert done.returncode != 0
    assert "needs about 1000000 GB free" in done.stderr and "TMPDIR" in done.stderr
    assert not (tmp_path / "venv").exists()
