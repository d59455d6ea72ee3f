"""d2l_ext.atomic.write_atomic, the one writer: readers see the old file or the new one, never half of one."""

import subprocess
import sys

import pytest

from d2l_ext import atomic

WRITES = 200


def test_writes_bytes_or_text_and_makes_the_folder(tmp_path):
    target = tmp_path / "new" / "record.json"
    assert atomic.write_atomic(target, "ü\n") == target and target.read_bytes() == "ü\n".encode()
    atomic.write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01" and [p.name for p in target.parent.iterdir()] == ["record.json"]


def test_an_interrupted_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch):
    target = tmp_path / "notebook.ipynb"
    target.write_text("old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(atomic.os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        atomic.write_atomic(target, "new")
    assert target.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["notebook.ipynb"]


WRITER = """import sys
from d2l_ext.atomic import write_atomic
for _ in range(int(sys.argv[3])):
    write_atomic(sys.argv[1], sys.argv[2].encode() * 50_000)
"""


def test_concurrent_writer_processes_and_a_reader_never_collide_or_see_half_a_file(tmp_path):
    target = tmp_path / "shared.ipynb"
    contents = {name: name.encode() * 50_000 for name in ("a", "b")}  # 50 kB each: a torn read would show
    atomic.write_atomic(target, contents["a"])
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(target), name, str(WRITES)], stderr=subprocess.PIPE)
        for name in contents
    ]
    seen = set()
    while any(w.poll() is None for w in writers):
        seen.add(target.read_bytes())
    errors = [w.stderr.read().decode() for w in writers if w.wait(timeout=300) != 0]
    assert errors == [] and seen <= set(contents.values()) and len(seen) == 2
    assert [p.name for p in tmp_path.iterdir()] == ["shared.ipynb"]
