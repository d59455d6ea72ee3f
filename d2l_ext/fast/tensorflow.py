"""The chapter's TensorFlow runs, fast: Keras fit on in-memory tensors, several steps per call, no per-batch sync.

A run is its learning rate per epoch, set at each epoch's start as the chapter's LearningRateScheduler sets it:
`chapter_rates()` gives the chapter's five, and the exercise sweeps give their own.
"""

import functools
import time

from d2l_ext.tensorflow import to_arrays  # first: Keras 2, threads and a quiet log, set before TensorFlow loads

# isort: split
import tensorflow as tf
from tensorflow.keras.callbacks import LearningRateScheduler

from d2l_ext import determinism, fast

STEPS_PER_EXECUTION = 16  # train steps per tf.function call: fewer Python round trips
EVAL_BATCH = 2500


# the chapter's model (its TensorFlow tab's first cell)
# ---- generated — edit notebooks/lr-scheduler.md, then run `make notebooks` ----
# fmt: off
def net():
    return tf.keras.models.Sequential([
        tf.keras.layers.Conv2D(filters=6, kernel_size=5, activation='relu',
                               padding='same'),
        tf.keras.layers.AvgPool2D(pool_size=2, strides=2),
        tf.keras.layers.Conv2D(filters=16, kernel_size=5,
                               activation='relu'),
        tf.keras.layers.AvgPool2D(pool_size=2, strides=2),
        tf.keras.layers.Flatten(),
        tf.keras.layers.Dense(120, activation='relu'),
        tf.keras.layers.Dense(84, activation='sigmoid'),
        tf.keras.layers.Dense(10)])


def chapter_runs(
    *, CosineScheduler, FactorScheduler, LearningRateScheduler, MultiFactorScheduler,
    SquareRootScheduler, d2l, net, test_iter, tf, train, train_iter
):
    """The chapter's tensorflow code after its first cell, its classes left out: one `train(...)` call per run."""
    lr, num_epochs = 0.3, 30
    train(net, train_iter, test_iter, num_epochs, lr)
    lr = 0.1
    dummy_model = tf.keras.models.Sequential([tf.keras.layers.Dense(10)])
    dummy_model.compile(tf.keras.optimizers.SGD(learning_rate=lr), loss='mse')
    print(f'learning rate is now ,', dummy_model.optimizer.lr.numpy())
    scheduler = SquareRootScheduler(lr=0.1)
    d2l.plot(d2l.arange(num_epochs), [scheduler(t) for t in range(num_epochs)])
    train(net, train_iter, test_iter, num_epochs, lr,
          custom_callback=LearningRateScheduler(scheduler))
    scheduler = FactorScheduler(factor=0.9, stop_factor_lr=1e-2, base_lr=2.0)
    d2l.plot(d2l.arange(50), [scheduler(t) for t in range(50)])
    scheduler = MultiFactorScheduler(step=[15, 30], factor=0.5, base_lr=0.5)
    d2l.plot(d2l.arange(num_epochs), [scheduler(t) for t in range(num_epochs)])
    train(net, train_iter, test_iter, num_epochs, lr,
          custom_callback=LearningRateScheduler(scheduler))
    scheduler = CosineScheduler(max_update=20, base_lr=0.3, final_lr=0.01)
    d2l.plot(d2l.arange(num_epochs), [scheduler(t) for t in range(num_epochs)])
    train(net, train_iter, test_iter, num_epochs, lr,
          custom_callback=LearningRateScheduler(scheduler))
    scheduler = CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01)
    d2l.plot(d2l.arange(num_epochs), [scheduler(t) for t in range(num_epochs)])
    train(net, train_iter, test_iter, num_epochs, lr,
          custom_callback=LearningRateScheduler(scheduler))
# fmt: on
# ---- end of generated code ----


def epoch_rates(net_fn, train_iter, test_iter, num_epochs, lr, device=None, custom_callback=False):
    """Each epoch's learning rate in one chapter run: `lr`, or what its LearningRateScheduler gives at each epoch's
    start (Keras tries schedule(epoch, lr), then schedule(epoch), as it does in the chapter's `fit`)."""
    rates = []
    for epoch in range(num_epochs):
        if custom_callback:
            try:
                lr = custom_callback.schedule(epoch, lr)
            except TypeError:
                lr = custom_callback.schedule(epoch)
        rates.append(float(lr))
    return rates


@functools.cache
def chapter_rates():
    """{run: its learning rate per epoch}, from the chapter's TensorFlow cells (`chapter_runs`)."""
    return fast.settings(
        chapter_runs,
        epoch_rates,
        net=net,
        tf=tf,
        LearningRateScheduler=LearningRateScheduler,
    )


def chapter_run(run, num_epochs=None):
    """One of the chapter's runs (fast.RUNS): its rate per epoch, the first `num_epochs` (all for None)."""
    return fast.epochs_of(chapter_rates()[run], num_epochs)


class EpochClock(tf.keras.callbacks.Callback):
    """Wall time and learning rate of each epoch (validation included)."""

    def on_train_begin(self, logs=None):
        self.times, self.lrs = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.monotonic() - self.start)
        self.lrs.append(float(tf.keras.backend.get_value(self.model.optimizer.learning_rate)))


class Trainer:
    """Holds one data size in memory once; trains the chapter's `net` for any run (its rate per epoch)."""

    mode = "tf.function"  # the one mode here (Keras fit, several steps per call); `--mode` is for PyTorch

    def __init__(self, batch_size, quick):
        self.batch_size = batch_size
        self.train_data, self.test_data = to_arrays("train", quick), to_arrays("test", quick)
        start = time.monotonic()
        self.fit(self.compiled(0.1), 1, [], max_examples=3 * batch_size)
        self.warmup_s = round(time.monotonic() - start, 2)

    def compiled(self, lr):
        """A fresh chapter net, compiled with the chapter's SGD and loss."""
        model = net()
        model.compile(
            optimizer=tf.keras.optimizers.SGD(learning_rate=lr),
            loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
            steps_per_execution=STEPS_PER_EXECUTION,
        )
        return model

    def fit(self, model, num_epochs, callbacks, max_examples=None):
        """Keras fit over the training data with per-epoch test accuracy."""
        (X, y), test = self.train_data, self.test_data
        return model.fit(
            X[:max_examples],
            y[:max_examples],
            batch_size=self.batch_size,
            epochs=num_epochs,
            validation_data=test,
            validation_batch_size=EVAL_BATCH,
            callbacks=callbacks,
            verbose=0,
        )

    def train(self, rates, seed=None):
        """Train one run, epoch e at rates[e], from weights seeded by `seed` (D2L_EXT_SEED's for None)."""
        determinism.seed_everything(tf.random.set_seed, seed)
        clock = EpochClock()
        callbacks = [clock, LearningRateScheduler(lambda epoch: rates[epoch])]
        logs = self.fit(self.compiled(rates[0]), len(rates), callbacks).history
        return [
            {
                "epoch": e + 1,
                "lr": clock.lrs[e],
                "train_loss": logs["loss"][e],
                "train_acc": logs["accuracy"][e],
                "test_acc": logs["val_accuracy"][e],
                "time_s": round(clock.times[e], 4),
            }
            for e in range(len(rates))
        ]
