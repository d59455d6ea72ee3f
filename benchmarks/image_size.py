"""`python -m benchmarks.image_size`: what the class image leaves out of the tested environment, and its size.

The distributions installed here that binder/environment.yml's pins (runtime only) and d2l do not reach through
their requirements (extras followed, markers evaluated here), largest first, and their bytes on disk.
"""

import importlib.metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools import binder, pins

OURS = {"d2l-ext", "pip", "setuptools"}  # postBuild installs d2l_ext; pip and setuptools come with any environment


def installed():
    """The installed distributions, by canonical name."""
    return {canonicalize_name(d.metadata["Name"]): d for d in importlib.metadata.distributions()}


def reached(roots, dists):
    """The names `roots` require here, directly or not, with their extras' requirements."""
    seen, todo = set(), [(canonicalize_name(name), "") for name in roots]
    while todo:
        name, extra = todo.pop()
        if (name, extra) in seen or name not in dists:
            continue
        seen.add((name, extra))
        for line in dists[name].requires or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": extra}):
                todo += [(canonicalize_name(req.name), e) for e in {"", *req.extras}]
    return {name for name, _ in seen}


def size(dist):
    """Bytes of a distribution's installed files."""
    return sum(dist.locate_file(f).stat().st_size for f in dist.files or [] if dist.locate_file(f).is_file())


def main():
    dists = installed()
    left_out = set(dists) - reached([*pins.pins(binder.IMAGE_ENVIRONMENT), "d2l"], dists) - OURS
    sizes = sorted(((size(dists[name]), name) for name in left_out), reverse=True)
    total = sum(size(d) for d in dists.values())
    print(f"{len(sizes)} distributions left out, {sum(s for s, _ in sizes) / 1e6:.0f} MB of {total / 1e6:.0f} MB")
    large = [f"{name} {s / 1e6:.0f} MB" for s, name in sizes if s >= 1e6]
    print(", ".join(large) + f" and {len(sizes) - len(large)} under 1 MB")


if __name__ == "__main__":
    main()
