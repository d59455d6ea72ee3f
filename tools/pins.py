"""`python -m tools.pins [FILE] [--no-deps | --runtime | --interpreter]`: what a lane's environment file pins.

Three lanes: environment.yml (pinned, the default), environment-current.yml (the newest releases) and
environment-colab.yml (Google Colab's runtime). Each is a conda environment file
read with PyYAML: `python=X.Y` and a pip list of `name==version` pins, plus a `d2l_ext` section of names (conda
ignores it, saying so) marking pins `development` (the tested environment only, not the class image) or `no-deps`
(printed only with --no-deps, for `pip install --no-deps -r`: pip has no per-requirement --no-deps).
"""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT = ROOT / "environment.yml"
CURRENT = ROOT / "environment-current.yml"
COLAB = ROOT / "environment-colab.yml"
LANES = (ENVIRONMENT, CURRENT, COLAB)
MARKS = ("development", "no-deps")
PYENV_VERSIONS = Path("~/.pyenv/versions").expanduser()


class PinError(ValueError):
    """An environment file this module cannot read as pins; the message names the file and the entry."""


def load(path):
    """The environment file as YAML data."""
    try:
        import yaml
    except ImportError:
        sys.exit("error: tools/pins.py reads environment files with PyYAML: apt-get install python3-yaml (Debian)")
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def dependencies(path):
    """(the conda dependency strings, the pip list) of an environment file."""
    deps = load(path).get("dependencies") or []
    pip = [d["pip"] for d in deps if isinstance(d, dict) and "pip" in d]
    if len(pip) != 1:
        raise PinError(f"{path}: needs exactly one `- pip:` list under dependencies, found {len(pip)}")
    return [d for d in deps if isinstance(d, str)], pip[0]


def pins(path=ENVIRONMENT):
    """Name -> version for every pip pin; anything but `name==version` is an error naming it."""
    found = {}
    for entry in dependencies(path)[1]:
        name, sep, version = str(entry).partition("==")
        if not sep or not name.strip() or not version.strip() or any(c in name + version for c in "<>=!~; "):
            raise PinError(f"{path}: {entry!r} is not of the form `name==version`")
        found[name.strip()] = version.strip()
    return found


def marked(path, mark):
    """The pinned names the file's `d2l_ext` section marks `mark` (one of MARKS); an unpinned name is an error."""
    names = set((load(path).get("d2l_ext") or {}).get(mark) or [])
    unpinned = sorted(names - set(pins(path)))
    if unpinned:
        raise PinError(f"{path}: d2l_ext.{mark} names {', '.join(unpinned)}, which the pip list does not pin")
    return names


def python_version(path=ENVIRONMENT):
    """The Python version an environment file asks for, e.g. '3.11.7'."""
    versions = [d.split("=", 1)[1] for d in dependencies(path)[0] if d.startswith("python=")]
    if len(versions) != 1:
        raise PinError(f"{path}: needs one `- python=X.Y` dependency, found {len(versions)}")
    return versions[0]


def lane(version=sys.version_info):
    """The environment file of the lane for this Python: the lane of its X.Y, else the current lane for a newer one."""
    running = tuple(version[:2])
    lanes = {tuple(int(p) for p in python_version(path).split(".")[:2]): path for path in LANES}
    if running in lanes:
        return lanes[running]
    if running > max(lanes):  # the current lane's pins, the newest releases, install on newer Pythons too
        return CURRENT
    raise LookupError(f"no lane runs on Python {running[0]}.{running[1]}: {', '.join(p.name for p in LANES)}")


def requirements(path, with_no_deps=False, runtime_only=False):
    """`name==version` lines: the no-deps pins when `with_no_deps`, else the others (less development's if asked)."""
    skip, dev = marked(path, "no-deps"), marked(path, "development") if runtime_only else set()
    chosen = {n: v for n, v in pins(path).items() if (n in skip) == with_no_deps and n not in dev}
    return "".join(f"{n}=={v}\n" for n, v in chosen.items())


def interpreter(path, search=None):
    """A Python of the file's X.Y that runs: python<X.Y> on the PATH, else pyenv's; SystemExit with the remedy."""
    minor = ".".join(python_version(path).split(".")[:2])
    pyenv = sorted(PYENV_VERSIONS.glob(f"{minor}.*/bin/python{minor}"))
    candidates = [shutil.which(f"python{minor}", path=search)] + pyenv
    for candidate in filter(None, candidates):
        if subprocess.run([str(candidate), "-c", "pass"], capture_output=True, timeout=60).returncode == 0:
            return str(candidate)
    sys.exit(
        f"error: Python {minor} not found ({Path(path).name}). Install it (pyenv install {minor}; Debian/Ubuntu: "
        f"apt-get install python{minor}-venv) and rerun, or pass its path as PYTHON_CURRENT=/path/to/python{minor}"
    )


def main(argv):
    """Print what argv asks of the file named in it (default environment.yml)."""
    files = [a for a in argv if not a.startswith("--")]
    path = files[0] if files else ENVIRONMENT
    try:
        if "--interpreter" in argv:
            print(interpreter(path))
        else:
            sys.stdout.write(requirements(path, "--no-deps" in argv, "--runtime" in argv))
    except PinError as e:
        sys.exit(f"error: {e}")


if __name__ == "__main__":
    main(sys.argv[1:])
