"""binder/ is a class image repo2docker can build (BinderHub, JupyterHub): the pinned environment generated from
environment.yml, Fashion-MNIST from apt, d2l_ext and the kernel installed at build, quick mode on by default."""

import ast
import importlib.metadata
import json
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
from packaging.utils import canonicalize_name

from tools import binder, chapter, pins

ROOT = Path(__file__).resolve().parent.parent


def notebook_imports():
    """The top-level modules the committed notebooks' code imports."""
    names = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                tree = ast.parse(chapter.MAGIC.sub("", cell.source))
                names |= {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
                names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    return names


@pytest.mark.pinned_lane(reason="the class image is the pinned lane's environment, the one with every framework")
def test_the_class_image_pins_what_the_notebooks_import_and_no_development_tool():
    no_deps = [line.split("==")[0] for line in binder.IMAGE_NO_DEPS.read_text().splitlines() if "==" in line]
    image = {canonicalize_name(name) for name in [*pins.pins(binder.IMAGE_ENVIRONMENT), *no_deps]}
    providers = importlib.metadata.packages_distributions()
    wanted = (notebook_imports() | {"d2l"}) - set(sys.stdlib_module_names) - {"d2l_ext"}  # postBuild installs d2l_ext
    missing = [m for m in sorted(wanted) if not {canonicalize_name(d) for d in providers.get(m, [])} & image]
    assert missing == [] and {"torch", "mxnet", "tensorflow", "ipython", "otter-grader"} <= image
    development = {canonicalize_name(name) for name in pins.marked(pins.ENVIRONMENT, "development")}
    assert image & development == set() and "pytest" in development


@pytest.mark.parametrize("script", ["postBuild", "start"])
def test_the_scripts_are_executable_bash_that_parses(script):
    path = ROOT / "binder" / script
    assert os.access(path, os.X_OK) and path.read_text().startswith("#!/usr/bin/env bash\n")
    assert subprocess.run(["bash", "-n", str(path)], capture_output=True, timeout=60).returncode == 0


@pytest.mark.pinned_lane(reason="the class image is the pinned lane's environment")
def test_post_build_installs_d2l_ext_not_editable_registers_the_kernel_and_finds_the_data(repository_copy, real_data):
    image = repository_copy.parent / "image"  # an environment seeing this one's packages, as the image's sees its own
    subprocess.run([sys.executable, "-m", "venv", str(image)], check=True, timeout=120)
    site = next(image.glob("lib/python*/site-packages"))
    (site / "tested-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {**os.environ, "PATH": f"{image / 'bin'}{os.pathsep}{os.environ['PATH']}", "VIRTUAL_ENV": str(image)}
    done = subprocess.run(
        [str(ROOT / "binder" / "postBuild")], cwd=repository_copy, env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert f"Fashion-MNIST in the image: {real_data}" in done.stdout
    assert (site / "d2l_ext" / "__init__.py").exists() and not list(site.glob("__editable__*"))
    kernel = json.loads((image / "share" / "jupyter" / "kernels" / "python3" / "kernel.json").read_text())
    assert kernel["display_name"] == "Python 3 (ipykernel)"


@pytest.mark.parametrize("given,expected", [(None, "1"), ("0", "0")])
def test_start_turns_quick_mode_on_unless_the_deployment_set_it(given, expected):
    env = {k: v for k, v in os.environ.items() if k != "D2L_EXT_QUICK"} | ({"D2L_EXT_QUICK": given} if given else {})
    command = [str(ROOT / "binder" / "start"), sys.executable, "-c", "import os; print(os.environ['D2L_EXT_QUICK'])"]
    assert subprocess.run(command, env=env, capture_output=True, text=True, timeout=60).stdout.strip() == expected


@pytest.mark.pinned_lane(reason="jupyter-repo2docker is one of environment.yml's development pins")
def test_repo2docker_renders_a_build_with_the_data_the_pins_and_our_scripts():
    command = [sys.executable, "-m", "repo2docker", "--no-build", "--no-run", "--debug", str(ROOT)]  # offline
    done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    dockerfile = done.stdout + done.stderr
    assert done.returncode == 0, dockerfile[-3000:]
    assert "apt-get install --yes --no-install-recommends dataset-fashion-mnist" in dockerfile
    assert re.search(r"env update -p \$\{NB_PYTHON_PREFIX\} --file \"binder/environment.yml\"", dockerfile)
    assert "./binder/postBuild" in dockerfile and 'ENTRYPOINT ["/usr/local/bin/repo2docker-entrypoint"' in dockerfile
    assert "binder/start" in dockerfile
