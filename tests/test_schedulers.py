"""d2l_ext.schedulers, generated from the chapter, give the values of the chapter's formulas, state included."""

import math

import pytest

from d2l_ext import schedulers

CLOSE = dict(rel=1e-12, abs=1e-15)


def in_order(scheduler, steps):
    return [scheduler(t) for t in range(steps)]


def test_square_root_is_lr_over_the_root_of_step_plus_one():
    scheduler = schedulers.SquareRootScheduler(lr=0.1)
    assert [scheduler(t) for t in (0, 3, 99, 3)] == pytest.approx([0.1, 0.05, 0.01, 0.05], **CLOSE)


def test_factor_multiplies_on_every_call_down_to_its_floor():
    values = in_order(schedulers.FactorScheduler(factor=0.9, stop_factor_lr=1e-2, base_lr=2.0), 60)
    floor_from = math.ceil(math.log(1e-2 / 2.0) / math.log(0.9))  # the first call k with 2 * 0.9**k < 0.01: 51
    assert values[: floor_from - 1] == pytest.approx([2.0 * 0.9**k for k in range(1, floor_from)], **CLOSE)
    assert values[floor_from - 1 :] == [1e-2] * (60 - floor_from + 1)


def test_the_chapter_classes_are_stateful_as_written():
    factor = schedulers.FactorScheduler(factor=0.5, stop_factor_lr=1e-3, base_lr=1.0)
    assert [factor(0), factor(0)] == [0.5, 0.25]  # every call decays, whatever the step


def test_multi_factor_halves_at_each_milestone_when_called_in_order():
    values = in_order(schedulers.MultiFactorScheduler(step=[15, 30], factor=0.5, base_lr=0.5), 40)
    assert values == [0.5] * 15 + [0.25] * 15 + [0.125] * 10


def test_cosine_falls_from_base_to_final_over_max_update_then_stays():
    values = in_order(schedulers.CosineScheduler(max_update=20, base_lr=0.3, final_lr=0.01), 26)
    expected = [0.01 + 0.29 * (1 + math.cos(math.pi * t / 20)) / 2 for t in range(21)] + [0.01] * 5
    assert values == pytest.approx(expected, **CLOSE)
    assert (values[0], values[10], values[20]) == pytest.approx((0.3, 0.155, 0.01), **CLOSE)


def test_cosine_with_warmup_climbs_linearly_from_zero_then_falls_over_the_remaining_steps():
    values = in_order(schedulers.CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01), 21)
    assert values[:6] == pytest.approx([0.0, 0.06, 0.12, 0.18, 0.24, 0.3], **CLOSE)
    assert values[5:] == pytest.approx([0.01 + 0.29 * (1 + math.cos(math.pi * t / 15)) / 2 for t in range(16)], **CLOSE)
