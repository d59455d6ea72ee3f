"""Stateless learning-rate schedules: the rate at a step depends on that step alone (framework-free).

The chapter's classes in `d2l_ext.schedulers` keep state, so plotting a schedule first changes what
training later gets. These give the values those classes give when called with 0, 1, 2, ... in order,
whatever order they are called in; `PolyScheduler` is MXNet 1.9.1's, stepped the same way.
"""

import math
from numbers import Integral, Real

WARMUP_MODES = ("linear", "constant")


def _check(name, value, ok, rule, kind=Real):
    """`value` if it is a finite `kind` (not a bool) for which `ok(value)` holds, else ValueError naming it."""
    if isinstance(value, bool) or not isinstance(value, kind) or not math.isfinite(value) or not ok(value):
        raise ValueError(f"{name}={value!r}: must be {rule}")
    return value


def _positive(name, value):
    return _check(name, value, lambda v: v > 0, "> 0")


def _whole(name, value, minimum):
    return _check(name, value, lambda v: v >= minimum, f"a whole number >= {minimum}", Integral)


def _up_to(name, value, base_lr):
    return _check(name, value, lambda v: 0 <= v <= base_lr, f">= 0 and <= base_lr={base_lr!r}")


def _factor(value):
    return _check("factor", value, lambda v: 0 < v <= 1, "in (0, 1]")


def _step(step):
    """The step a schedule is called with, if it is a number >= 0."""
    return _check("step", step, lambda v: v >= 0, ">= 0")


def _milestones(step):
    """`step` as a tuple of strictly increasing whole numbers >= 0."""
    if isinstance(step, (str, bytes)) or not hasattr(step, "__iter__"):
        raise ValueError(f"step={step!r}: must be a sequence of whole numbers")
    milestones = tuple(_whole(f"step[{i}]", value, 0) for i, value in enumerate(step))
    if any(b <= a for a, b in zip(milestones, milestones[1:])):
        raise ValueError(f"step={step!r}: must be strictly increasing")
    return milestones


def _warmup_lr(step, begin_lr, end_lr, warmup_steps, mode):
    """The rate at `step` < warmup_steps, written as MXNet (and the chapter) write it."""
    if mode == "constant":
        return begin_lr
    return begin_lr + (end_lr - begin_lr) * float(step) / float(warmup_steps)


class _Schedule:
    """Shared repr (the class name and the constructor arguments in FIELDS) and warmup-then-decay checks."""

    FIELDS = ()

    def __repr__(self):
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.FIELDS)
        return f"{type(self).__name__}({args})"

    def _decay_fields(self, max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr):
        """Check and keep the arguments a warmup-then-decay schedule shares (cosine, poly)."""
        self.max_update = _whole("max_update", max_update, 1)
        self.base_lr = _positive("base_lr", base_lr)
        self.final_lr = _up_to("final_lr", final_lr, base_lr)
        self.warmup_steps = _check(
            "warmup_steps",
            warmup_steps,
            lambda v: 0 <= v < max_update,
            f"a whole number >= 0 and < max_update={max_update!r}",
            Integral,
        )
        self.warmup_begin_lr = _up_to("warmup_begin_lr", warmup_begin_lr, base_lr)


class PolyScheduler(_Schedule):
    """MXNet 1.9.1's PolyScheduler, stateless: after max_update it stays at final_lr."""

    FIELDS = ("max_update", "base_lr", "pwr", "final_lr", "warmup_steps", "warmup_begin_lr", "warmup_mode")

    def __init__(
        self, max_update, base_lr=0.01, pwr=2, final_lr=0, warmup_steps=0, warmup_begin_lr=0, warmup_mode="linear"
    ):
        self._decay_fields(max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr)
        self.pwr = _positive("pwr", pwr)
        if warmup_mode not in WARMUP_MODES:
            raise ValueError(f"warmup_mode={warmup_mode!r}: must be one of {', '.join(WARMUP_MODES)}")
        self.warmup_mode = warmup_mode

    def __call__(self, num_update):
        if _step(num_update) < self.warmup_steps:
            return _warmup_lr(num_update, self.warmup_begin_lr, self.base_lr, self.warmup_steps, self.warmup_mode)
        if num_update > self.max_update:
            return self.final_lr
        progress = float(num_update - self.warmup_steps) / float(self.max_update - self.warmup_steps)
        return self.final_lr + (self.base_lr - self.final_lr) * pow(1 - progress, self.pwr)


class PolynomialDecay(_Schedule):
    """a * (b + step) ** -gamma: Welling and Teh's SGLD step size (2011), the square root's kin (gamma = 1/2)."""

    FIELDS = ("a", "b", "gamma")

    def __init__(self, a, b, gamma):
        self.a, self.b, self.gamma = _positive("a", a), _positive("b", b), _positive("gamma", gamma)

    @classmethod
    def spanning(cls, first, last, steps, gamma):
        """The decay from `first` at step 0 to `last` at step `steps` (the paper's: 0.01 to 0.0001 over its run)."""
        _check("last", last, lambda v: 0 < v < first, f"> 0 and < first={first!r}")
        b = _whole("steps", steps, 1) / ((first / last) ** (1 / _positive("gamma", gamma)) - 1)
        return cls(first * b**gamma, b, gamma)

    def __call__(self, step):
        return self.a * pow(self.b + _step(step), -self.gamma)


class SquareRootSchedule(_Schedule):
    """lr / sqrt(step + 1), as the chapter's SquareRootScheduler."""

    FIELDS = ("lr",)

    def __init__(self, lr=0.1):
        self.lr = _positive("lr", lr)

    def __call__(self, step):
        return self.lr * pow(_step(step) + 1.0, -0.5)


class FactorSchedule(_Schedule):
    """max(stop_factor_lr, base_lr * factor**(step + 1)): the chapter's FactorScheduler on its (step+1)-th call."""

    FIELDS = ("factor", "stop_factor_lr", "base_lr")

    def __init__(self, factor=1, stop_factor_lr=1e-7, base_lr=0.1):
        self.factor = _factor(factor)
        self.base_lr = _positive("base_lr", base_lr)
        self.stop_factor_lr = _up_to("stop_factor_lr", stop_factor_lr, base_lr)

    def __call__(self, step):
        return max(self.stop_factor_lr, self.base_lr * self.factor ** (_step(step) + 1))


class MultiFactorSchedule(_Schedule):
    """base_lr times factor once per milestone in `step` reached (milestone <= step), as the chapter's."""

    FIELDS = ("step", "factor", "base_lr")

    def __init__(self, step, factor, base_lr):
        self.step = _milestones(step)
        self.factor = _factor(factor)
        self.base_lr = _positive("base_lr", base_lr)

    def __call__(self, step):
        lr, step = self.base_lr, _step(step)
        for milestone in self.step:
            if milestone > step:
                break
            lr = lr * self.factor  # one product per milestone, in the chapter's order: bit-for-bit equal
        return lr


class CosineSchedule(_Schedule):
    """Linear warmup, then cosine from base_lr to final_lr at max_update; final_lr after it (the chapter's)."""

    FIELDS = ("max_update", "base_lr", "final_lr", "warmup_steps", "warmup_begin_lr")

    def __init__(self, max_update, base_lr=0.01, final_lr=0, warmup_steps=0, warmup_begin_lr=0):
        self._decay_fields(max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr)

    def __call__(self, step):
        if _step(step) < self.warmup_steps:
            return _warmup_lr(step, self.warmup_begin_lr, self.base_lr, self.warmup_steps, "linear")
        if step > self.max_update:
            return self.final_lr
        progress = math.pi * (step - self.warmup_steps) / (self.max_update - self.warmup_steps)
        return self.final_lr + (self.base_lr - self.final_lr) * (1 + math.cos(progress)) / 2
