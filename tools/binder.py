"""binder/environment.yml, the environment repo2docker builds a class image from, generated from environment.yml.

repo2docker (what BinderHub and many JupyterHub deployments build images with) reads binder/ before the top level:
binder/environment.yml (generated here: environment.yml's Python and runtime pins, none marked `development`),
binder/requirements-no-deps.txt (generated: the pins marked `no-deps`, which postBuild installs without their
dependencies), apt.txt, postBuild and start (small, hand-written, tested).
"""

from pathlib import Path

import yaml

from d2l_ext.atomic import write_atomic
from tools import pins

BINDER = Path(__file__).resolve().parent.parent / "binder"
IMAGE_ENVIRONMENT = BINDER / "environment.yml"
IMAGE_NO_DEPS = BINDER / "requirements-no-deps.txt"
HEADER = (
    "# generated from environment.yml by `make notebooks` (tools/binder.py): edit that file, never this one.\n"
    "# What a student's notebooks need; the pins environment.yml marks `development` are left out.\n"
)


def render():
    """binder/environment.yml's text: environment.yml's name, channels, Python and runtime pins, under HEADER."""
    source = pins.load(pins.ENVIRONMENT)
    conda, _ = pins.dependencies(pins.ENVIRONMENT)
    runtime = pins.requirements(pins.ENVIRONMENT, runtime_only=True).split()
    image = {"name": source["name"], "channels": source["channels"], "dependencies": conda + [{"pip": runtime}]}
    return HEADER + yaml.safe_dump(image, sort_keys=False)


def render_no_deps():
    """binder/requirements-no-deps.txt's text: the runtime pins marked `no-deps`, under HEADER."""
    return HEADER + pins.requirements(pins.ENVIRONMENT, with_no_deps=True, runtime_only=True)


RENDERED = {IMAGE_ENVIRONMENT: render, IMAGE_NO_DEPS: render_no_deps}


def generate():
    """Write binder/environment.yml and binder/requirements-no-deps.txt."""
    for path, text in RENDERED.items():
        write_atomic(path, text())
        print(f"wrote {path.relative_to(BINDER.parent)}")


def check():
    """Lines naming a drift of binder's generated files from environment.yml (empty when in sync)."""
    drifted = [p for p, text in RENDERED.items() if not p.exists() or p.read_text(encoding="utf-8") != text()]
    return [f"{path}: differs from environment.yml" for path in drifted]
