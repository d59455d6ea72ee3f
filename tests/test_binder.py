"""binder/ is a class image repo2docker can build (BinderHub, JupyterHub): the pinned environment generated from
environment.yml, Fashion-MNIST from apt, d2l_ext and the kernel installed at build, quick mode on by default."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tools import binder, pins

ROOT = Path(__file__).resolve().parent.parent
DEBIAN_NAME = re.compile(r"^[a-z0-9][a-z0-9+.-]+$")


def test_the_image_environment_is_environment_yml_with_a_generated_header():
    assert (ROOT / "binder" / "environment.yml").read_text(encoding="utf-8") == binder.render()
    image = yaml.safe_load(binder.render())
    assert pins.pins(binder.IMAGE_ENVIRONMENT) == pins.pins() and "python=3.11.7" in image["dependencies"]


def test_apt_txt_names_valid_packages_and_the_dataset():
    names = [line.strip() for line in (ROOT / "binder" / "apt.txt").read_text().splitlines() if line.strip()]
    assert "dataset-fashion-mnist" in names and all(DEBIAN_NAME.match(n) for n in names), names


@pytest.mark.parametrize("script", ["postBuild", "start"])
def test_the_scripts_are_executable_bash_that_parses(script):
    path = ROOT / "binder" / script
    assert os.access(path, os.X_OK) and path.read_text().startswith("#!/usr/bin/env bash\n")
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True).returncode == 0


def test_post_build_installs_the_package_not_editable_and_registers_the_kernel():
    text = (ROOT / "binder" / "postBuild").read_text()
    assert "set -euo pipefail" in text and "pip install --no-deps --no-cache-dir ." in text and " -e " not in text
    assert "ipykernel install --sys-prefix --name python3" in text


@pytest.mark.parametrize("given,expected", [(None, "1"), ("0", "0")])
def test_start_turns_quick_mode_on_unless_the_deployment_set_it(given, expected):
    env = {k: v for k, v in os.environ.items() if k != "D2L_EXT_QUICK"} | ({"D2L_EXT_QUICK": given} if given else {})
    command = [str(ROOT / "binder" / "start"), sys.executable, "-c", "import os; print(os.environ['D2L_EXT_QUICK'])"]
    assert subprocess.run(command, env=env, capture_output=True, text=True).stdout.strip() == expected


def test_repo2docker_renders_a_build_with_the_data_the_pins_and_our_scripts():
    command = [sys.executable, "-m", "repo2docker", "--no-build", "--no-run", "--debug", str(ROOT)]  # offline
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    dockerfile = done.stdout + done.stderr
    assert done.returncode == 0, dockerfile[-3000:]
    assert "apt-get install --yes --no-install-recommends dataset-fashion-mnist" in dockerfile
    assert re.search(r"env update -p \$\{NB_PYTHON_PREFIX\} --file \"binder/environment.yml\"", dockerfile)
    assert "./binder/postBuild" in dockerfile and 'ENTRYPOINT ["/usr/local/bin/repo2docker-entrypoint"' in dockerfile
    assert "binder/start" in dockerfile
