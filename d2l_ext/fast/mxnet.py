"""The chapter's MXNet runs, fast: hybridized net, device-resident data, metrics on the device, one sync per epoch.

A run is the Gluon Trainer's options and its epoch count; Gluon calls a scheduler once per update, as in the chapter.
`chapter_run()` gives the chapter's five, each scheduler in the state the chapter's cells leave it in.
"""

import copy
import functools
import time

from d2l_ext.mxnet import to_arrays, try_gpu  # first: it sets MXNet's CPU threading before MXNet loads

# isort: split
import numpy as onp
from mxnet import autograd, gluon, init, lr_scheduler, np
from mxnet import random as mx_random
from mxnet.gluon import nn

from d2l_ext import determinism, fast

EVAL_BATCH = 2500


# the chapter's model and loss (its MXNet tab's first cell)
# ---- generated — edit notebooks/lr-scheduler.md, then run `make notebooks` ----
# fmt: off
net = nn.HybridSequential()
net.add(nn.Conv2D(channels=6, kernel_size=5, padding=2, activation='relu'),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Conv2D(channels=16, kernel_size=5, activation='relu'),
        nn.MaxPool2D(pool_size=2, strides=2),
        nn.Dense(120, activation='relu'),
        nn.Dense(84, activation='relu'),
        nn.Dense(10))
net.hybridize()


loss = gluon.loss.SoftmaxCrossEntropyLoss()


def chapter_runs(
    *, FactorScheduler, SquareRootScheduler, d2l, device, gluon, init, loss, lr_scheduler, net, np,
    test_iter, train, train_iter
):
    """The chapter's mxnet code after its first cell, its classes left out: one `train(...)` call per run."""
    lr, num_epochs = 0.3, 30
    net.initialize(force_reinit=True, ctx=device, init=init.Xavier())
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': lr})
    train(net, train_iter, test_iter, num_epochs, loss, trainer, device)
    trainer.set_learning_rate(0.1)
    print(f'learning rate is now {trainer.learning_rate:.2f}')
    scheduler = SquareRootScheduler(lr=0.1)
    d2l.plot(d2l.arange(num_epochs), [scheduler(t) for t in range(num_epochs)])
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': scheduler})
    train(net, train_iter, test_iter, num_epochs, loss, trainer, device)
    scheduler = FactorScheduler(factor=0.9, stop_factor_lr=1e-2, base_lr=2.0)
    d2l.plot(d2l.arange(50), [scheduler(t) for t in range(50)])
    scheduler = lr_scheduler.MultiFactorScheduler(step=[15, 30], factor=0.5,
                                                  base_lr=0.5)
    d2l.plot(d2l.arange(num_epochs), [scheduler(t) for t in range(num_epochs)])
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': scheduler})
    train(net, train_iter, test_iter, num_epochs, loss, trainer, device)
    scheduler = lr_scheduler.CosineScheduler(max_update=20, base_lr=0.3,
                                             final_lr=0.01)
    d2l.plot(d2l.arange(num_epochs), [scheduler(t) for t in range(num_epochs)])
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': scheduler})
    train(net, train_iter, test_iter, num_epochs, loss, trainer, device)
    scheduler = lr_scheduler.CosineScheduler(20, warmup_steps=5, base_lr=0.3,
                                             final_lr=0.01)
    d2l.plot(np.arange(num_epochs), [scheduler(t) for t in range(num_epochs)])
    trainer = gluon.Trainer(net.collect_params(), 'sgd',
                            {'lr_scheduler': scheduler})
    train(net, train_iter, test_iter, num_epochs, loss, trainer, device)
# fmt: on
# ---- end of generated code ----


def trainer_options(net, train_iter, test_iter, num_epochs, loss, trainer, device):
    """One chapter run: (its Trainer's options, a copy of its scheduler as the chapter's cells left it; epochs)."""
    optimizer = trainer.optimizer
    if optimizer.lr_scheduler is None:
        return {"learning_rate": optimizer.lr}, num_epochs
    return {"lr_scheduler": copy.deepcopy(optimizer.lr_scheduler)}, num_epochs


@functools.cache
def chapter_options():
    """{run: (Trainer options, epochs)}, from the chapter's MXNet cells (`chapter_runs`)."""
    return fast.settings(
        chapter_runs,
        trainer_options,
        net=net,
        loss=loss,
        device=try_gpu(),
        gluon=gluon,
        init=init,
        np=np,
        lr_scheduler=lr_scheduler,
    )


def chapter_run(run, num_epochs=None):
    """One of the chapter's runs (fast.RUNS), its first `num_epochs` epochs (all for None)."""
    options, epochs = chapter_options()[run]
    return options, len(fast.epochs_of(range(epochs), num_epochs))


class Trainer:
    """Holds one data size on the device once; trains the chapter's hybridized net for any run (chapter_run)."""

    mode = "hybridized"  # the one mode here; `--mode` is for PyTorch

    def __init__(self, batch_size, quick):
        self.net, self.loss, self.batch_size = net, loss, batch_size
        self.ctx = try_gpu()
        self.train_data, self.test_data = to_arrays("train", self.ctx, quick), to_arrays("test", self.ctx, quick)
        start = time.monotonic()
        self.reset()
        loss_sum, _, _ = self.epoch(
            gluon.Trainer(self.net.collect_params(), "sgd", {"learning_rate": 0.1}), max_batches=3
        )
        loss_sum.item()  # MXNet runs asynchronously: wait for the warm-up to finish
        self.warmup_s = round(time.monotonic() - start, 2)

    def reset(self):
        """Re-initialize the net's weights as the chapter does."""
        self.net.initialize(force_reinit=True, ctx=self.ctx, init=init.Xavier())

    def epoch(self, trainer, max_batches=None):
        """One pass over the training data; returns (loss sum, correct, count) as device arrays."""
        X_all, y_all = self.train_data
        order = np.array(onp.random.permutation(len(y_all)), ctx=self.ctx)
        loss_sum, correct, count = np.zeros(1, ctx=self.ctx), np.zeros(1, ctx=self.ctx), 0
        for b, start in enumerate(range(0, len(y_all), self.batch_size)):
            if max_batches is not None and b >= max_batches:
                break
            idx = order[start : start + self.batch_size]
            X, y = X_all[idx], y_all[idx]
            with autograd.record():
                y_hat = self.net(X)
                loss = self.loss(y_hat, y)
            loss.backward()
            trainer.step(X.shape[0])
            loss_sum = loss_sum + loss.sum()
            correct = correct + (y_hat.argmax(axis=1).astype("int32") == y).sum()
            count += X.shape[0]
        return loss_sum, correct, count

    def test_accuracy(self):
        """Accuracy on the test data (one sync)."""
        X_all, y_all = self.test_data
        correct = sum(
            (self.net(X_all[s : s + EVAL_BATCH]).argmax(axis=1).astype("int32") == y_all[s : s + EVAL_BATCH]).sum()
            for s in range(0, len(y_all), EVAL_BATCH)
        )
        return correct.item() / len(y_all)

    def train(self, run, seed=None):
        """Train one run (options, epochs) from weights seeded by `seed` (D2L_EXT_SEED's for None)."""
        options, num_epochs = run
        determinism.seed_everything(mx_random.seed, seed)
        self.reset()
        trainer = gluon.Trainer(self.net.collect_params(), "sgd", copy.deepcopy(options))
        history = []
        for epoch in range(num_epochs):
            start = time.monotonic()
            loss_sum, correct, count = self.epoch(trainer)
            loss_sum, correct = loss_sum.item(), correct.item()
            history.append(
                {
                    "epoch": epoch + 1,
                    "lr": trainer.learning_rate,
                    "train_loss": loss_sum / count,
                    "train_acc": correct / count,
                    "test_acc": self.test_accuracy(),
                    "time_s": round(time.monotonic() - start, 4),
                }
            )
        return history
