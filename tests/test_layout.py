"""The house: d2l_ext imports only itself and the frameworks, the code is lint-clean, files stay small, and the
package installs alone."""

import ast
import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools import codegen, pins

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 300  # a file a reader can hold in their head (the chapter's code generated into it not counted)
# folder -> the project folders its code must not import (imports point one way: benchmarks -> tools -> d2l_ext)
MUST_NOT_IMPORT = {"d2l_ext": {"tools", "benchmarks", "tests"}, "tools": {"benchmarks", "tests"}}
# the drop-ins whose framework this lane installs (all three in the pinned lane; no MXNet in the current one)
FRAMEWORKS = [f for f in ("mxnet", "torch", "tensorflow") if importlib.util.find_spec(f)]
DROP_INS = f"from d2l_ext import {', '.join(FRAMEWORKS)}"


def python_files(*folders):
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def imported_top_levels(path):
    """The top-level package of every module a file imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("folder", MUST_NOT_IMPORT)
def test_imports_point_one_way(folder):
    wrong = {
        str(p.relative_to(ROOT)): sorted(imported_top_levels(p) & MUST_NOT_IMPORT[folder]) for p in python_files(folder)
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def own_lines(path):
    """A file's lines less its generated sections (the chapter's code, tools/codegen.py)."""
    return len(codegen.SECTION.sub("", path.read_text(encoding="utf-8")).splitlines())


def waits_without_timeout(path):
    """Where a file calls `subprocess.run` (`check_output`, ...) or `.wait()`/`.communicate()` with no timeout."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, timed = node.func.attr, "timeout" in {k.arg for k in node.keywords}
            runs = ast.unparse(node.func.value) == "subprocess" and name in {"run", "check_output", "check_call"}
            if not timed and (runs or name in {"wait", "communicate"} and not node.args):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_every_wait_for_a_subprocess_in_the_tests_has_a_timeout():
    """A hung kernel, server or command fails its test instead of holding CI until its hard limit."""
    assert [hit for path in python_files("tests") for hit in waits_without_timeout(path)] == []


def test_no_python_file_is_over_the_line_budget():
    long = {
        str(p.relative_to(ROOT)): n
        for p in python_files("d2l_ext", "tools", "benchmarks", "tests")
        if (n := own_lines(p)) > MAX_LINES
    }
    assert long == {}


def applicable(requirements):
    """The requirements whose environment marker holds here (e.g. tf-keras only on Python 3.12+)."""
    return [r for r in map(Requirement, requirements) if r.marker is None or r.marker.evaluate()]


def lane_extras(extras):
    """The extras this lane installs: those each of whose packages its environment file pins (not MXNet in the
    current lane)."""
    pinned = {canonicalize_name(name) for name in pins.pins(pins.lane())}
    return {extra: reqs for extra, reqs in extras.items() if {canonicalize_name(r.name) for r in reqs} <= pinned}


def test_this_lane_satisfies_every_dependency_range_in_pyproject_for_the_extras_it_pins():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = lane_extras({name: applicable(reqs) for name, reqs in project["optional-dependencies"].items()})
    assert {"torch", "tensorflow", "test"} <= set(extras)
    unmet = [
        f"{r} (installed {v})"
        for r in applicable(project["dependencies"]) + [r for reqs in extras.values() for r in reqs]
        if (v := importlib.metadata.version(r.name)) not in r.specifier
    ]
    assert unmet == []


@pytest.mark.parametrize("args", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_the_code_is_lint_clean_and_formatted(args):
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *args, "."], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-1000:]


def pip(*args):
    subprocess.run([sys.executable, "-m", "pip", *args, "-q"], check=True, capture_output=True, timeout=300)


def test_the_wheel_holds_d2l_ext_alone_and_its_drop_ins_import_without_the_repository(tmp_path):
    source = tmp_path / "source"  # a copy: building in the checkout would leave build/ and egg-info behind
    shutil.copytree(ROOT / "d2l_ext", source / "d2l_ext", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    pip("wheel", "--no-deps", "--no-build-isolation", "-w", str(tmp_path), str(source))
    (wheel,) = tmp_path.glob("d2l_ext-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if ".dist-info/" not in n} == {"d2l_ext"}
    assert "d2l_ext/fast/pytorch.py" in names
    site = tmp_path / "site"
    pip("install", "--no-deps", "--target", str(site), str(wheel))
    code = f"import d2l_ext; {DROP_INS}; print(d2l_ext.__file__)"
    env = {**os.environ, "PYTHONPATH": str(site)}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == str(site / "d2l_ext" / "__init__.py")
