"""The one way this project writes a file: a unique temporary file beside it, then a rename (framework-free)."""

import os
import tempfile
from pathlib import Path


def write_atomic(path, content):
    """Write `content` (bytes or str, UTF-8) to `path` so that readers see the old file or the new one, never half."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return path
