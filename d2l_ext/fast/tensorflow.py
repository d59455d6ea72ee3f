"""The chapter's TensorFlow runs, fast: Keras fit on in-memory tensors, several steps per call, no per-batch sync."""

import time

import tensorflow as tf
from tensorflow.keras.callbacks import LearningRateScheduler

from d2l_ext import data, determinism
from d2l_ext.schedulers import CosineScheduler, MultiFactorScheduler, SquareRootScheduler

# run -> (initial lr, schedule factory): the chapter's TensorFlow cells, called once per epoch as there
SCHEDULES = {
    "constant": (0.3, lambda: None),
    "square_root": (0.1, lambda: SquareRootScheduler(lr=0.1)),
    "piecewise": (0.1, lambda: MultiFactorScheduler(step=[15, 30], factor=0.5, base_lr=0.5)),
    "cosine": (0.1, lambda: CosineScheduler(max_update=20, base_lr=0.3, final_lr=0.01)),
    "cosine_warmup": (0.1, lambda: CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01)),
}
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
# fmt: on
# ---- end of generated code ----


class EpochClock(tf.keras.callbacks.Callback):
    """Wall time and learning rate of each epoch (validation included)."""

    def on_train_begin(self, logs=None):
        self.times, self.lrs = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.monotonic()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.monotonic() - self.start)
        self.lrs.append(float(tf.keras.backend.get_value(self.model.optimizer.learning_rate)))


def arrays(split):
    """One split as float32 (N, 28, 28, 1) images in [0, 1] and int32 labels (the d2l layout)."""
    images, labels = data.load_split(split)
    return images[..., None].astype("float32") / 255, labels.astype("int32")


class Trainer:
    """Holds the data in memory once; trains the chapter's `net` for any run of SCHEDULES."""

    mode = "tf.function"  # the one mode here (Keras fit, several steps per call); `--mode` is for PyTorch

    def __init__(self, batch_size):
        self.net_fn = net
        self.batch_size, self.train_data, self.test_data = batch_size, arrays("train"), arrays("test")
        start = time.monotonic()
        self.fit(self.compiled(0.1), 1, [], max_examples=3 * batch_size)
        self.warmup_s = round(time.monotonic() - start, 2)

    def compiled(self, lr):
        """A fresh chapter net, compiled with the chapter's SGD and loss."""
        net = self.net_fn()
        net.compile(
            optimizer=tf.keras.optimizers.SGD(learning_rate=lr),
            loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
            metrics=["accuracy"],
            steps_per_execution=STEPS_PER_EXECUTION,
        )
        return net

    def fit(self, net, num_epochs, callbacks, max_examples=None):
        """Keras fit over the training data with per-epoch test accuracy."""
        (X, y), test = self.train_data, self.test_data
        return net.fit(
            X[:max_examples],
            y[:max_examples],
            batch_size=self.batch_size,
            epochs=num_epochs,
            validation_data=test,
            validation_batch_size=EVAL_BATCH,
            callbacks=callbacks,
            verbose=0,
        )

    def train(self, run, num_epochs, seed=None):
        """Train one run (of SCHEDULES, or an (lr, factory) pair as the sweeps give); a list of per-epoch records."""
        determinism.seed_everything(tf.random.set_seed, seed)
        lr, make_schedule = SCHEDULES[run] if isinstance(run, str) else run
        schedule, clock = make_schedule(), EpochClock()
        callbacks = [clock] + ([LearningRateScheduler(schedule)] if schedule else [])
        logs = self.fit(self.compiled(lr), num_epochs, callbacks).history
        return [
            {
                "epoch": e + 1,
                "lr": clock.lrs[e],
                "train_loss": logs["loss"][e],
                "train_acc": logs["accuracy"][e],
                "test_acc": logs["val_accuracy"][e],
                "time_s": round(clock.times[e], 4),
            }
            for e in range(num_epochs)
        ]
