"""d2l_ext.adapters drive real optimizers of each framework at the schedule's rates, on each one's clock."""

import math

import pytest

from d2l_ext import adapters, schedulers
from d2l_ext.stateless import FactorSchedule, SquareRootSchedule
from tests.schedule_cases import (  # the cases shared with the other schedule tests
    BASE,
    FINAL,
    FLOAT32,
    MAX_UPDATE,
    MILESTONES,
    SQRT_LR,
    STEPS,
    WARMUP,
    cosine,
    factor,
    in_order,
    multi_factor,
    poly,
)

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
    for adapt in (
        adapters.to_keras_schedule,
        adapters.to_keras_callback,
        adapters.to_mxnet,
        lambda schedule: adapters.to_torch(schedule, optimizer=None),
    ):
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
        on_epoch_end=lambda epoch, logs: seen.append(float(model.optimizer.learning_rate))
    )
    history = model.fit(
        tf.ones((8, 2)),
        tf.ones((8, 1)),
        batch_size=4,
        epochs=epochs,
        verbose=0,
        initial_epoch=0,
        callbacks=[adapters.to_keras_callback(schedule), record],
    )
    assert seen == pytest.approx(history.history["lr"], **FLOAT32)
    assert seen == pytest.approx(in_order(schedule, epochs), **FLOAT32)


def test_to_keras_callback_from_initial_epoch_uses_that_epochs_rate(tf):
    schedule = multi_factor()
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=1.0), loss="mse")
    model.fit(
        tf.ones((4, 2)),
        tf.ones((4, 1)),
        epochs=MILESTONES[0] + 2,
        initial_epoch=MILESTONES[0] - 1,
        verbose=0,
        callbacks=[adapters.to_keras_callback(schedule)],
    )
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
        mx.gluon.Trainer(
            net.collect_params(), "sgd", {"learning_rate": 0.5, "lr_scheduler": adapters.to_mxnet(cosine())}
        )


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
    assert calls == [1, 1, 2, 2, 3, 3] and chapter.base_lr == 0.5**6  # 6 decays in 3 updates
    assert trainer.learning_rate == 0.5**7 and calls[-1] == 3  # reading the rate is one more call
    assert FactorSchedule(factor=0.5, stop_factor_lr=1e-9, base_lr=1.0)(3 - 1) == 0.5**3  # stateless: per step


def test_to_keras_schedule_is_called_once_at_optimizer_creation_then_once_per_update(tf):
    calls = []
    optimizer = tf.keras.optimizers.SGD(learning_rate=adapters.to_keras_schedule(lambda k: calls.append(k) or 0.1))
    weight = tf.Variable(0.0)
    for _ in range(3):
        optimizer.apply_gradients([(tf.constant(1.0), weight)])
    assert calls == [0, 0, 1, 2]  # a stateful chapter class would be one call ahead


# ---- a rate no framework can train with is refused, naming the schedule and the step ----
class Broken:
    """A schedule that gives `bad` from step 2 on."""

    def __init__(self, bad):
        self.bad = bad

    def __call__(self, step):
        return 0.1 if step < 2 else self.bad

    def __repr__(self):
        return f"Broken({self.bad!r})"


BAD_RATES = [float("nan"), float("inf"), -0.1, "0.1", None]
REFUSED = r"Broken\(.*\) gave .* at step 2: a learning rate must be a finite number >= 0"


@pytest.mark.parametrize("bad", BAD_RATES, ids=repr)
def test_to_torch_refuses_a_bad_rate(torch, bad):
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    scheduler = adapters.to_torch(Broken(bad), optimizer)
    scheduler.step()
    with pytest.raises(ValueError, match=REFUSED):
        scheduler.step()


@pytest.mark.parametrize("bad", BAD_RATES, ids=repr)
def test_to_mxnet_refuses_a_bad_rate(mx, bad):
    scheduler = adapters.to_mxnet(Broken(bad))
    assert scheduler(1) == 0.1
    with pytest.raises(ValueError, match=REFUSED):
        scheduler(2)


@pytest.mark.parametrize("bad", BAD_RATES, ids=repr)
def test_to_keras_callback_refuses_a_bad_rate(tf, bad):
    model = tf.keras.Sequential([tf.keras.Input((2,)), tf.keras.layers.Dense(1)])
    model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=1.0), loss="mse")
    with pytest.raises(ValueError, match=REFUSED):
        model.fit(
            tf.ones((4, 2)), tf.ones((4, 1)), epochs=3, verbose=0, callbacks=[adapters.to_keras_callback(Broken(bad))]
        )


@pytest.mark.parametrize("bad", BAD_RATES, ids=repr)
def test_to_keras_schedule_refuses_a_bad_rate(tf, bad):
    schedule = adapters.to_keras_schedule(Broken(bad))
    assert float(schedule(1)) == pytest.approx(0.1)
    with pytest.raises(Exception, match=REFUSED):  # raised inside tf.py_function: TensorFlow re-raises it as its own
        schedule(2)
