"""d2l_ext.schedulers behaves exactly like the chapter's own classes, statefulness included."""

import math

import pytest

from d2l_ext import schedulers
from tools import chapter, codegen

STEPS = 60
# name -> constructor arguments the chapter uses (and a few more)
CASES = [
    ("SquareRootScheduler", dict(lr=0.1)),
    ("FactorScheduler", dict(factor=0.9, stop_factor_lr=1e-2, base_lr=2.0)),
    ("MultiFactorScheduler", dict(step=[15, 30], factor=0.5, base_lr=0.5)),
    ("CosineScheduler", dict(max_update=20, base_lr=0.3, final_lr=0.01)),
    ("CosineScheduler", dict(max_update=20, warmup_steps=5, base_lr=0.3, final_lr=0.01)),
]


def chapter_class(name):
    """The class as the chapter's markdown defines it, executed afresh."""
    for cell in chapter.read_chapter():
        if cell.kind == "code":
            source = codegen.definitions(cell.source).get(name)
            if source:
                namespace = {"math": math}
                exec(source, namespace)  # noqa: S102  the chapter's own code, from notebooks/lr-scheduler.md
                return namespace[name]
    raise AssertionError(f"{name} is not defined in the chapter")


@pytest.mark.parametrize("name,kwargs", CASES)
def test_values_equal_the_chapter_classes_step_by_step(name, kwargs):
    ours, theirs = getattr(schedulers, name)(**kwargs), chapter_class(name)(**kwargs)
    steps = list(range(STEPS)) + [3, 0, 25, 25]  # out of order too: the state must evolve the same way
    assert [ours(t) for t in steps] == [theirs(t) for t in steps]


def test_the_chapter_classes_are_stateful_as_written():
    factor = schedulers.FactorScheduler(factor=0.5, stop_factor_lr=1e-3, base_lr=1.0)
    assert [factor(0), factor(0)] == [0.5, 0.25]  # every call decays, whatever the step
