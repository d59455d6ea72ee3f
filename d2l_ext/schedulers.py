"""The chapter's learning-rate schedulers, exactly as the chapter writes them (framework-free).

The section below is copied from notebooks/lr-scheduler.md by `make notebooks` (tools/codegen.py);
`make check-generated` fails when it drifts. The classes are stateful, as in the chapter; the stateless
counterparts and MXNet's PolyScheduler (exercise 2) live in d2l_ext/stateless.py and are re-exported here.
"""

import math

from d2l_ext.stateless import (  # noqa: F401  re-exported: d2l_ext.schedulers.PolyScheduler etc.
    CosineSchedule,
    FactorSchedule,
    MultiFactorSchedule,
    PolyScheduler,
    SquareRootSchedule,
)

# what a drop-in re-exports (`from d2l_ext.schedulers import *`): the chapter's classes and MXNet's PolyScheduler
__all__ = ["SquareRootScheduler", "FactorScheduler", "MultiFactorScheduler", "CosineScheduler", "PolyScheduler"]


# ---- generated — edit notebooks/lr-scheduler.md, then run `make notebooks` ----
# fmt: off
class SquareRootScheduler:
    def __init__(self, lr=0.1):
        self.lr = lr

    def __call__(self, num_update):
        return self.lr * pow(num_update + 1.0, -0.5)


class FactorScheduler:
    def __init__(self, factor=1, stop_factor_lr=1e-7, base_lr=0.1):
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.base_lr = base_lr

    def __call__(self, num_update):
        self.base_lr = max(self.stop_factor_lr, self.base_lr * self.factor)
        return self.base_lr


class MultiFactorScheduler:
    def __init__(self, step, factor, base_lr):
        self.step = step
        self.factor = factor
        self.base_lr = base_lr
  
    def __call__(self, epoch):
        if epoch in self.step:
            self.base_lr = self.base_lr * self.factor
            return self.base_lr
        else:
            return self.base_lr


class CosineScheduler:
    def __init__(self, max_update, base_lr=0.01, final_lr=0,
               warmup_steps=0, warmup_begin_lr=0):
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.warmup_steps = warmup_steps
        self.warmup_begin_lr = warmup_begin_lr
        self.max_steps = self.max_update - self.warmup_steps
  
    def get_warmup_lr(self, epoch):
        increase = (self.base_lr_orig - self.warmup_begin_lr) \
                       * float(epoch) / float(self.warmup_steps)
        return self.warmup_begin_lr + increase

    def __call__(self, epoch):
        if epoch < self.warmup_steps:
            return self.get_warmup_lr(epoch)
        if epoch <= self.max_update:
            self.base_lr = self.final_lr + (
                self.base_lr_orig - self.final_lr) * (1 + math.cos(
                math.pi * (epoch - self.warmup_steps) / self.max_steps)) / 2
        return self.base_lr
# fmt: on
# ---- end of generated code ----
