"""The pinned pip requirements, read from environment.yml's pip section (framework-free, no YAML library)."""

import re
import sys
from pathlib import Path

ENVIRONMENT = Path(__file__).resolve().parent.parent / "environment.yml"
PIP_SECTION = re.compile(r"^(?P<indent>\s*)- pip:\s*$")
PIN = re.compile(r"^\s*-\s+(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>[^\s#]+)\s*(#.*)?$")
PYTHON = re.compile(r"^\s*-\s+python=(?P<version>[\d.]+)\s*(#.*)?$", re.MULTILINE)


def pins(path=ENVIRONMENT):
    """Name -> version for every `name==version` line of the pip section."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if PIP_SECTION.match(line)), None)
    if start is None:
        raise ValueError(f"{path}: no `- pip:` section")
    indent = len(PIP_SECTION.match(lines[start])["indent"])
    found = {}
    for line in lines[start + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        match = PIN.match(line)
        if line.strip() and not line.strip().startswith("#") and not match:
            raise ValueError(f"{path}: {line.strip()!r} is not of the form `- name==version`")
        if match:
            found[match["name"]] = match["version"]
    return found


def python_version(path=ENVIRONMENT):
    """The Python version environment.yml asks for, e.g. '3.11'."""
    match = PYTHON.search(Path(path).read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{path}: no `- python=X.Y` dependency")
    return match["version"]


if __name__ == "__main__":
    sys.stdout.write("".join(f"{name}=={version}\n" for name, version in pins().items()))
