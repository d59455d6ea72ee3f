"""Each lane's environment file is its one list of pins, and the running environment installs exactly those."""

import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tools import pins


def test_installed_versions_agree_with_this_lanes_environment_file():
    lane = pins.lane()
    installed = {name: importlib.metadata.version(name) for name in pins.pins(lane)}
    assert installed == pins.pins(lane)
    # the minor version is needed; another patch release works, but its kernel rewrites each notebook's
    # language_info on opening
    assert sys.version_info[:2] >= tuple(int(p) for p in pins.python_version(lane).split(".")[:2])


def test_each_python_gets_its_lane_and_a_newer_one_the_current_lane():
    assert pins.lane((3, 11)) == pins.ENVIRONMENT
    assert pins.lane((3, 12)) == pins.lane((3, 14)) == pins.CURRENT
    assert pins.lane((3, 13)) == pins.COLAB


def test_a_python_no_lane_runs_on_is_an_error():
    try:
        pins.lane((3, 9))
    except LookupError as e:
        assert "no lane runs on Python 3.9" in str(e)
    else:
        raise AssertionError("Python 3.9 was given a lane")


def environment(tmp_path, text):
    """An environment file with the given text."""
    path = tmp_path / "environment.yml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "text, refused",
    [
        (
            "dependencies:\n  - python=3.11\n  - pip:\n      - torch>=2\n",
            "'torch>=2' is not of the form `name==version`",
        ),
        ("dependencies:\n  - python=3.11\n", "needs exactly one `- pip:` list under dependencies, found 0"),
        ("dependencies:\n  - pip:\n      - a==1\nd2l_ext:\n  development: [b]\n", "d2l_ext.development names b"),
    ],
    ids=["a range", "no pip list", "an unpinned mark"],
)
def test_a_file_that_is_not_a_list_of_pins_is_an_error_naming_the_entry(tmp_path, text, refused):
    path = environment(tmp_path, text)
    with pytest.raises(pins.PinError, match=re.escape(refused)):
        pins.requirements(path, runtime_only=True)


def test_marked_pins_go_where_they_are_marked_for(tmp_path):
    path = environment(
        tmp_path,
        "dependencies:\n  - python=3.12\n  - pip:\n      - a==1\n      - b==2\n      - c==3\n"
        "d2l_ext:\n  development: [b]\n  no-deps: [c]\n",
    )
    assert pins.requirements(path) == "a==1\nb==2\n" and pins.requirements(path, runtime_only=True) == "a==1\n"
    assert pins.requirements(path, with_no_deps=True) == "c==3\n" and pins.python_version(path) == "3.12"


def test_a_lanes_python_is_found_or_its_absence_named_with_the_install_command(tmp_path, monkeypatch):
    running = ".".join(map(str, sys.version_info[:2]))
    here = environment(tmp_path, f"dependencies:\n  - python={running}\n  - pip:\n      - a==1\n")
    found = pins.interpreter(here, search=str(Path(sys.executable).parent))
    assert subprocess.run([found, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True,
                          timeout=60).stdout.strip() == str(sys.version_info[:2])  # fmt: skip
    monkeypatch.setattr(pins, "PYENV_VERSIONS", tmp_path / "no-pyenv")
    nowhere = environment(tmp_path, "dependencies:\n  - python=3.99\n  - pip:\n      - a==1\n")
    with pytest.raises(SystemExit, match=r"Python 3\.99 not found .*pyenv install 3\.99"):
        pins.interpreter(nowhere, search=str(tmp_path))
