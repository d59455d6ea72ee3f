"""The chapter's exercises 1 to 4 answered by sweeps of its training (`python -m d2l_ext sweep`, or `run`).

In this process by default; with `ray="auto"` on a local Ray, with `ray="ADDRESS"` on a Ray cluster. Each trial
is a fast-runner run (d2l_ext/fast) of the chapter's LeNet or exercise 3's ResNet-18; exercises.py says what each
exercise varies.
Not imported by the drop-ins, and Ray is imported only when asked for.
"""

import os
from dataclasses import dataclass
from pathlib import Path

from d2l_ext import cpus

cpus.configure()  # before a trial loads torch: threads from the CPU share, short OpenMP spinning

from d2l_ext.sweep import engine, exercises, report  # noqa: E402

FOLDER_NAME = "exercise{number}-{size}"  # one folder per sweep and setting under `out`
# where sweeps given no `out` keep and reuse their trials when set: grading (tools/assignment.py) sets it, so that the
# submissions after the first reuse the identical trials the first trained (their output says "reused from <date>")
ENV_STORE = "D2L_EXT_SWEEP_STORE"


@dataclass
class Result:
    """A finished sweep: one row per grid value, every trial's record, its figure (PNG) and table (Markdown), and the
    folder they were written to (None: kept nowhere)."""

    rows: list
    records: list
    png: bytes
    table: str
    folder: Path = None


def size_name(quick, full_size):
    """A setting's word in folder names: quick (nbval's), subset (the answer key's), full (all data, full width)."""
    return "quick" if quick else "full" if full_size else "subset"


def run(
    number,
    out=None,
    quick=False,
    grid=None,
    epochs=None,
    seeds=None,
    framework="pytorch",
    full_size=False,
    **engine_options,
):
    """Check the grid, train the unfinished trials (engine.run's options: ray, threads, gpus, together), report.

    With `out` (default: $D2L_EXT_SWEEP_STORE), trials, JSON, figure and table go to
    out/exercise<N>-<quick|subset|full>/ and a rerun reuses finished trials; without, nothing is written and every
    trial trains."""
    out = out or os.environ.get(ENV_STORE) or None
    configs = exercises.configs(number, quick, grid, epochs, seeds, framework, full_size)
    folder = Path(out) / FOLDER_NAME.format(number=number, size=size_name(quick, full_size)) if out else None
    records = engine.run(configs, folder, **engine_options)
    rows = report.rows(records)
    result = Result(rows, records, report.draw(number, records, rows), report.table(number, rows), folder)
    if folder is not None:
        report.write(folder, number, rows, result.png, result.table, records)
    return result
