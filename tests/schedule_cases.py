"""Shared schedule cases for the parity and adapter tests: constants and helpers (fixtures: conftest.py)."""

from d2l_ext.stateless import CosineSchedule, FactorSchedule, MultiFactorSchedule, PolyScheduler

STEPS = 120
BASE, FINAL, MAX_UPDATE, WARMUP, WARMUP_BEGIN, PWR = 0.3, 0.01, 40, 8, 0.03, 2
MILESTONES, MULTI_FACTOR = [15, 30, 70], 0.5
DECAY, STOP = 0.93, 1e-3  # FactorSchedule reaches STOP at step 78
SQRT_LR = 0.1
FLOAT64 = dict(rel=1e-12, abs=1e-15)  # torch's chainable formulas and our pow drift by a few ulps
FLOAT32 = dict(rel=1e-6, abs=1e-9)  # Keras computes schedules in float32


def torch_lrs(torch, make_scheduler, base_lr, steps=STEPS):
    """The lr a real torch SGD has after k = 0, 1, ... scheduler steps (one optimizer step each)."""
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
    scheduler, lrs = make_scheduler(optimizer), []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def in_order(schedule, steps=STEPS, start=0):
    """schedule(start), schedule(start + 1), ... called in that order (what a training loop does)."""
    return [schedule(t) for t in range(start, start + steps)]


def keras_lrs(schedule, steps=STEPS):
    """A Keras schedule's float32 values at 0, 1, ..., as Python floats."""
    return [float(schedule(t)) for t in range(steps)]


def cosine(warmup_steps=0):
    """The cosine schedule every cosine test compares (warmup from WARMUP_BEGIN when warmup_steps)."""
    return CosineSchedule(
        MAX_UPDATE,
        base_lr=BASE,
        final_lr=FINAL,
        warmup_steps=warmup_steps,
        warmup_begin_lr=WARMUP_BEGIN if warmup_steps else 0,
    )


def poly(final_lr=FINAL, **warmup):
    """The poly schedule every poly test compares."""
    return PolyScheduler(MAX_UPDATE, base_lr=BASE, pwr=PWR, final_lr=final_lr, **warmup)


def factor():
    """The factor schedule every factor test compares."""
    return FactorSchedule(factor=DECAY, stop_factor_lr=STOP, base_lr=BASE)


def multi_factor():
    """The multi-factor schedule every piecewise test compares."""
    return MultiFactorSchedule(MILESTONES, MULTI_FACTOR, BASE)
