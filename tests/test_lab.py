"""`make lab` serves the notebooks on 127.0.0.1 with a token, as root too (containers, class servers)."""

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from tests.lab_browser import free_port

ROOT = Path(__file__).resolve().parent.parent
START_S = 90


def test_make_lab_serves_on_localhost_with_a_token():
    port = free_port()
    command = ["make", "--no-print-directory", "lab", f"LAB_FLAGS=--no-browser --port={port}"]
    lab = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    log, deadline = "", time.monotonic() + START_S
    try:
        while time.monotonic() < deadline and lab.poll() is None:
            log += lab.stdout.readline()
            if re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=\w+", log):
                break
        assert re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=\w+", log), log[-3000:]
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=30)
