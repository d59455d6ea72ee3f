"""d2l_ext.stateless: the chapter's values, whatever the call order, and precise errors (framework-free)."""

import math
import subprocess
import sys

import pytest

from d2l_ext import schedulers
from d2l_ext.stateless import (
    CosineSchedule,
    FactorSchedule,
    MultiFactorSchedule,
    PolynomialDecay,
    PolyScheduler,
    SquareRootSchedule,
)

STEPS = 120
# (ours, the chapter's class with the same arguments): the chapter's settings and a few more
CHAPTER_PAIRS = [
    (SquareRootSchedule, schedulers.SquareRootScheduler, dict(lr=0.1)),
    (FactorSchedule, schedulers.FactorScheduler, dict(factor=0.9, stop_factor_lr=1e-2, base_lr=2.0)),
    (FactorSchedule, schedulers.FactorScheduler, dict(factor=0.97, stop_factor_lr=1e-7, base_lr=0.1)),
    (MultiFactorSchedule, schedulers.MultiFactorScheduler, dict(step=[15, 30], factor=0.5, base_lr=0.5)),
    (MultiFactorSchedule, schedulers.MultiFactorScheduler, dict(step=[0, 7, 60, 99], factor=0.3, base_lr=1.0)),
    (CosineSchedule, schedulers.CosineScheduler, dict(max_update=20, base_lr=0.3, final_lr=0.01)),
    (CosineSchedule, schedulers.CosineScheduler, dict(max_update=20, warmup_steps=5, base_lr=0.3, final_lr=0.01)),
    (
        CosineSchedule,
        schedulers.CosineScheduler,
        dict(max_update=90, warmup_steps=10, base_lr=0.5, final_lr=0.0, warmup_begin_lr=0.05),
    ),
]
ALL_OURS = [ours(**kwargs) for ours, _, kwargs in CHAPTER_PAIRS] + [
    PolyScheduler(50, base_lr=0.2, pwr=2, final_lr=0.01, warmup_steps=5, warmup_begin_lr=0.02),
    PolynomialDecay.spanning(0.01, 0.0001, 10_000, 0.55),
]
# FactorSchedule computes base_lr * factor**(t+1); the chapter multiplies t+1 times: a few ulps apart
FACTOR_REL_TOL = 1e-12


def chapter_values(chapter_class, kwargs, steps=STEPS):
    """What a fresh chapter object returns when called with 0, 1, 2, ... in order."""
    scheduler = chapter_class(**kwargs)
    return [scheduler(t) for t in range(steps)]


@pytest.mark.parametrize("ours,chapter_class,kwargs", CHAPTER_PAIRS)
def test_each_schedule_equals_the_chapter_class_called_in_order(ours, chapter_class, kwargs):
    mine, theirs = [ours(**kwargs)(t) for t in range(STEPS)], chapter_values(chapter_class, kwargs)
    if ours is FactorSchedule:
        assert all(math.isclose(a, b, rel_tol=FACTOR_REL_TOL) for a, b in zip(mine, theirs))
    else:
        assert mine == theirs  # bit for bit


@pytest.mark.parametrize("schedule", ALL_OURS, ids=repr)
def test_a_stateless_schedule_gives_the_same_value_in_any_order_and_on_repeat(schedule):
    forward = [schedule(t) for t in range(STEPS)]
    backward = [schedule(t) for t in reversed(range(STEPS))][::-1]
    assert forward == backward == [schedule(t) for t in range(STEPS)]
    assert [schedule(7), schedule(7), schedule(0), schedule(7)] == [forward[7], forward[7], forward[0], forward[7]]


def test_the_chapter_factor_scheduler_decays_on_every_call_whatever_the_step():
    chapter = schedulers.FactorScheduler(factor=0.5, stop_factor_lr=1e-3, base_lr=1.0)
    assert [chapter(0), chapter(0), chapter(0)] == [0.5, 0.25, 0.125]
    assert [FactorSchedule(factor=0.5, stop_factor_lr=1e-3, base_lr=1.0)(0) for _ in range(3)] == [0.5] * 3


def test_the_chapter_multi_factor_scheduler_decays_again_when_a_milestone_is_repeated():
    chapter = schedulers.MultiFactorScheduler(step=[15, 30], factor=0.5, base_lr=0.5)
    assert [chapter(15), chapter(15), chapter(0)] == [0.25, 0.125, 0.125]
    ours = MultiFactorSchedule(step=[15, 30], factor=0.5, base_lr=0.5)
    assert [ours(15), ours(15), ours(0)] == [0.25, 0.25, 0.5]


def test_the_chapter_cosine_scheduler_past_max_update_returns_the_last_value_it_computed():
    kwargs = dict(max_update=20, base_lr=0.3, final_lr=0.01)
    with pytest.raises(AttributeError):  # never called within max_update: no value set yet
        schedulers.CosineScheduler(**kwargs)(25)
    chapter = schedulers.CosineScheduler(**kwargs)
    at_10 = chapter(10)
    assert chapter(25) == at_10 != 0.01  # plotted up to step 10 only: stuck there
    assert CosineSchedule(**kwargs)(25) == 0.01  # ours clamps to final_lr


def test_the_chapter_square_root_scheduler_is_already_stateless():
    chapter = schedulers.SquareRootScheduler(lr=0.1)
    assert [chapter(3), chapter(3), chapter(0)] == [0.05, 0.05, 0.1] == [SquareRootSchedule(0.1)(t) for t in (3, 3, 0)]


def test_cosine_clamps_to_final_lr_after_max_update():
    cosine = CosineSchedule(max_update=20, base_lr=0.3, final_lr=0.01, warmup_steps=5)
    assert [cosine(t) for t in (20, 21, 1000)] == [0.01] * 3


def test_poly_warms_up_then_decays_to_final_lr_and_stays_there():
    poly = PolyScheduler(20, base_lr=0.4, pwr=2, final_lr=0.1, warmup_steps=4, warmup_begin_lr=0.2)
    assert [poly(t) for t in range(5)] == pytest.approx([0.2, 0.25, 0.3, 0.35, 0.4], rel=1e-15)
    assert poly(12) == pytest.approx(0.1 + 0.3 * 0.5**2, rel=1e-15)
    assert [poly(t) for t in (20, 21, 10**6)] == [0.1] * 3


def test_poly_constant_warmup_holds_warmup_begin_lr():
    poly = PolyScheduler(10, base_lr=0.4, warmup_steps=3, warmup_begin_lr=0.05, warmup_mode="constant")
    assert [poly(t) for t in range(4)] == [0.05, 0.05, 0.05, 0.4]


def test_polynomial_decay_spans_the_sgld_papers_step_sizes_and_is_the_square_root_at_gamma_one_half():
    paper = PolynomialDecay.spanning(0.01, 0.0001, 10_000, 0.55)  # Welling and Teh: 0.01 to 0.0001 over the run
    assert paper(0) == pytest.approx(0.01, rel=1e-12) and paper(10_000) == pytest.approx(0.0001, rel=1e-12)
    assert all(paper(t) > paper(t + 1) for t in range(0, 10_000, 997))
    root, chapter = PolynomialDecay(a=0.1, b=1, gamma=0.5), SquareRootSchedule(lr=0.1)
    assert [root(t) for t in range(50)] == pytest.approx([chapter(t) for t in range(50)], rel=1e-15)


def test_factor_schedule_stays_at_stop_factor_lr_once_reached():
    factor = FactorSchedule(factor=0.5, stop_factor_lr=0.1, base_lr=1.0)
    assert [factor(t) for t in range(5)] == [0.5, 0.25, 0.125, 0.1, 0.1]


def test_repr_rebuilds_an_equal_schedule():
    namespace = dict(
        PolyScheduler=PolyScheduler,
        SquareRootSchedule=SquareRootSchedule,
        FactorSchedule=FactorSchedule,
        MultiFactorSchedule=MultiFactorSchedule,
        CosineSchedule=CosineSchedule,
        PolynomialDecay=PolynomialDecay,
    )
    for schedule in ALL_OURS:
        rebuilt = eval(repr(schedule), namespace)  # noqa: S307  our own repr
        assert [rebuilt(t) for t in range(STEPS)] == [schedule(t) for t in range(STEPS)]


BAD_ARGUMENTS = [  # (class, arguments, the argument the message must name, words it must say)
    (PolynomialDecay, dict(a=0, b=1, gamma=0.55), "a=0", "> 0"),
    (PolynomialDecay, dict(a=1, b=-1, gamma=0.55), "b=-1", "> 0"),
    (PolynomialDecay.spanning, dict(first=0.01, last=0.02, steps=10, gamma=0.55), "last=0.02", "< first=0.01"),
    (PolynomialDecay.spanning, dict(first=0.01, last=0.001, steps=0, gamma=0.55), "steps=0", ">= 1"),
    (SquareRootSchedule, dict(lr=0), "lr=0", "> 0"),
    (SquareRootSchedule, dict(lr=-0.1), "lr=-0.1", "> 0"),
    (SquareRootSchedule, dict(lr=float("inf")), "lr=inf", "> 0"),
    (CosineSchedule, dict(max_update=20, base_lr=float("nan")), "base_lr=nan", "> 0"),
    (SquareRootSchedule, dict(lr="0.1"), "lr='0.1'", "> 0"),
    (FactorSchedule, dict(factor=1.5), "factor=1.5", "must be in (0, 1]"),
    (FactorSchedule, dict(factor=0), "factor=0", "must be in (0, 1]"),
    (FactorSchedule, dict(base_lr=0), "base_lr=0", "> 0"),
    (FactorSchedule, dict(stop_factor_lr=-1e-7), "stop_factor_lr=-1e-07", ">= 0"),
    (FactorSchedule, dict(stop_factor_lr=0.5, base_lr=0.1), "stop_factor_lr=0.5", "<= base_lr=0.1"),
    (MultiFactorSchedule, dict(step=[15, 15], factor=0.5, base_lr=0.5), "step=[15, 15]", "strictly increasing"),
    (MultiFactorSchedule, dict(step=[30, 15], factor=0.5, base_lr=0.5), "step=[30, 15]", "strictly increasing"),
    (MultiFactorSchedule, dict(step=[-1, 15], factor=0.5, base_lr=0.5), "step[0]=-1", ">= 0"),
    (MultiFactorSchedule, dict(step=[1.5], factor=0.5, base_lr=0.5), "step[0]=1.5", "whole number"),
    (MultiFactorSchedule, dict(step=15, factor=0.5, base_lr=0.5), "step=15", "sequence"),
    (MultiFactorSchedule, dict(step=[15], factor=2, base_lr=0.5), "factor=2", "must be in (0, 1]"),
    (MultiFactorSchedule, dict(step=[15], factor=0.5, base_lr=-1), "base_lr=-1", "> 0"),
    (CosineSchedule, dict(max_update=0), "max_update=0", ">= 1"),
    (CosineSchedule, dict(max_update=20.5), "max_update=20.5", "whole number"),
    (CosineSchedule, dict(max_update=20, base_lr=0), "base_lr=0", "> 0"),
    (CosineSchedule, dict(max_update=20, final_lr=-0.01), "final_lr=-0.01", ">= 0"),
    (CosineSchedule, dict(max_update=20, base_lr=0.1, final_lr=0.2), "final_lr=0.2", "<= base_lr=0.1"),
    (CosineSchedule, dict(max_update=20, warmup_steps=20), "warmup_steps=20", "< max_update=20"),
    (CosineSchedule, dict(max_update=20, warmup_steps=-1), "warmup_steps=-1", ">= 0"),
    (CosineSchedule, dict(max_update=20, warmup_steps=5, warmup_begin_lr=-0.1), "warmup_begin_lr=-0.1", ">= 0"),
    (
        CosineSchedule,
        dict(max_update=20, base_lr=0.1, warmup_steps=5, warmup_begin_lr=0.2),
        "warmup_begin_lr=0.2",
        "<= base_lr=0.1",
    ),
    (PolyScheduler, dict(max_update=0), "max_update=0", ">= 1"),
    (PolyScheduler, dict(max_update=10, base_lr=0), "base_lr=0", "> 0"),
    (PolyScheduler, dict(max_update=10, pwr=0), "pwr=0", "> 0"),
    (PolyScheduler, dict(max_update=10, final_lr=-1), "final_lr=-1", ">= 0"),
    (PolyScheduler, dict(max_update=10, base_lr=0.1, final_lr=0.2), "final_lr=0.2", "<= base_lr=0.1"),
    (PolyScheduler, dict(max_update=10, warmup_steps=11), "warmup_steps=11", "< max_update=10"),
    (PolyScheduler, dict(max_update=10, warmup_steps=2, warmup_begin_lr=-0.1), "warmup_begin_lr=-0.1", ">= 0"),
    (
        PolyScheduler,
        dict(max_update=10, warmup_steps=2, warmup_mode="cosine"),
        "warmup_mode='cosine'",
        "linear, constant",
    ),
]


@pytest.mark.parametrize(
    "cls,kwargs,named,rule", BAD_ARGUMENTS, ids=[f"{c.__name__}-{n}" for c, _, n, _ in BAD_ARGUMENTS]
)
def test_a_bad_argument_raises_value_error_naming_it(cls, kwargs, named, rule):
    with pytest.raises(ValueError) as error:
        cls(**kwargs)
    assert str(error.value).startswith(f"{named}: ") and rule in str(error.value)


@pytest.mark.parametrize("schedule", ALL_OURS, ids=repr)
def test_a_negative_step_raises_value_error_naming_it(schedule):
    with pytest.raises(ValueError, match=r"^step=-1: must be >= 0$"):
        schedule(-1)


def test_importing_stateless_and_adapters_or_a_refused_adaptation_loads_no_framework():
    """A framework loaded by a refused call would be loaded before the drop-in set it up (TensorFlow: its Keras)."""
    code = (
        "import sys, d2l_ext.stateless, d2l_ext.adapters as a\n"
        "for adapt in (a.to_keras_schedule, a.to_keras_callback, a.to_mxnet, lambda s: a.to_torch(s, None)):\n"
        "    try:\n        adapt(0.1)\n    except TypeError:\n        pass\n"
        "print(sorted({'torch', 'tensorflow', 'mxnet', 'numpy'} & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout
    assert out.strip() == "[]"
