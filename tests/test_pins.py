"""Each lane's environment file is its one list of pins, and the running environment installs exactly those."""

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


def test_environment_current_yml_pins_the_current_stack_and_d2l_without_its_pins():
    found = pins.pins(pins.CURRENT)
    assert int(found["numpy"].split(".")[0]) >= 2
    tensorflow = found["tensorflow"].split(".")[:2]
    assert int(tensorflow[1]) >= 16 and found["tf-keras"].split(".")[:2] == tensorflow  # Keras 2 for TF >= 2.16
    assert {"torch", "torchvision", "matplotlib", "jupyterlab", "ipykernel", "nbval", "pytest"} <= set(found)
    assert "mxnet" not in found
    assert found["d2l"] == "1.0.3" and pins.no_deps(pins.CURRENT) == {"d2l"}
    assert pins.python_version(pins.CURRENT) == "3.12"
    assert pins.requirements(pins.CURRENT, with_no_deps=True) == "d2l==1.0.3\n"
    assert "d2l==" not in pins.requirements(pins.CURRENT, with_no_deps=False)


def test_installed_versions_agree_with_this_lanes_environment_file():
    lane = pins.lane()
    installed = {name: importlib.metadata.version(name) for name in pins.pins(lane)}
    assert installed == pins.pins(lane)
    # the minor version is needed; another patch release works, but its kernel rewrites each notebook's
    # language_info on opening
    assert sys.version_info[:2] >= tuple(int(p) for p in pins.python_version(lane).split(".")[:2])


def test_each_python_gets_its_lane_and_a_newer_one_the_current_lane():
    assert pins.lane((3, 11)) == pins.ENVIRONMENT
    assert pins.lane((3, 12)) == pins.lane((3, 13)) == pins.CURRENT


def test_a_python_no_lane_runs_on_is_an_error():
    try:
        pins.lane((3, 9))
    except LookupError as e:
        assert "no lane runs on Python 3.9" in str(e)
    else:
        raise AssertionError("Python 3.9 was given a lane")


def test_a_malformed_pin_line_is_an_error(tmp_path):
    env = tmp_path / "environment.yml"
    env.write_text("dependencies:\n  - python=3.11\n  - pip:\n      - torch>=2\n")
    try:
        pins.pins(env)
    except ValueError as e:
        assert "'- torch>=2' is not of the form" in str(e)
    else:
        raise AssertionError("a range instead of a pin was accepted")
