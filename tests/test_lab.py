"""`make lab` serves the notebooks on 127.0.0.1 with a token, as root too (containers, class servers)."""

import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.lab_browser import free_port

ROOT = Path(__file__).resolve().parent.parent
START_S = 90


@pytest.mark.pinned_lane(reason="`make lab` serves the pinned lane's .venv, and would build it")
def test_make_lab_serves_on_localhost_with_a_token():
    port = free_port()
    command = ["make", "--no-print-directory", "lab", f"LAB_FLAGS=--no-browser --port={port}"]
    lab = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    log, deadline = "", time.monotonic() + START_S
    try:
        while time.monotonic() < deadline and lab.poll() is None:
            if select.select([lab.stdout], [], [], max(0, deadline - time.monotonic()))[0]:
                log += os.read(lab.stdout.fileno(), 4096).decode(errors="replace")
            if re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=\w+", log):
                break
        assert re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=\w+", log), log[-3000:]
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
