"""`python -m tools.execute NB...`: run notebooks in place with progress; write only a clean run."""

import ast
import json
import signal
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbclient.util import run_sync

from d2l_ext.data import quick_mode
from tools import notebooks

KERNEL = "python3"
# the kernel's own log (a TCP warning at start, a traceback when stopped mid-cell) is not the notebook's output
KERNEL_QUIET = ["--IPKernelApp.log_level=CRITICAL"]
PROBE = "__import__('d2l_ext.machine').machine.describe()"  # asked of the kernel after the last cell
METADATA_KEY = "d2l_ext"


class Interrupted(Exception):
    """Ctrl-C or SIGTERM during a run; the message says where, and that nothing was written."""


def first_line(source):
    """A cell's first non-empty line, shortened for the progress log."""
    line = next((s for s in source.splitlines() if s.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


def probe(client):
    """Device, versions and host, as the kernel that ran the notebook sees them."""
    reply = run_sync(client.kc.execute_interactive)("", silent=True, user_expressions={"info": PROBE}, timeout=60)
    info = reply["content"]["user_expressions"]["info"]
    if info.get("status") != "ok":
        return {"device": f"unknown ({info.get('ename')}: {info.get('evalue')})"}
    return json.loads(ast.literal_eval(info["data"]["text/plain"]))  # the repr of describe()'s JSON string


def run(path, log=print):
    """Execute one notebook top to bottom; on success write it with run metadata, else leave it as is."""
    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=None,
        kernel_name=KERNEL,
        resources={"metadata": {"path": str(path.parent)}},
        extra_arguments=KERNEL_QUIET,
    )
    code = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    start, where = time.monotonic(), "while starting the kernel"
    try:
        with client.setup_kernel():  # on any exit, Ctrl-C included, it shuts the kernel down and removes its files
            for n, index in enumerate(code, 1):
                cell_start, where = time.monotonic(), f"at cell {n}/{len(code)}"
                log(f"[{path.name}] cell {n}/{len(code)}: {first_line(nb.cells[index].source)}", end="", flush=True)
                try:
                    client.execute_cell(nb.cells[index], index)
                except CellExecutionError as e:
                    log(f"\n[{path.name}] FAILED at cell {n}/{len(code)} (notebook left unchanged):\n{e}")
                    return False
                log(f"  ({time.monotonic() - cell_start:.1f} s, total {time.monotonic() - start:.0f} s)")
            info = probe(client)
    except KeyboardInterrupt:
        raise Interrupted(f"[{path.name}] interrupted {where}: nothing written, the notebook is as it was") from None
    info.update(wall_time_s=round(time.monotonic() - start, 1), quick_mode=quick_mode())
    nb.metadata[METADATA_KEY] = {"execution": info}
    notebooks.write(nb, path)
    log(f"[{path.name}] done in {info['wall_time_s']} s on {info['device']}")
    return True


def main(paths):
    """Run each notebook given (default: all three); exit 1 if any failed, 130 when interrupted."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM ends a run as Ctrl-C does
    paths = paths or [notebooks.notebook_path(tab) for tab in notebooks.chapter.TABS]
    try:
        results = [run(p) for p in paths]
    except Interrupted as e:
        print(f"\n{e}", file=sys.stderr)
        return 130
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
