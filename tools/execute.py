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

from d2l_ext import figures
from tools import notebooks

KERNEL = "python3"
# the kernel's own log (a TCP warning at start, a traceback when stopped mid-cell) is not the notebook's output
KERNEL_QUIET = ["--IPKernelApp.log_level=CRITICAL"]
PROBE = "__import__('d2l_ext.provenance').provenance.describe(settings=True)"  # asked of the kernel after its last cell
METADATA_KEY = "d2l_ext"
EPOCH_LINE = "test acc"  # the line every tab's training figure extends once an epoch
DISPLAYS = ("display_data", "update_display_data")


class Interrupted(Exception):
    """Ctrl-C or SIGTERM during a run; the message says where, and that nothing was written."""


def first_line(source):
    """A cell's first non-empty line, shortened for the progress log."""
    line = next((s for s in source.splitlines() if s.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


def number(value):
    """A plotted value for the progress log (NaN and infinities arrive as strings)."""
    return f"{value:.3f}" if isinstance(value, float) else value


def epoch_report(content, shown):
    """('epoch k/N: train loss .., test acc ..', k) when a displayed figure shows an epoch past `shown`, else None."""
    for axes in content.get("data", {}).get(figures.MIME, {}).get("axes", []):
        lines = figures.named_lines(axes)
        epochs = figures.epochs_with_points(lines[EPOCH_LINE]) if EPOCH_LINE in lines else []
        if epochs and epochs[-1] > shown:
            values = ", ".join(f"{name} {number(line['y'][-1])}" for name, line in lines.items())
            return f"epoch {epochs[-1]}/{round(axes['xlim'][1])}: {values}", epochs[-1]
    return None


class ProgressClient(NotebookClient):
    """nbclient that logs each epoch a training figure shows while its cell still runs."""

    def start_cell(self, log):
        """Log this cell's epochs from now on."""
        self.progress_log, self.cell_start, self.shown = log, time.monotonic(), 0

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's handling of one output message, after logging a new epoch it shows."""
        report = epoch_report(msg["content"], self.shown) if msg["msg_type"] in DISPLAYS else None
        if report:
            text, self.shown = report
            self.progress_log(f"\n    {text} ({time.monotonic() - self.cell_start:.0f} s)", end="", flush=True)
        return super().output(outs, msg, display_id, cell_index)


def language_info(client):
    """The kernel's language_info: JupyterLab writes it into a notebook it opens, marking it modified if different."""
    reply = run_sync(client.async_wait_for_reply)(client.kc.kernel_info())
    return reply["content"]["language_info"]


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
    client = ProgressClient(
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
            nb.metadata["language_info"] = language_info(client)
            for n, index in enumerate(code, 1):
                cell_start, where = time.monotonic(), f"at cell {n}/{len(code)}"
                log(f"[{path.name}] cell {n}/{len(code)}: {first_line(nb.cells[index].source)}", end="", flush=True)
                client.start_cell(log)
                try:
                    client.execute_cell(nb.cells[index], index)
                except CellExecutionError as e:
                    log(f"\n[{path.name}] FAILED at cell {n}/{len(code)} (notebook left unchanged):\n{e}")
                    return False
                end = "\n    cell done" if client.shown else ""
                log(f"{end}  ({time.monotonic() - cell_start:.1f} s, total {time.monotonic() - start:.0f} s)")
            info = probe(client)
    except KeyboardInterrupt:
        raise Interrupted(f"[{path.name}] interrupted {where}: nothing written, the notebook is as it was") from None
    info.update(wall_time_s=round(time.monotonic() - start, 1))
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
