"""d2l_ext's schedules against MXNet's, PyTorch's and Keras' own, and the adapters on real optimizers.

Where a native scheduler differs by design (clock, off by one, clamping), the test asserts the exact
difference; /tmp/parity.md (the README table) lists the same facts.
"""
import math
import os

import pytest

from d2l_ext import adapters, schedulers
from d2l_ext.stateless import CosineSchedule, FactorSchedule, MultiFactorSchedule, PolyScheduler, SquareRootSchedule

STEPS = 120
BASE, FINAL, MAX_UPDATE, WARMUP, WARMUP_BEGIN, PWR = 0.3, 0.01, 40, 8, 0.03, 2
MILESTONES, MULTI_FACTOR = [15, 30, 70], 0.5
DECAY, STOP = 0.93, 1e-3  # FactorSchedule reaches STOP at step 78
SQRT_LR = 0.1
FLOAT64 = dict(rel=1e-12, abs=1e-15)  # torch's chainable formulas and our pow drift by a few ulps
FLOAT32 = dict(rel=1e-6, abs=1e-9)  # Keras computes schedules in float32


# ---- frameworks, each skipped where it is not installed ----
@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def mx():
    return pytest.importorskip("mxnet")


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
    return CosineSchedule(MAX_UPDATE, base_lr=BASE, final_lr=FINAL, warmup_steps=warmup_steps,
                          warmup_begin_lr=WARMUP_BEGIN if warmup_steps else 0)


def poly(final_lr=FINAL, **warmup):
    """The poly schedule every poly test compares."""
    return PolyScheduler(MAX_UPDATE, base_lr=BASE, pwr=PWR, final_lr=final_lr, **warmup)


def factor():
    """The factor schedule every factor test compares."""
    return FactorSchedule(factor=DECAY, stop_factor_lr=STOP, base_lr=BASE)


def multi_factor():
    """The multi-factor schedule every piecewise test compares."""
    return MultiFactorSchedule(MILESTONES, MULTI_FACTOR, BASE)


# ---- cosine ----
@pytest.mark.parametrize("warmup_steps", [0, WARMUP])
def test_cosine_equals_mxnet_cosine_scheduler_stepped_in_order(mx, warmup_steps):
    ours = cosine(warmup_steps)
    native = mx.lr_scheduler.CosineScheduler(MAX_UPDATE, base_lr=BASE, final_lr=FINAL, warmup_steps=warmup_steps,
                                             warmup_begin_lr=ours.warmup_begin_lr)
    assert in_order(native) == in_order(ours)  # bit for bit, final_lr after max_update included


def test_mxnet_cosine_first_called_past_max_update_returns_base_lr_where_ours_gives_final_lr(mx):
    native = mx.lr_scheduler.CosineScheduler(MAX_UPDATE, base_lr=BASE, final_lr=FINAL)
    assert native(MAX_UPDATE + 1) == BASE and cosine()(MAX_UPDATE + 1) == FINAL


def test_torch_cosine_annealing_equals_cosine_until_max_update_then_climbs_back_to_base_lr_and_repeats(torch):
    native = torch_lrs(torch, lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=MAX_UPDATE,
                                                                                    eta_min=FINAL), BASE)
    ours = cosine()
    assert native[:MAX_UPDATE + 1] == pytest.approx(in_order(ours, MAX_UPDATE + 1), **FLOAT64)
    mirrored = [ours(MAX_UPDATE - d) for d in range(MAX_UPDATE + 1)]  # torch(T + d) == ours(T - d)
    assert native[MAX_UPDATE:2 * MAX_UPDATE + 1] == pytest.approx(mirrored, **FLOAT64)
    assert native[2 * MAX_UPDATE] == pytest.approx(BASE, **FLOAT64)
    assert native[2 * MAX_UPDATE:] == pytest.approx(native[:STEPS - 2 * MAX_UPDATE], **FLOAT64)  # period 2T


def test_torch_linear_warmup_then_cosine_equals_cosine_with_warmup_until_max_update_then_climbs(torch):
    lr_scheduler = torch.optim.lr_scheduler

    def make(optimizer):
        warmup = lr_scheduler.LinearLR(optimizer, start_factor=WARMUP_BEGIN / BASE, total_iters=WARMUP)
        decay = lr_scheduler.CosineAnnealingLR(optimizer, T_max=MAX_UPDATE - WARMUP, eta_min=FINAL)
        return lr_scheduler.SequentialLR(optimizer, [warmup, decay], milestones=[WARMUP])

    native, ours = torch_lrs(torch, make, BASE), cosine(WARMUP)
    assert native[:MAX_UPDATE + 1] == pytest.approx(in_order(ours, MAX_UPDATE + 1), **FLOAT64)
    mirrored = [ours(MAX_UPDATE - d) for d in range(MAX_UPDATE - WARMUP + 1)]
    assert native[MAX_UPDATE:2 * MAX_UPDATE - WARMUP + 1] == pytest.approx(mirrored, **FLOAT64)


def test_torch_linear_warmup_cannot_start_from_zero_where_ours_can(torch):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=BASE)
    with pytest.raises(ValueError, match="Starting multiplicative factor"):
        torch.optim.lr_scheduler.LinearLR(optimizer, start_factor=0.0, total_iters=WARMUP)
    assert CosineSchedule(MAX_UPDATE, base_lr=BASE, warmup_steps=WARMUP)(0) == 0


def test_keras_cosine_decay_with_alpha_final_over_base_equals_cosine_and_clamps(tf):
    native = tf.keras.optimizers.schedules.CosineDecay(BASE, decay_steps=MAX_UPDATE, alpha=FINAL / BASE)
    assert keras_lrs(native) == pytest.approx(in_order(cosine()), **FLOAT32)


def test_keras_cosine_decay_warmup_starts_at_initial_rate_and_decays_over_the_steps_after_warmup(tf):
    native = tf.keras.optimizers.schedules.CosineDecay(WARMUP_BEGIN, decay_steps=MAX_UPDATE - WARMUP,
                                                       alpha=FINAL / BASE, warmup_target=BASE,
                                                       warmup_steps=WARMUP)
    assert keras_lrs(native) == pytest.approx(in_order(cosine(WARMUP)), **FLOAT32)


# ---- poly ----
@pytest.mark.parametrize("warmup", [{}, dict(warmup_steps=WARMUP, warmup_begin_lr=WARMUP_BEGIN),
                                    dict(warmup_steps=WARMUP, warmup_begin_lr=WARMUP_BEGIN, warmup_mode="constant")])
def test_poly_equals_mxnet_poly_scheduler_stepped_in_order(mx, warmup):
    native = mx.lr_scheduler.PolyScheduler(MAX_UPDATE, base_lr=BASE, pwr=PWR, final_lr=FINAL, **warmup)
    assert in_order(native) == in_order(poly(**warmup))  # bit for bit


def test_mxnet_poly_first_called_past_max_update_returns_base_lr_where_ours_gives_final_lr(mx):
    native = mx.lr_scheduler.PolyScheduler(MAX_UPDATE, base_lr=BASE, pwr=PWR, final_lr=FINAL)
    assert native(MAX_UPDATE + 1) == BASE and poly()(MAX_UPDATE + 1) == FINAL


def test_torch_polynomial_lr_equals_poly_with_final_lr_zero_and_stays_at_zero(torch):
    native = torch_lrs(torch, lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=MAX_UPDATE,
                                                                               power=PWR), BASE)
    assert native == pytest.approx(in_order(poly(final_lr=0)), **FLOAT64)
    assert native[MAX_UPDATE:] == [0.0] * (STEPS - MAX_UPDATE)


def test_torch_polynomial_lr_has_no_final_lr_it_decays_base_lr_to_zero(torch):
    native = torch_lrs(torch, lambda o: torch.optim.lr_scheduler.PolynomialLR(o, total_iters=MAX_UPDATE,
                                                                               power=PWR), BASE)
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
    assert mx.lr_scheduler.MultiFactorScheduler(step=MILESTONES, factor=MULTI_FACTOR,
                                                base_lr=BASE)(MILESTONES[0]) == BASE  # not yet decayed


def test_torch_multi_step_lr_equals_multi_factor_decaying_at_each_milestone(torch):
    native = torch_lrs(torch, lambda o: torch.optim.lr_scheduler.MultiStepLR(o, milestones=MILESTONES,
                                                                              gamma=MULTI_FACTOR), BASE)
    assert native == in_order(multi_factor())  # bit for bit


def test_keras_piecewise_constant_decay_decays_one_step_after_each_boundary(tf):
    values = [BASE * MULTI_FACTOR ** i for i in range(len(MILESTONES) + 1)]
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


# ---- adapters on real optimizers ----
ADAPTED = {  # test id -> a fresh schedule
    "cosine+warmup": lambda: cosine(WARMUP),
    "poly": poly,
    "multi-factor": multi_factor,
    "factor": factor,
    "square-root": lambda: SquareRootSchedule(SQRT_LR),
}
# to_torch calls the schedule once per step, so the chapter's stateful classes work through it too
TORCH_ADAPTED = {**ADAPTED, "chapter-CosineScheduler": lambda: schedulers.CosineScheduler(MAX_UPDATE, BASE, FINAL)}


def test_adapters_reject_a_schedule_that_is_not_callable():
    for adapt in (adapters.to_keras_schedule, adapters.to_keras_callback, adapters.to_mxnet,
                  lambda schedule: adapters.to_torch(schedule, optimizer=None)):
        with pytest.raises(TypeError, match=r"^schedule=0.1: must be a callable"):
            adapt(0.1)


@pytest.mark.parametrize("make", list(TORCH_ADAPTED.values()), ids=list(TORCH_ADAPTED))
def test_to_torch_sets_sgd_lr_to_schedule_k_after_k_steps(torch, make):
    schedule, expected = make(), in_order(make(), STEPS + 1)
    weight = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    optimizer = torch.optim.SGD([weight], lr=123.0)
    scheduler = adapters.to_torch(schedule, optimizer)
    assert isinstance(scheduler, torch.optim.lr_scheduler.LRScheduler)
    lrs = []
    for _ in range(STEPS):
        lrs.append(optimizer.param_groups[0]["lr"])
        weight.sum().backward()  # gradient 1: each update moves the weight by -lr
        optimizer.step()
        optimizer.zero_grad()
        scheduler.step()
    assert lrs == expected[:-1] and scheduler.get_last_lr() == expected[-1:]
    assert weight.item() == pytest.approx(-math.fsum(lrs), rel=1e-12)


def test_to_keras_schedule_drives_sgd_update_k_at_schedule_k(tf):
    schedule = cosine(WARMUP)
    optimizer = tf.keras.optimizers.SGD(learning_rate=adapters.to_keras_schedule(schedule))
    weight = tf.Variable(0.0)
    for k in range(1, STEPS + 1):
        optimizer.apply_gradients([(tf.constant(1.0), weight)])
        assert int(optimizer.iterations) == k
        assert float(optimizer.learning_rate) == pytest.approx(schedule(k - 1), **FLOAT32)  # the rate just used
    assert float(optimizer.lr) == pytest.approx(schedule(STEPS - 1), **FLOAT32)
    assert float(weight) == pytest.approx(-math.fsum(in_order(schedule)), rel=1e-5)


def test_to_keras_schedule_works_inside_model_fit(tf):
    schedule, batches = poly(), 6
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=adapters.to_keras_schedule(schedule)), loss="mse")
    model.fit(tf.ones((batches * 4, 2)), tf.ones((batches * 4, 1)), batch_size=4, epochs=2, verbose=0)
    assert int(model.optimizer.iterations) == 2 * batches
    assert float(model.optimizer.learning_rate) == pytest.approx(schedule(2 * batches - 1), **FLOAT32)


def test_to_keras_callback_trains_epoch_e_at_schedule_e(tf):
    schedule, epochs, seen = multi_factor(), 4, []
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=1.0), loss="mse")
    record = tf.keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(float(model.optimizer.learning_rate)))
    history = model.fit(tf.ones((8, 2)), tf.ones((8, 1)), batch_size=4, epochs=epochs, verbose=0,
                        initial_epoch=0, callbacks=[adapters.to_keras_callback(schedule), record])
    assert seen == pytest.approx(history.history["lr"], **FLOAT32)
    assert seen == pytest.approx(in_order(schedule, epochs), **FLOAT32)


def test_to_keras_callback_from_initial_epoch_uses_that_epochs_rate(tf):
    schedule, seen = multi_factor(), []
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=1.0), loss="mse")
    model.fit(tf.ones((4, 2)), tf.ones((4, 1)), epochs=MILESTONES[0] + 2, initial_epoch=MILESTONES[0] - 1,
              verbose=0, callbacks=[adapters.to_keras_callback(schedule)])
    assert float(model.optimizer.learning_rate) == pytest.approx(schedule(MILESTONES[0] + 1), **FLOAT32)


def mxnet_array(mx, shape):
    """Ones in whichever array API MXNet is in (d2l_ext.mxnet switches it to NumPy mode)."""
    return mx.np.ones(shape) if mx.util.is_np_array() else mx.nd.ones(shape)


@pytest.mark.parametrize("make", list(ADAPTED.values()), ids=list(ADAPTED))
def test_to_mxnet_gluon_trainer_update_k_counting_from_1_uses_schedule_k(mx, make):
    schedule = make()
    net = mx.gluon.nn.Dense(1, in_units=3)
    net.initialize(mx.init.Zero())
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"lr_scheduler": adapters.to_mxnet(schedule)})
    x, lrs = mxnet_array(mx, (2, 3)), []
    for _ in range(STEPS):
        with mx.autograd.record():
            loss = net(x).sum()
        loss.backward()
        trainer.step(2)  # bias gradient 2 / batch size 2: each update moves the bias by -lr
        lrs.append(trainer.learning_rate)
    assert lrs == in_order(schedule, STEPS, start=1)
    assert float(net.bias.data().asnumpy()[0]) == pytest.approx(-math.fsum(lrs), rel=1e-5)


def test_to_mxnet_refuses_an_optimizer_learning_rate_it_would_ignore(mx):
    net = mx.gluon.nn.Dense(1, in_units=3)
    net.initialize()
    with pytest.raises(ValueError, match=r"^learning_rate=0.5: leave it out"):
        mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5, "lr_scheduler": adapters.to_mxnet(cosine())})


def test_mxnet_calls_the_schedule_per_group_of_4_parameters_and_per_read_so_a_stateful_one_runs_ahead(mx):
    net = mx.gluon.nn.Sequential()
    net.add(mx.gluon.nn.Dense(3), mx.gluon.nn.Dense(3), mx.gluon.nn.Dense(3))  # 6 parameters: 2 groups of <= 4
    net.initialize()
    chapter, calls = schedulers.FactorScheduler(factor=0.5, stop_factor_lr=1e-9, base_lr=1.0), []
    recorded = adapters.to_mxnet(lambda k: calls.append(k) or chapter(k))
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"lr_scheduler": recorded})
    for _ in range(3):
        with mx.autograd.record():
            loss = net(mxnet_array(mx, (2, 3))).sum()
        loss.backward()
        trainer.step(2)
    assert calls == [1, 1, 2, 2, 3, 3] and chapter.base_lr == 0.5 ** 6  # 6 decays in 3 updates
    assert trainer.learning_rate == 0.5 ** 7 and calls[-1] == 3  # reading the rate is one more call
    assert FactorSchedule(factor=0.5, stop_factor_lr=1e-9, base_lr=1.0)(3 - 1) == 0.5 ** 3  # stateless: per step


def test_to_keras_schedule_is_called_once_at_optimizer_creation_then_once_per_update(tf):
    calls = []
    optimizer = tf.keras.optimizers.SGD(learning_rate=adapters.to_keras_schedule(lambda k: calls.append(k) or 0.1))
    weight = tf.Variable(0.0)
    for _ in range(3):
        optimizer.apply_gradients([(tf.constant(1.0), weight)])
    assert calls == [0, 0, 1, 2]  # a stateful chapter class would be one call ahead
