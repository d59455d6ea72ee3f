"""Drop-in for `d2l.torch`: all of it, plus an offline in-memory Fashion-MNIST loader and the chapter's code.

`from d2l_ext import torch as d2l` gives everything `from d2l import torch as d2l` gives.
"""

import functools
import sys

from d2l_ext import dropin

dropin.before_framework()

import torch  # noqa: E402
from d2l import torch as _d2l  # noqa: E402
from d2l.torch import *  # noqa: E402,F401,F403  the deliberate re-export that makes this a drop-in
from torch.optim import lr_scheduler  # noqa: E402

from d2l_ext import data  # noqa: E402
from d2l_ext.animator import ThrottledAnimatorMixin  # noqa: E402
from d2l_ext.batches import BatchLoader  # noqa: E402
from d2l_ext.schedulers import *  # noqa: E402,F403  the chapter's schedulers, as d2l.<Name>

d2l = sys.modules[__name__]
dropin.after_d2l(__name__, _d2l, torch.manual_seed)


class Animator(ThrottledAnimatorMixin, _d2l.Animator):
    """d2l's Animator, redrawing at most twice a second and a tenth of the time (same final figure)."""


def resize_batch(X, size):
    """Bilinear, antialiased resize of an NCHW batch (torchvision's Resize on tensors does the same)."""
    size = (size, size) if isinstance(size, int) else tuple(size)
    return torch.nn.functional.interpolate(X, size=size, mode="bilinear", antialias=True, align_corners=False)


def to_tensors(split, device, quick=None):
    """One split as float32 (N, 1, 28, 28) images in [0, 1] and int64 labels, on `device` (quick: see data)."""
    images, labels = data.load_split(split, quick)
    X = torch.tensor(images, device=device).unsqueeze(1).float().div_(255)  # a copy: the buffer is read-only
    return X, torch.from_numpy(labels.astype("int64")).to(device)


def load_data_fashion_mnist(batch_size, resize=None):
    """Fashion-MNIST from local files (see d2l_ext.data), held on d2l.try_gpu(); like d2l's loader."""
    device = try_gpu()  # noqa: F405  (from d2l.torch)
    shape = functools.partial(resize_batch, size=resize) if resize else None
    shuffle = functools.partial(torch.randperm, device=device)
    return (
        BatchLoader(*to_tensors("train", device), batch_size, permute=shuffle, resize=shape),
        BatchLoader(*to_tensors("test", device), batch_size, resize=shape),
    )


# ---- generated — edit notebooks/lr-scheduler.md, then run `make notebooks` ----
# fmt: off
# The code is almost identical to `d2l.train_ch6` defined in the 
# lenet section of chapter convolutional neural networks
def train(net, train_iter, test_iter, num_epochs, loss, trainer, device, 
          scheduler=None):
    net.to(device)
    animator = d2l.Animator(xlabel='epoch', xlim=[0, num_epochs],
                            legend=['train loss', 'train acc', 'test acc'])

    for epoch in range(num_epochs):
        metric = d2l.Accumulator(3)  # train_loss, train_acc, num_examples
        for i, (X, y) in enumerate(train_iter):
            net.train()
            trainer.zero_grad()
            X, y = X.to(device), y.to(device)
            y_hat = net(X)
            l = loss(y_hat, y)
            l.backward()
            trainer.step()
            with torch.no_grad():
                metric.add(l * X.shape[0], d2l.accuracy(y_hat, y), X.shape[0])
            train_loss = metric[0] / metric[2]
            train_acc = metric[1] / metric[2]
            if (i + 1) % 50 == 0:
                animator.add(epoch + i / len(train_iter),
                             (train_loss, train_acc, None))
        
        test_acc = d2l.evaluate_accuracy_gpu(net, test_iter)
        animator.add(epoch+1, (None, None, test_acc))
    
        if scheduler:
            if scheduler.__module__ == lr_scheduler.__name__:
                # Using PyTorch In-Built scheduler
                scheduler.step()
            else:
                # Using custom defined scheduler
                for param_group in trainer.param_groups:
                    param_group['lr'] = scheduler(epoch)

    print(f'train loss {train_loss:.3f}, train acc {train_acc:.3f}, '
          f'test acc {test_acc:.3f}')
# fmt: on
# ---- end of generated code ----
