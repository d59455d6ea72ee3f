"""The chapter's PyTorch runs, fast: device-resident data, metrics summed on the device, one sync per epoch.

Modes: `eager` runs torch.optim.SGD step by step; `graph` (CUDA only) captures one whole training step
(gather the batch by index, forward, backward, SGD update, metric sums) as a CUDA graph once, then replays
it for every full batch of every run: LeNet on Fashion-MNIST is launch-bound, so this is where a GPU's
time goes. `auto` picks `graph` on a GPU, `eager` elsewhere. With `together`, every chosen run trains in one
step per batch (d2l_ext/fast/together.py), eagerly or as one captured graph. A run is its learning rate per
epoch: `chapter_rates()` gives the chapter's five, and the exercise sweeps give their own.
"""

import functools
import time
import warnings

from d2l_ext.torch import to_tensors, try_gpu  # first: threads from the CPU share, set before torch loads

# isort: split
import torch
from torch import nn
from torch.optim import lr_scheduler

from d2l_ext import determinism, fast
from d2l_ext.fast.together import TogetherStep

MODES = ("auto", "eager", "graph")
# test-set slice per device: few launches on a GPU; on a CPU big slices fall out of cache (10 000 test images in
# 0.52-0.59 s as slices of 2500, 0.26-0.29 s as slices of 64-512, this 2-core machine)
EVAL_BATCH = {"cuda": 2500, "cpu": 256}
WARMUP_STEPS = 3  # eager steps before capture: cuDNN picks its algorithms, the allocator settles
UNSTEPPED_OPTIMIZER = r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"


# the chapter's model and loss (its PyTorch tab's first cell)
# ---- generated — edit notebooks/lr-scheduler.md, then run `make notebooks` ----
# fmt: off
def net_fn():
    model = nn.Sequential(
        nn.Conv2d(1, 6, kernel_size=5, padding=2), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Conv2d(6, 16, kernel_size=5), nn.ReLU(),
        nn.MaxPool2d(kernel_size=2, stride=2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120), nn.ReLU(),
        nn.Linear(120, 84), nn.ReLU(),
        nn.Linear(84, 10))

    return model


loss = nn.CrossEntropyLoss()


def chapter_runs(
    *, CosineScheduler, FactorScheduler, SquareRootScheduler, d2l, device, loss, lr_scheduler, net_fn,
    test_iter, torch, train, train_iter
):
    """The chapter's pytorch code after its first cell, its classes left out: one `train(...)` call per run."""
    lr, num_epochs = 0.3, 30
    net = net_fn()
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    train(net, train_iter, test_iter, num_epochs, loss, trainer, device)
    lr = 0.1
    trainer.param_groups[0]["lr"] = lr
    print(f'learning rate is now {trainer.param_groups[0]["lr"]:.2f}')
    scheduler = SquareRootScheduler(lr=0.1)
    d2l.plot(d2l.arange(num_epochs), [scheduler(t) for t in range(num_epochs)])
    net = net_fn()
    trainer = torch.optim.SGD(net.parameters(), lr)
    train(net, train_iter, test_iter, num_epochs, loss, trainer, device, 
          scheduler)
    scheduler = FactorScheduler(factor=0.9, stop_factor_lr=1e-2, base_lr=2.0)
    d2l.plot(d2l.arange(50), [scheduler(t) for t in range(50)])
    net = net_fn()
    trainer = torch.optim.SGD(net.parameters(), lr=0.5)
    scheduler = lr_scheduler.MultiStepLR(trainer, milestones=[15, 30], gamma=0.5)
    def get_lr(trainer, scheduler):
        lr = scheduler.get_last_lr()[0]
        trainer.step()
        scheduler.step()
        return lr
    d2l.plot(d2l.arange(num_epochs), [get_lr(trainer, scheduler) 
                                      for t in range(num_epochs)])
    train(net, train_iter, test_iter, num_epochs, loss, trainer, device, 
          scheduler)
    scheduler = CosineScheduler(max_update=20, base_lr=0.3, final_lr=0.01)
    d2l.plot(d2l.arange(num_epochs), [scheduler(t) for t in range(num_epochs)])
    net = net_fn()
    trainer = torch.optim.SGD(net.parameters(), lr=0.3)
    train(net, train_iter, test_iter, num_epochs, loss, trainer, device, 
          scheduler)
    scheduler = CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01)
    d2l.plot(d2l.arange(num_epochs), [scheduler(t) for t in range(num_epochs)])
    net = net_fn()
    trainer = torch.optim.SGD(net.parameters(), lr=0.3)
    train(net, train_iter, test_iter, num_epochs, loss, trainer, device, 
          scheduler)
# fmt: on
# ---- end of generated code ----


def resnet18(divisor=1):
    """The book's ResNet-18 for Fashion-MNIST (d2l.resnet18: a 3x3 first convolution, no max-pooling, d2l.Residual
    blocks) at 1/divisor of its width (64, 128, 256, 512 channels at divisor 1), its lazy layers shaped."""
    from d2l import torch as d2l

    widths = [64 // divisor * 2**stage for stage in range(4)]
    layers = [nn.Conv2d(1, widths[0], kernel_size=3, stride=1, padding=1), nn.BatchNorm2d(widths[0]), nn.ReLU()]
    for stage, width in enumerate(widths):
        layers += [d2l.Residual(width, use_1x1conv=stage > 0, strides=2 if stage else 1), d2l.Residual(width)]
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d((1, 1)), nn.Flatten(), nn.Linear(widths[-1], 10))
    model(torch.zeros(1, 1, 28, 28))
    return model


def named_net(name):
    """The net a sweep's config names: 'lenet' (the chapter's), 'resnet18' or 'resnet18/D' (at 1/D of its width)."""
    if name == "lenet":
        return net_fn
    kind, _, divisor = name.partition("/")
    divisor = divisor or "1"
    if kind != "resnet18" or not divisor.isdigit() or int(divisor) < 1:
        raise ValueError(f"net {name!r}: choose 'lenet', 'resnet18' or 'resnet18/D' (a whole divisor of its width)")
    return functools.partial(resnet18, int(divisor))


def epoch_rates(net, train_iter, test_iter, num_epochs, loss, trainer, device, scheduler=None):
    """Each epoch's learning rate in one chapter run, the scheduler stepped as the chapter's `train` steps it."""
    rates = []
    for epoch in range(num_epochs):
        rates.append(trainer.param_groups[0]["lr"])
        if scheduler and scheduler.__module__ == lr_scheduler.__name__:
            with warnings.catch_warnings():  # the chapter's `train` steps the optimizer first; nothing trains here
                warnings.filterwarnings("ignore", message=UNSTEPPED_OPTIMIZER)
                scheduler.step()
        elif scheduler:
            for param_group in trainer.param_groups:
                param_group["lr"] = scheduler(epoch)
    return rates


@functools.cache
def chapter_rates():
    """{run: its learning rate per epoch}, from the chapter's PyTorch cells (`chapter_runs`)."""
    return fast.settings(
        chapter_runs,
        epoch_rates,
        net_fn=net_fn,
        loss=loss,
        device=None,
        torch=torch,
        lr_scheduler=lr_scheduler,
    )


def chapter_run(run, num_epochs=None):
    """One of the chapter's runs (fast.RUNS): its rate per epoch, the first `num_epochs` (all for None)."""
    return fast.epochs_of(chapter_rates()[run], num_epochs)


def resolve_mode(mode, device):
    """The mode to use on `device`; a clear error for a graph on a device that has none."""
    if mode not in MODES:
        raise ValueError(f"mode={mode!r}: choose one of {', '.join(MODES)}")
    if mode == "auto":
        return "graph" if device.type == "cuda" else "eager"
    if mode == "graph" and device.type != "cuda":
        raise ValueError(f"mode='graph' needs a CUDA device, and this run has {device}: use mode='eager'")
    return mode


class Step:
    """One functional SGD step on a batch picked by index; lr is a device tensor so a graph can keep it."""

    def __init__(self, net, loss, X_all, y_all, lr):
        self.net, self.loss, self.X_all, self.y_all = net, loss, X_all, y_all
        self.params = [p for p in net.parameters() if p.requires_grad]
        self.lr = torch.tensor(float(lr), device=X_all.device, dtype=X_all.dtype)
        self.sums = torch.zeros(2, device=X_all.device, dtype=X_all.dtype)  # loss sum, correct: this epoch so far

    def __call__(self, idx):
        """Gather, forward, backward, `p -= lr * grad` (as torch.optim.SGD without momentum), add metrics."""
        X, y = self.X_all[idx], self.y_all[idx]
        y_hat = self.net(X)
        loss = self.loss(y_hat, y)
        grads = torch.autograd.grad(loss, self.params)
        with torch.no_grad():
            torch._foreach_sub_(self.params, torch._foreach_mul(grads, self.lr))
            self.sums += torch.stack((loss.detach() * len(idx), (y_hat.argmax(1) == y).sum().to(self.sums.dtype)))


@torch.no_grad()
def load(step, weights):
    """Copy weights (in the order of step.params) into a functional step; zero its sums."""
    torch._foreach_copy_(step.params, [w.detach() for w in weights])
    step.sums.zero_()


class GraphStep:
    """A Step captured once as a CUDA graph for full batches; `load(weights)` puts a fresh run's weights in."""

    def __init__(self, step, batch_size):
        self.step = step
        self.idx = torch.arange(batch_size, device=step.sums.device)
        initial = [p.detach().clone() for p in step.params]
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(WARMUP_STEPS):
                step(self.idx)
        torch.cuda.current_stream().wait_stream(side)
        self.graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(self.graph):
            step(self.idx)
        load(step, initial)

    def __call__(self, idx):
        """Replay the graph on these indices (a full batch)."""
        self.idx.copy_(idx)
        self.graph.replay()


class Trainer:
    """Holds one data size on the device once; trains the chapter's net_fn for any run (its rate per epoch).

    `dtype=torch.float64` trains in double precision: runs that differ only in float order (one by one or together)
    then agree to many digits instead of parting on LeNet's early plateau."""

    def __init__(self, batch_size, quick, mode="auto", together=(), dtype=torch.float32, net=net_fn):
        self.loss, self.batch_size, self.dtype, self.net_fn = loss, batch_size, dtype, net
        self.device = try_gpu()
        self.mode = resolve_mode(mode, self.device)
        # cuDNN's algorithm search (process-wide): shapes are fixed, and a graph keeps what the warm-up picked
        torch.backends.cudnn.benchmark = self.mode == "graph"
        self.train_data, self.test_data = (self.on_device(to_tensors(s, self.device, quick)) for s in ("train", "test"))
        self.together = [list(rates) for rates in together]
        start = time.monotonic()
        if self.together:
            lrs = [rates[0] for rates in self.together]
            self.step = TogetherStep(self.new_net(), self.loss, *self.train_data, lrs=lrs)
            if self.mode == "graph":
                self.graph = GraphStep(self.step, batch_size)
            else:
                self.step(self.batches()[0])
        elif self.mode == "graph":
            self.graph = GraphStep(Step(self.new_net(), self.loss, *self.train_data, lr=0.1), batch_size)
        else:
            net = self.new_net()
            self.epoch(net, torch.optim.SGD(net.parameters(), lr=0.1), max_batches=WARMUP_STEPS)
        self.synchronize()
        self.warmup_s = round(time.monotonic() - start, 2)

    def on_device(self, tensors):
        """Images in this Trainer's dtype, labels as they are."""
        X, y = tensors
        return X.to(self.dtype), y

    def synchronize(self):
        """Wait for the device (timings must include the queued work)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def new_net(self):
        """A fresh net (the chapter's LeNet unless told) on the device, in this Trainer's dtype."""
        return self.net_fn().to(self.device, self.dtype)

    def batches(self):
        """This epoch's shuffled index batches."""
        order = torch.randperm(len(self.train_data[1]), device=self.device)
        return [order[s : s + self.batch_size] for s in range(0, len(order), self.batch_size)]

    def epoch(self, net, optimizer, max_batches=None):
        """One eager pass over the training data; returns (loss sum, correct) as a device tensor."""
        X_all, y_all = self.train_data
        sums = torch.zeros(2, device=self.device, dtype=self.dtype)
        net.train()
        for idx in self.batches()[:max_batches]:
            X, y = X_all[idx], y_all[idx]
            optimizer.zero_grad(set_to_none=True)
            y_hat = net(X)
            loss = self.loss(y_hat, y)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                sums += torch.stack((loss * len(y), (y_hat.argmax(1) == y).sum().to(self.dtype)))
        return sums

    def step_epoch(self, step, lr):
        """One pass of a functional step at `lr` (a rate, or one per run); graph mode replays its full batches."""
        step.lr.copy_(torch.as_tensor(lr, dtype=step.lr.dtype))
        step.sums.zero_()
        runner = self.graph if self.mode == "graph" else step
        for idx in self.batches():
            (runner if len(idx) == self.batch_size else step)(idx)
        return step.sums

    def test_batches(self):
        """The test data in slices of this device's EVAL_BATCH."""
        (X_all, y_all), size = self.test_data, EVAL_BATCH[self.device.type]
        return [(X_all[s : s + size], y_all[s : s + size]) for s in range(0, len(y_all), size)]

    @torch.no_grad()
    def correct(self, net):
        """Number of correct test predictions, as a device tensor."""
        net.eval()
        return sum((net(X).argmax(1) == y).sum() for X, y in self.test_batches())

    def record(self, epoch, lr, sums, correct, seconds):
        """One epoch's figures: its rate, the mean train loss and accuracy, the test accuracy, its wall time."""
        (loss_sum, right), count, n_test = sums, len(self.train_data[1]), len(self.test_data[1])
        return {
            "epoch": epoch + 1,
            "lr": lr,
            "train_loss": loss_sum / count,
            "train_acc": right / count,
            "test_acc": correct / n_test,
            "time_s": round(seconds, 4),
        }

    def train(self, rates, seed=None):
        """Train one run, epoch e at rates[e], from weights seeded by `seed` (D2L_EXT_SEED's for None)."""
        if self.together:
            raise ValueError(f"this Trainer trains {len(self.together)} runs together: call train_together")
        determinism.seed_everything(torch.manual_seed, seed)
        net = self.new_net()
        optimizer, history = torch.optim.SGD(net.parameters(), lr=rates[0]), []
        if self.mode == "graph":
            load(self.graph.step, net.parameters())
            net = self.graph.step.net
        for epoch, lr in enumerate(rates):
            start = time.monotonic()
            for group in optimizer.param_groups:
                group["lr"] = lr
            sums = self.step_epoch(self.graph.step, lr) if self.mode == "graph" else self.epoch(net, optimizer)
            history.append(self.record(epoch, lr, sums.tolist(), self.correct(net).item(), time.monotonic() - start))
        return history

    def train_together(self, seed=None):
        """Train every run of `together` at once; one list of per-epoch records per run, each epoch's time shared."""
        epochs = {len(rates) for rates in self.together}
        if len(epochs) != 1:
            raise ValueError(f"runs trained together need the same number of epochs, got {sorted(epochs)}")
        determinism.seed_everything(torch.manual_seed, seed)  # the same weights and batch order each run gets alone
        load(self.step, self.step.stacked(self.new_net()))
        histories = [[] for _ in self.together]
        for epoch in range(epochs.pop()):
            start, lrs = time.monotonic(), [rates[epoch] for rates in self.together]
            sums = self.step_epoch(self.step, lrs).tolist()
            correct = sum(self.step.correct(X, y) for X, y in self.test_batches()).tolist()
            seconds = time.monotonic() - start
            for history, lr, run_sums, run_correct in zip(histories, lrs, sums, correct):
                history.append(self.record(epoch, lr, run_sums, run_correct, seconds))
        return histories
