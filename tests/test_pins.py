"""environment.yml is the one list of pins, and the running environment installs exactly those."""

import importlib.metadata
import sys

from tools import pins


def test_environment_yml_pins_what_the_chapter_needs():
    wanted = {
        "mxnet": "1.9.1",
        "torch": "2.14.1",
        "torchvision": "0.29.1",
        "tensorflow": "2.15.1",
        "numpy": "1.23.5",
        "d2l": "1.0.3",
    }
    found = pins.pins()
    assert {name: found.get(name) for name in wanted} == wanted
    assert {"nbval", "pytest", "ipykernel", "jupyterlab"} <= set(found)
    assert pins.python_version() == "3.11.7"


def test_installed_versions_agree_with_environment_yml():
    installed = {name: importlib.metadata.version(name) for name in pins.pins()}
    assert installed == pins.pins()
    # 3.11 needed; another 3.11.x works, but its kernel rewrites each notebook's language_info on opening
    assert sys.version_info[:2] == tuple(int(p) for p in pins.python_version().split(".")[:2])


def test_a_malformed_pin_line_is_an_error(tmp_path):
    env = tmp_path / "environment.yml"
    env.write_text("dependencies:\n  - python=3.11\n  - pip:\n      - torch>=2\n")
    try:
        pins.pins(env)
    except ValueError as e:
        assert "'- torch>=2' is not of the form" in str(e)
    else:
        raise AssertionError("a range instead of a pin was accepted")
