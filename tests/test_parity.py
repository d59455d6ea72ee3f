"""d2l_ext's schedules against MXNet's, PyTorch's and Keras' own built-in schedulers.

Where a native scheduler differs by design (clock, off by one, clamping), the test asserts the exact
difference; docs/schedules.md's parity table lists the same facts.
"""

import pytest

from d2l_ext.stateless import CosineSchedule, PolyScheduler, SquareRootSchedule
from tests.schedule_cases import (  # the cases shared with the other schedule tests
    BASE,
    DECAY,
    FINAL,
    FLOAT32,
    FLOAT64,
    MAX_UPDATE,
    MILESTONES,
    MULTI_FACTOR,
    PWR,
    SQRT_LR,
    STEPS,
    STOP,
    WARMUP,
    WARMUP_BEGIN,
    cosine,
    factor,
    in_order,
    keras_lrs,
    multi_factor,
    poly,
    torch_lrs,
)


# ---- cosine ----
@pytest.mark.parametrize("warmup_steps", [0, WARMUP])
def test_cosine_equals_mxnet_cosine_scheduler_stepped_in_order(mx, warmup_steps):
    ours = cosine(warmup_steps)
    native = mx.lr_scheduler.CosineScheduler(
        MAX_UPDATE, base_lr=BASE, final_lr=FINAL, warmup_steps=warmup_steps, warmup_begin_lr=ours.warmup_begin_lr
    )
    assert in_order(native) == in_order(ours)  # bit for bit, final_lr after max_update included


def test_mxnet_cosine_first_called_past_max_update_returns_base_lr_where_ours_gives_final_lr(mx):
    native = mx.lr_scheduler.CosineScheduler(MAX_UPDATE, base_lr=BASE, final_lr=FINAL)
    assert native(MAX_UPDATE + 1) == BASE and cosine()(MAX_UPDATE + 1) == FINAL


def test_torch_cosine_annealing_equals_cosine_until_max_update_then_climbs_back_to_base_lr_and_repeats(torch):
    native = torch_lrs(
        torch, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=MAX_UPDATE, eta_min=FINAL), BASE
    )
    ours = cosine()
    assert native[: MAX_UPDATE + 1] == pytest.approx(in_order(ours, MAX_UPDATE + 1), **FLOAT64)
    mirrored = [ours(MAX_UPDATE - d) for d in range(MAX_UPDATE + 1)]  # torch(T + d) == ours(T - d)
    assert native[MAX_UPDATE : 2 * MAX_UPDATE + 1] == pytest.approx(mirrored, **FLOAT64)
    assert native[2 * MAX_UPDATE] == pytest.approx(BASE, **FLOAT64)
    assert native[2 * MAX_UPDATE :] == pytest.approx(native[: STEPS - 2 * MAX_UPDATE], **FLOAT64)  # period 2T


def test_torch_linear_warmup_then_cosine_equals_cosine_with_warmup_until_max_update_then_climbs(torch):
    lr_scheduler = torch.optim.lr_scheduler

    def make(optimizer):
        warmup = lr_scheduler.LinearLR(optimizer, start_factor=WARMUP_BEGIN / BASE, total_iters=WARMUP)
        decay = lr_scheduler.CosineAnnealingLR(optimizer, T_max=MAX_UPDATE - WARMUP, eta_min=FINAL)
        return lr_scheduler.SequentialLR(optimizer, [warmup, decay], milestones=[WARMUP])

    native, ours = torch_lrs(torch, make, BASE), cosine(WARMUP)
    assert native[: MAX_UPDATE + 1] == pytest.approx(in_order(ours, MAX_UPDATE + 1), **FLOAT64)
    mirrored = [ours(MAX_UPDATE - d) for d in range(MAX_UPDATE - WARMUP + 1)]
    assert native[MAX_UPDATE : 2 * MAX_UPDATE - WARMUP + 1] == pytest.approx(mirrored, **FLOAT64)


def test_torch_linear_warmup_cannot_start_from_zero_where_ours_can(torch):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=BASE)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.0, total_iters=WARMUP)
    assert CosineSchedule(MAX_UPDATE, base_lr=BASE, warmup_steps=WARMUP)(0) == 0


def test_keras_cosine_decay_with_alpha_final_over_base_equals_cosine_and_clamps(tf):
    native = tf.keras.optimizers.schedules.CosineDecay(BASE, decay_steps=MAX_UPDATE, alpha=FINAL / BASE)
    assert keras_lrs(native) == pytest.approx(in_order(cosine()), **FLOAT32)


def test_keras_cosine_decay_warmup_starts_at_initial_rate_and_decays_over_the_steps_after_warmup(tf):
    native = tf.keras.optimizers.schedules.CosineDecay(
        WARMUP_BEGIN, decay_steps=MAX_UPDATE - WARMUP, alpha=FINAL / BASE, warmup_target=BASE, warmup_steps=WARMUP
    )
    assert keras_lrs(native) == pytest.approx(in_order(cosine(WARMUP)), **FLOAT32)


# ---- poly ----
@pytest.mark.parametrize(
    "warmup",
    [
        {},
        dict(warmup_steps=WARMUP, warmup_begin_lr=WARMUP_BEGIN),
        dict(warmup_steps=WARMUP, warmup_begin_lr=WARMUP_BEGIN, warmup_mode="constant"),
    ],
)
def test_poly_equals_mxnet_poly_scheduler_stepped_in_order(mx, warmup):
    native = mx.lr_scheduler.PolyScheduler(MAX_UPDATE, base_lr=BASE, pwr=PWR, final_lr=FINAL, **warmup)
    assert in_order(native) == in_order(poly(**warmup))  # bit for bit


def test_mxnet_poly_first_called_past_max_update_returns_base_lr_where_ours_gives_final_lr(mx):
    native = mx.lr_scheduler.PolyScheduler(MAX_UPDATE, base_lr=BASE, pwr=PWR, final_lr=FINAL)
    assert native(MAX_UPDATE + 1) == BASE and poly()(MAX_UPDATE + 1) == FINAL


def test_torch_polynomial_lr_equals_poly_with_final_lr_zero_and_stays_at_zero(torch):
    native = torch_lrs(
        torch, lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=MAX_UPDATE, power=PWR), BASE
    )
    assert native == pytest.approx(in_order(poly(final_lr=0)), **FLOAT64)
    assert native[MAX_UPDATE:] == [0.0] * (STEPS - MAX_UPDATE)


def test_torch_polynomial_lr_has_no_final_lr_it_decays_base_lr_to_zero(torch):
    native = torch_lrs(
        torch, lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=MAX_UPDATE, power=PWR), BASE
    )
    rescaled = [(lr - FINAL) * BASE / (BASE - FINAL) for lr in in_order(poly())]  # ours, final_lr mapped to 0
    assert native == pytest.approx(rescaled, **FLOAT64)


def test_torch_polynomial_lr_defaults_differ_total_iters_5_power_1(torch):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=BASE)
    native = torch.optim.lr_scheduler.PolynomialLR(optimizer)
    assert (native.total_iters, native.power) == (5, 1.0) and PolyScheduler(5).pwr == 2


def test_keras_polynomial_decay_equals_poly_and_clamps_to_end_learning_rate(tf):
    native = tf.keras.optimizers.schedules.PolynomialDecay(BASE, MAX_UPDATE, end_learning_rate=FINAL, power=PWR)
    assert keras_lrs(native) == pytest.approx(in_order(poly()), **FLOAT32)


# ---- piecewise (multi-factor) ----
def test_mxnet_multi_factor_scheduler_decays_one_step_after_each_milestone(mx):
    native = mx.lr_scheduler.MultiFactorScheduler(step=MILESTONES, factor=MULTI_FACTOR, base_lr=BASE)
    assert in_order(native, STEPS, start=1) == in_order(multi_factor())  # ours(t) == mxnet(t + 1), bit for bit
    assert (
        mx.lr_scheduler.MultiFactorScheduler(step=MILESTONES, factor=MULTI_FACTOR, base_lr=BASE)(MILESTONES[0]) == BASE
    )  # not yet decayed


def test_torch_multi_step_lr_equals_multi_factor_decaying_at_each_milestone(torch):
    native = torch_lrs(
        torch, lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=MILESTONES, gamma=MULTI_FACTOR), BASE
    )
    assert native == in_order(multi_factor())  # bit for bit


def test_keras_piecewise_constant_decay_decays_one_step_after_each_boundary(tf):
    values = [BASE * MULTI_FACTOR**i for i in range(len(MILESTONES) + 1)]
    native = tf.keras.optimizers.schedules.PiecewiseConstantDecay(MILESTONES, values)
    assert keras_lrs(native, STEPS + 1)[1:] == pytest.approx(in_order(multi_factor()), **FLOAT32)


# ---- factor ----
def test_mxnet_factor_scheduler_with_step_1_lags_two_updates(mx):
    native = mx.lr_scheduler.FactorScheduler(step=1, factor=DECAY, stop_factor_lr=STOP, base_lr=BASE)
    values = in_order(native, STEPS + 2)
    assert values[:2] == [BASE, BASE]  # updates 0 and 1 both at base_lr
    assert values[2:] == pytest.approx(in_order(factor()), **FLOAT64)  # ours(t) == mxnet(t + 2)


def test_mxnet_factor_scheduler_with_step_s_holds_each_rate_for_s_updates(mx):
    s = 3
    native = mx.lr_scheduler.FactorScheduler(step=s, factor=DECAY, stop_factor_lr=STOP, base_lr=BASE)
    ours = factor()
    expected = [BASE if n <= s else ours((n - 1) // s - 1) for n in range(STEPS)]
    assert in_order(native) == pytest.approx(expected, **FLOAT64)


def test_torch_exponential_lr_leads_by_one_step_and_has_no_floor(torch):
    native = torch_lrs(torch, lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=DECAY), BASE, STEPS + 1)
    assert [max(STOP, lr) for lr in native[1:]] == pytest.approx(in_order(factor()), **FLOAT64)
    assert native[-1] < STOP == factor()(STEPS - 1)  # torch keeps decaying below stop_factor_lr


def test_keras_exponential_decay_leads_by_one_step_and_has_no_floor(tf):
    native = tf.keras.optimizers.schedules.ExponentialDecay(BASE, decay_steps=1, decay_rate=DECAY)
    values = keras_lrs(native, STEPS + 1)
    assert [max(STOP, lr) for lr in values[1:]] == pytest.approx(in_order(factor()), **FLOAT32)
    assert values[-1] < STOP


# ---- square root ----
def test_torch_lambda_lr_with_inverse_square_root_equals_square_root_schedule(torch):
    native = torch_lrs(torch, lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda k: pow(k + 1.0, -0.5)), SQRT_LR)
    assert native == in_order(SquareRootSchedule(SQRT_LR))  # bit for bit
