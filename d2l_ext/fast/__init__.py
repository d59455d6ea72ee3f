"""The fast runner: the chapter's five runs per framework, one training loop module each (`python -m d2l_ext fast`).

Each module's `chapter_runs` is the chapter's own code after its first cell, generated from notebooks/lr-scheduler.md:
running it with `train` replaced (`settings`) gives every run's settings as the chapter's cells leave them, plotting
cells' side effects included. Not imported by the drop-ins: `from d2l_ext import torch as d2l` never loads it.
"""

import contextlib
import inspect
import io
from types import SimpleNamespace

from d2l_ext import schedulers

RUNS = ("constant", "square_root", "piecewise", "cosine", "cosine_warmup")  # the chapter's `train` calls, in order
NO_PLOTS = SimpleNamespace(plot=lambda *args, **kwargs: None, arange=range)  # what those cells ask of d2l


def settings(chapter_runs, take, **names):
    """{run: take(*args) of its `train` call}: the chapter's cells run with plots skipped and their prints silenced,
    given `names` and what every tab's cells may read alike: the chapter's classes (d2l_ext.schedulers), no data."""
    alike = {"train_iter": None, "test_iter": None, **{name: getattr(schedulers, name) for name in schedulers.__all__}}
    wanted = inspect.signature(chapter_runs).parameters
    names = {name: value for name, value in alike.items() if name in wanted} | names
    taken = []
    with contextlib.redirect_stdout(io.StringIO()):
        chapter_runs(d2l=NO_PLOTS, train=lambda *args, **kwargs: taken.append(take(*args, **kwargs)), **names)
    if len(taken) != len(RUNS):
        raise RuntimeError(f"the chapter trains {len(taken)} times, and d2l_ext.fast names {len(RUNS)} runs: {RUNS}")
    return dict(zip(RUNS, taken))


def epochs_of(rates, num_epochs):
    """The first `num_epochs` of a run's per-epoch rates (all of them for None); more than the chapter's is an error."""
    if num_epochs is not None and not 1 <= num_epochs <= len(rates):
        raise ValueError(f"num_epochs={num_epochs}: the run has {len(rates)} epochs; choose 1 to {len(rates)}")
    return list(rates[:num_epochs])
