"""Any d2l_ext schedule (a callable step -> lr, the chapter's classes included) as a framework's own object.

Each framework is imported inside the function that needs it: importing this module loads none of them.
Clocks: `to_torch` counts `.step()` calls (per epoch or per batch, as the caller steps it); Keras'
LearningRateSchedule counts applied updates (`optimizer.iterations`), its callback counts epochs; MXNet's
Gluon Trainer counts updates from 1 (`num_update`), so its first update uses schedule(1).
Prefer `d2l_ext.stateless` schedules: Keras also calls the schedule once when the optimizer is made, and MXNet once
per group of up to 4 parameters and on every read of `trainer.learning_rate`; each extra call advances a stateful class.
"""

import functools
import math
from numbers import Real


def _checked(schedule):
    """`schedule` if it can be called with a step, else fail."""
    if not callable(schedule):
        raise TypeError(f"schedule={schedule!r}: must be a callable step -> learning rate")
    return schedule


def rate(schedule, step):
    """schedule(step) as a float, if it is a rate a framework can train with (a finite number >= 0)."""
    value = schedule(step)
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{schedule!r} gave {value!r} at step {step}: a learning rate must be a finite number >= 0")
    return float(value)


@functools.lru_cache(maxsize=None)
def _torch_class():
    """The torch LRScheduler subclass, defined once torch is imported."""
    from torch.optim.lr_scheduler import LRScheduler

    class ScheduleLR(LRScheduler):
        """Sets every param group's lr to schedule(k) after k calls of `.step()` (schedule(0) at start).

        The chapter's PyTorch `train` steps only schedulers defined in torch.optim.lr_scheduler; any other it calls
        with the epoch just finished and sets the rate it returns: here schedule(epoch + 1), what `.step()` sets."""

        def __init__(self, optimizer, schedule):
            self.schedule = schedule
            super().__init__(optimizer)

        def get_lr(self):
            return [rate(self.schedule, self.last_epoch)] * len(self.optimizer.param_groups)

        def __call__(self, epoch):
            return rate(self.schedule, epoch + 1)

    return ScheduleLR


def to_torch(schedule, optimizer):
    """A torch.optim.lr_scheduler.LRScheduler: optimizer's lr is schedule(k) after k `.step()` calls."""
    schedule = _checked(schedule)
    return _torch_class()(optimizer, schedule)


@functools.lru_cache(maxsize=None)
def _keras_class():
    """The Keras LearningRateSchedule subclass, defined once TensorFlow is imported."""
    import tensorflow as tf

    class ScheduleAsKeras(tf.keras.optimizers.schedules.LearningRateSchedule):
        """Keras calls it with `optimizer.iterations`: update k (from 0) uses schedule(k)."""

        def __init__(self, schedule):
            self.schedule = schedule

        def __call__(self, step):
            lr = tf.py_function(lambda k: rate(self.schedule, int(k)), [step], tf.float32)
            lr.set_shape(())
            return lr

        def get_config(self):
            raise NotImplementedError(f"{self.schedule!r} is Python code: save weights, not the optimizer config")

    return ScheduleAsKeras


def to_keras_schedule(schedule):
    """A tf.keras LearningRateSchedule for SGD(learning_rate=...): per update (batch), step -> schedule(step)."""
    schedule = _checked(schedule)
    return _keras_class()(schedule)


def to_keras_callback(schedule, verbose=0):
    """A tf.keras LearningRateScheduler callback: epoch e trains at schedule(e)."""
    schedule = _checked(schedule)  # first: a refused schedule loads no TensorFlow (and so chooses no Keras)
    import tensorflow as tf

    return tf.keras.callbacks.LearningRateScheduler(lambda epoch, lr: rate(schedule, epoch), verbose=verbose)


@functools.lru_cache(maxsize=None)
def _mxnet_class():
    """The MXNet LRScheduler subclass, defined once MXNet is imported."""
    from mxnet.lr_scheduler import LRScheduler

    class ScheduleAsMXNet(LRScheduler):
        """The Trainer calls it per update with num_update (1, 2, ...): the rate is schedule(num_update)."""

        def __init__(self, schedule):
            super().__init__()  # MXNet's defaults; its base_lr is never read: the schedule alone sets the rate
            self.schedule = schedule

        def __setattr__(self, name, value):
            if name == "base_lr" and "schedule" in self.__dict__:
                raise ValueError(
                    f"learning_rate={value!r}: leave it out of the optimizer's arguments; "
                    f"{self.schedule!r} sets the rate"
                )
            super().__setattr__(name, value)

        def __call__(self, num_update):
            return rate(self.schedule, num_update)

    return ScheduleAsMXNet


def to_mxnet(schedule):
    """An mxnet.lr_scheduler.LRScheduler for gluon.Trainer(..., {'lr_scheduler': ...})."""
    schedule = _checked(schedule)
    return _mxnet_class()(schedule)
