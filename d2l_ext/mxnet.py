"""Drop-in for `d2l.mxnet`: all of it, plus an offline in-memory Fashion-MNIST loader and the chapter's code.

`from d2l_ext import mxnet as d2l` gives everything `from d2l import mxnet as d2l` gives.
"""

import functools
import sys

from d2l_ext import dropin, mxnet_cpu

mxnet_cpu.configure()  # must run before MXNet loads: NaiveEngine, one OpenMP team
dropin.before_framework()

import numpy as onp  # noqa: E402
from d2l import mxnet as _d2l  # noqa: E402
from d2l.mxnet import *  # noqa: E402,F401,F403  the deliberate re-export that makes this a drop-in
from mxnet import autograd, init, np, npx  # noqa: E402
from mxnet import random as mx_random  # noqa: E402

from d2l_ext import data  # noqa: E402
from d2l_ext.animator import ThrottledAnimatorMixin  # noqa: E402
from d2l_ext.batches import BatchLoader  # noqa: E402
from d2l_ext.schedulers import *  # noqa: E402,F403  the chapter's schedulers, as d2l.<Name>

d2l = sys.modules[__name__]
npx.set_np()
dropin.after_d2l(__name__, _d2l, mx_random.seed)


class Animator(ThrottledAnimatorMixin, _d2l.Animator):
    """d2l's Animator, redrawing at most twice a second and a tenth of the time (same final figure)."""


def resize_batch(X, size):
    """Bilinear resize of an NCHW batch (d2l resizes each image before ToTensor)."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    return npx.image.resize(X.transpose(0, 2, 3, 1), size=size[::-1]).transpose(0, 3, 1, 2)


def to_arrays(split, ctx, quick=None):
    """One split as float32 (N, 1, 28, 28) images in [0, 1] and int32 labels, on `ctx` (quick: see data)."""
    images, labels = data.load_split(split, quick)
    X = np.array(images[:, None].astype("float32") / 255, ctx=ctx)
    return X, np.array(labels.astype("int32"), dtype="int32", ctx=ctx)


def load_data_fashion_mnist(batch_size, resize=None):
    """Fashion-MNIST from local files (see d2l_ext.data), held on d2l.try_gpu(); like d2l's loader."""
    ctx = try_gpu()  # noqa: F405  (from d2l.mxnet)
    shape = functools.partial(resize_batch, size=resize) if resize else None
    shuffle = lambda n: np.array(onp.random.permutation(n), ctx=ctx)  # noqa: E731
    return (
        BatchLoader(*to_arrays("train", ctx), batch_size, permute=shuffle, resize=shape),
        BatchLoader(*to_arrays("test", ctx), batch_size, resize=shape),
    )


# ---- generated — edit notebooks/lr-scheduler.md, then run `make notebooks` ----
# fmt: off
# The code is almost identical to `d2l.train_ch6` defined in the 
# lenet section of chapter convolutional neural networks
def train(net, train_iter, test_iter, num_epochs, loss, trainer, device):
    net.initialize(force_reinit=True, ctx=device, init=init.Xavier())
    animator = d2l.Animator(xlabel='epoch', xlim=[0, num_epochs],
                            legend=['train loss', 'train acc', 'test acc'])
    for epoch in range(num_epochs):
        metric = d2l.Accumulator(3)  # train_loss, train_acc, num_examples
        for i, (X, y) in enumerate(train_iter):
            X, y = X.as_in_ctx(device), y.as_in_ctx(device)
            with autograd.record():
                y_hat = net(X)
                l = loss(y_hat, y)
            l.backward()
            trainer.step(X.shape[0])
            metric.add(l.sum(), d2l.accuracy(y_hat, y), X.shape[0])
            train_loss = metric[0] / metric[2]
            train_acc = metric[1] / metric[2]
            if (i + 1) % 50 == 0:
                animator.add(epoch + i / len(train_iter),
                             (train_loss, train_acc, None))
        test_acc = d2l.evaluate_accuracy_gpu(net, test_iter)
        animator.add(epoch + 1, (None, None, test_acc))
    print(f'train loss {train_loss:.3f}, train acc {train_acc:.3f}, '
          f'test acc {test_acc:.3f}')
# fmt: on
# ---- end of generated code ----
