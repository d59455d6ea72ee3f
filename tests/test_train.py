"""The chapter's `train`, as generated into d2l_ext.<framework>, learns in one quick epoch with a scheduler and
sets the learning rate on that tab's clock: per update (MXNet's Gluon Trainer), after each epoch (PyTorch), at the
start of each epoch (TensorFlow's LearningRateScheduler)."""

import pytest

from d2l_ext import data, determinism

pytestmark = pytest.mark.usefixtures("real_data")
MIN_ACCURACY = 0.6  # after one quick epoch; chance is 0.1
# One quick epoch at the chapter's batch size 256 is only 24 updates (test accuracy about 0.3): these tests take
# more, smaller steps. The nets, losses and train functions are the chapter's, as generated into d2l_ext.
BATCH = {"pytorch": 8, "mxnet": 16, "tensorflow": 32}


@pytest.fixture(autouse=True)
def quick(monkeypatch):
    monkeypatch.setenv(data.ENV_QUICK, "1")


def test_pytorch_train_sets_the_custom_scheduler_after_each_epoch(torch):
    from d2l_ext import torch as d2l
    from d2l_ext.fast.pytorch import loss, net_fn

    class RecordingSGD(torch.optim.SGD):
        def step(self, closure=None):
            self.lrs.append(self.param_groups[0]["lr"])
            return super().step(closure)

    determinism.seed_everything(torch.manual_seed)
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=BATCH["pytorch"])
    net, schedule = net_fn(), d2l.CosineScheduler(max_update=4, base_lr=0.1, final_lr=0.01)
    trainer = RecordingSGD(net.parameters(), lr=0.2)
    trainer.lrs = []
    d2l.train(net, train_iter, test_iter, 2, loss, trainer, d2l.try_gpu(), schedule)
    n = len(train_iter)
    assert trainer.lrs == [0.2] * n + [schedule(0)] * n  # epoch 0 at the optimizer's lr, epoch e at schedule(e - 1)
    assert trainer.param_groups[0]["lr"] == schedule(1)
    assert d2l.evaluate_accuracy_gpu(net, test_iter) > MIN_ACCURACY


def test_a_to_torch_schedule_trains_in_the_chapters_train_on_its_own_clock(torch):
    from d2l_ext import torch as d2l
    from d2l_ext.adapters import to_torch
    from d2l_ext.fast.pytorch import loss, net_fn
    from d2l_ext.stateless import CosineSchedule

    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=256)
    net, schedule = net_fn(), CosineSchedule(4, base_lr=0.2, final_lr=0.01)
    trainer = torch.optim.SGD(net.parameters(), lr=123.0)
    scheduler, rates, step = to_torch(schedule, trainer), [], trainer.step
    trainer.step = lambda *a, **k: rates.append(trainer.param_groups[0]["lr"]) or step(*a, **k)
    d2l.train(net, train_iter, test_iter, 1, loss, trainer, d2l.try_gpu(), scheduler)
    assert set(rates) == {schedule(0)} and trainer.param_groups[0]["lr"] == schedule(1)  # as .step() would set


def test_mxnet_train_calls_the_scheduler_with_each_update_count(mx):
    from d2l_ext import mxnet as d2l
    from d2l_ext.fast.mxnet import loss, net

    class RecordingScheduler(d2l.CosineScheduler):
        def __call__(self, num_update):
            self.calls.append(num_update)
            return super().__call__(num_update)

    determinism.seed_everything(mx.random.seed)
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=BATCH["mxnet"])
    n = len(train_iter)
    schedule = RecordingScheduler(max_update=n, base_lr=0.2, final_lr=0.05)
    schedule.calls = []
    net.initialize(force_reinit=True, ctx=d2l.try_gpu(), init=mx.init.Xavier())  # as the chapter's cells do
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"lr_scheduler": schedule})
    d2l.train(net, train_iter, test_iter, 1, loss, trainer, d2l.try_gpu())
    assert sorted(set(schedule.calls)) == list(range(1, n + 1))  # update k (from 1) trains at schedule(k)
    assert trainer.learning_rate == schedule(n) == pytest.approx(0.05)
    assert d2l.evaluate_accuracy_gpu(net, test_iter) > MIN_ACCURACY


def test_tensorflow_train_sets_the_scheduler_at_the_start_of_each_epoch(tf):
    from d2l_ext import tensorflow as d2l
    from d2l_ext.fast.tensorflow import net

    determinism.seed_everything(tf.random.set_seed)
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=BATCH["tensorflow"])
    schedule, epochs_asked = d2l.CosineScheduler(max_update=4, base_lr=0.3, final_lr=0.01), []
    callback = tf.keras.callbacks.LearningRateScheduler(lambda epoch: epochs_asked.append(epoch) or schedule(epoch))
    model = d2l.train(net, train_iter, test_iter, 2, 0.5, custom_callback=callback)
    assert epochs_asked == [0, 1]  # epoch e trains at schedule(e)
    assert float(model.optimizer.lr) == pytest.approx(schedule(1), rel=1e-6)
    assert model.evaluate(test_iter, verbose=0, return_dict=True)["accuracy"] > MIN_ACCURACY
