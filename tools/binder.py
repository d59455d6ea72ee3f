"""binder/environment.yml, the environment repo2docker builds a class image from, generated from environment.yml.

repo2docker (what BinderHub and many JupyterHub deployments build images with) reads binder/ before the top level:
binder/environment.yml (generated here: environment.yml's Python and runtime pins, none marked `development`),
apt.txt, postBuild and start (small, hand-written, tested).
"""

from pathlib import Path

import yaml

from d2l_ext.atomic import write_atomic
from tools import pins

BINDER = Path(__file__).resolve().parent.parent / "binder"
IMAGE_ENVIRONMENT = BINDER / "environment.yml"
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


def generate():
    """Write binder/environment.yml."""
    write_atomic(IMAGE_ENVIRONMENT, render())
    print(f"wrote {IMAGE_ENVIRONMENT.relative_to(BINDER.parent)}")


def check():
    """Lines naming a drift of binder/environment.yml from environment.yml (empty when in sync)."""
    have = IMAGE_ENVIRONMENT.read_text(encoding="utf-8") if IMAGE_ENVIRONMENT.exists() else None
    return [] if have == render() else [f"{IMAGE_ENVIRONMENT}: differs from environment.yml"]
