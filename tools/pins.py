"""`python -m tools.pins [FILE] [--no-deps]`: pip requirements from a lane's environment file (framework-free).

Two lanes: environment.yml (pinned, the default) and environment-current.yml. Pins whose line says `# no-deps`
are printed only with --no-deps, for `pip install --no-deps -r` (pip has no per-requirement --no-deps).
"""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT = ROOT / "environment.yml"
CURRENT = ROOT / "environment-current.yml"
LANES = (ENVIRONMENT, CURRENT)
PIP_SECTION = re.compile(r"^(?P<indent>\s*)- pip:\s*$")
PIN = re.compile(r"^\s*-\s+(?P<name>[A-Za-z0-9_.\-]+)==(?P<version>[^\s#]+)\s*(#\s*(?P<comment>.*))?$")
NO_DEPS = "no-deps"
PYTHON = re.compile(r"^\s*-\s+python=(?P<version>[\d.]+)\s*(#.*)?$", re.MULTILINE)


def pin_lines(path):
    """The regex match of every `name==version` line of the pip section."""
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    start = next((i for i, line in enumerate(lines) if PIP_SECTION.match(line)), None)
    if start is None:
        raise ValueError(f"{path}: no `- pip:` section")
    indent = len(PIP_SECTION.match(lines[start])["indent"])
    found = []
    for line in lines[start + 1 :]:
        if line.strip() and len(line) - len(line.lstrip()) <= indent:
            break
        match = PIN.match(line)
        if line.strip() and not line.strip().startswith("#") and not match:
            raise ValueError(f"{path}: {line.strip()!r} is not of the form `- name==version`")
        if match:
            found.append(match)
    return found


def pins(path=ENVIRONMENT):
    """Name -> version for every `name==version` line of the pip section."""
    return {m["name"]: m["version"] for m in pin_lines(path)}


def no_deps(path=ENVIRONMENT):
    """The names of the pins to install without their dependencies (their line's comment starts `no-deps`)."""
    return {m["name"] for m in pin_lines(path) if (m["comment"] or "").startswith(NO_DEPS)}


def python_version(path=ENVIRONMENT):
    """The Python version an environment file asks for, e.g. '3.11'."""
    match = PYTHON.search(Path(path).read_text(encoding="utf-8"))
    if match is None:
        raise ValueError(f"{path}: no `- python=X.Y` dependency")
    return match["version"]


def lane(version=sys.version_info):
    """The environment file of the lane for this Python: the lane of its X.Y, else the newest lane for a newer one."""
    running = tuple(version[:2])
    lanes = {tuple(int(p) for p in python_version(path).split(".")[:2]): path for path in LANES}
    if running in lanes:
        return lanes[running]
    if running > max(lanes):  # the current lane is the stack students have: its pins install on 3.13 too
        return lanes[max(lanes)]
    raise LookupError(f"no lane runs on Python {running[0]}.{running[1]}: {', '.join(p.name for p in LANES)}")


def requirements(path, with_no_deps):
    """`name==version` lines: the pins marked no-deps when `with_no_deps`, else all the others."""
    skip = no_deps(path)
    return "".join(f"{n}=={v}\n" for n, v in pins(path).items() if (n in skip) == with_no_deps)


def main(argv):
    """Print the requirements of the file named in argv (default environment.yml)."""
    files = [a for a in argv if a != "--no-deps"]
    sys.stdout.write(requirements(files[0] if files else ENVIRONMENT, "--no-deps" in argv))


if __name__ == "__main__":
    main(sys.argv[1:])
