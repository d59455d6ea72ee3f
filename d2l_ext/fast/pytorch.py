"""The chapter's PyTorch runs, fast: device-resident data, metrics summed on the device, one sync per epoch.

Modes: `eager` runs torch.optim.SGD step by step; `graph` (CUDA only) captures one whole training step
(gather the batch by index, forward, backward, SGD update, metric sums) as a CUDA graph once, then replays
it for every full batch of every run: LeNet on Fashion-MNIST is launch-bound, so this is where a GPU's
time goes. `auto` picks `graph` on a GPU, `eager` elsewhere. With `together`, every chosen run trains in one
step per batch (d2l_ext/fast/together.py), eagerly or as one captured graph.
"""

import os
import time
import warnings

import torch
from torch import nn
from torch.optim import lr_scheduler

from d2l_ext import determinism
from d2l_ext.fast.together import TogetherStep
from d2l_ext.schedulers import CosineScheduler, SquareRootScheduler
from d2l_ext.torch import to_tensors, try_gpu

# run -> (initial lr, scheduler factory): the chapter's PyTorch cells, stepped once per epoch as there; a Trainer
# also takes such a pair itself as a run (the exercise sweeps, d2l_ext/sweep)
SCHEDULES = {
    "constant": (0.3, lambda opt: None),
    "square_root": (0.1, lambda opt: SquareRootScheduler(lr=0.1)),
    "piecewise": (0.5, lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[15, 30], gamma=0.5)),
    "cosine": (0.3, lambda opt: CosineScheduler(max_update=20, base_lr=0.3, final_lr=0.01)),
    "cosine_warmup": (0.3, lambda opt: CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01)),
}
MODES = ("auto", "eager", "graph")
# test-set slice per device: few launches on a GPU; on a CPU big slices fall out of cache (10 000 test images in
# 0.52-0.59 s as slices of 2500, 0.26-0.29 s as slices of 64-512, this 2-core machine)
EVAL_BATCH = {"cuda": 2500, "cpu": 256}
WARMUP_STEPS = 3  # eager steps before capture: cuDNN picks its algorithms, the allocator settles
UNSTEPPED_OPTIMIZER = r"Detected call of `lr_scheduler.step\(\)` before `optimizer.step\(\)`"
ENV_COMPILE = "D2L_EXT_COMPILE"  # "1": torch.compile the model in eager mode (opt-in)


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
# fmt: on
# ---- end of generated code ----


def spec(run):
    """A run's (initial lr, scheduler factory): SCHEDULES' for a name, else the pair itself."""
    return SCHEDULES[run] if isinstance(run, str) else run


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
        self.lr = torch.tensor(float(lr), device=X_all.device)
        self.sums = torch.zeros(2, device=X_all.device)  # loss sum, correct: this epoch so far

    def __call__(self, idx):
        """Gather, forward, backward, `p -= lr * grad` (as torch.optim.SGD without momentum), add metrics."""
        X, y = self.X_all[idx], self.y_all[idx]
        y_hat = self.net(X)
        loss = self.loss(y_hat, y)
        grads = torch.autograd.grad(loss, self.params)
        with torch.no_grad():
            torch._foreach_sub_(self.params, torch._foreach_mul(grads, self.lr))
            self.sums += torch.stack((loss.detach() * len(idx), (y_hat.argmax(1) == y).sum().float()))


@torch.no_grad()
def load(step, weights):
    """Copy weights (in the order of step.params) into a functional step; zero its sums."""
    torch._foreach_copy_(step.params, [w.detach() for w in weights])
    step.sums.zero_()


def advance(optimizer, scheduler, epoch):
    """Step a run's schedule after `epoch`, as the chapter's PyTorch `train` does."""
    if isinstance(scheduler, lr_scheduler.LRScheduler):
        with warnings.catch_warnings():  # a functional step moves the weights: this optimizer only holds the lr
            warnings.filterwarnings("ignore", message=UNSTEPPED_OPTIMIZER)
            scheduler.step()
    elif scheduler is not None:
        for group in optimizer.param_groups:
            group["lr"] = scheduler(epoch)


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
    """Holds the data on the device once; trains the chapter's net_fn for any run of SCHEDULES."""

    def __init__(self, batch_size, mode="auto", together=()):
        self.net_fn, self.loss, self.batch_size = net_fn, loss, batch_size
        self.device = try_gpu()
        self.mode = resolve_mode(mode, self.device)
        # cuDNN's algorithm search (process-wide): shapes are fixed, and a graph keeps what the warm-up picked
        torch.backends.cudnn.benchmark = self.mode == "graph"
        self.train_data, self.test_data = to_tensors("train", self.device), to_tensors("test", self.device)
        self.compile = os.environ.get(ENV_COMPILE) == "1" and self.mode == "eager"
        self.together = tuple(together)
        start = time.monotonic()
        if self.together:
            self.step = TogetherStep(
                self.net_fn().to(self.device),
                self.loss,
                *self.train_data,
                lrs=[spec(run)[0] for run in self.together],
            )
            if self.mode == "graph":
                self.graph = GraphStep(self.step, batch_size)
            else:
                self.step(self.batches()[0])
        elif self.mode == "graph":
            net = self.net_fn().to(self.device)
            self.graph = GraphStep(Step(net, self.loss, *self.train_data, lr=0.1), batch_size)
        else:
            net = self.new_net()
            self.epoch(net, torch.optim.SGD(net.parameters(), lr=0.1), max_batches=WARMUP_STEPS)
        self.synchronize()
        self.warmup_s = round(time.monotonic() - start, 2)

    def synchronize(self):
        """Wait for the device (timings must include the queued work)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def new_net(self):
        """A fresh chapter LeNet on the device (compiled when asked)."""
        net = self.net_fn().to(self.device)
        return torch.compile(net) if self.compile else net

    def batches(self):
        """This epoch's shuffled index batches."""
        order = torch.randperm(len(self.train_data[1]), device=self.device)
        return [order[s : s + self.batch_size] for s in range(0, len(order), self.batch_size)]

    def epoch(self, net, optimizer, max_batches=None):
        """One eager pass over the training data; returns (loss sum, correct) as a device tensor."""
        X_all, y_all = self.train_data
        sums = torch.zeros(2, device=self.device)
        net.train()
        for idx in self.batches()[:max_batches]:
            X, y = X_all[idx], y_all[idx]
            optimizer.zero_grad(set_to_none=True)
            y_hat = net(X)
            loss = self.loss(y_hat, y)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                sums += torch.stack((loss * len(y), (y_hat.argmax(1) == y).sum().float()))
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

    def train(self, run, num_epochs, seed=None):
        """Train one run (of SCHEDULES, or an (lr, factory) pair); a list of per-epoch records."""
        if self.together:
            raise ValueError(f"this Trainer trains {len(self.together)} runs together: call train_together")
        determinism.seed_everything(torch.manual_seed, seed)
        lr, make_scheduler = spec(run)
        net = self.new_net()
        optimizer = torch.optim.SGD(net.parameters(), lr=lr)  # holds the lr the schedulers set
        scheduler, history = make_scheduler(optimizer), []
        if self.mode == "graph":
            load(self.graph.step, net.parameters())
            net = self.graph.step.net
        count = len(self.train_data[1])
        for epoch in range(num_epochs):
            start, lr_used = time.monotonic(), optimizer.param_groups[0]["lr"]
            sums = self.step_epoch(self.graph.step, lr_used) if self.mode == "graph" else self.epoch(net, optimizer)
            loss_sum, correct = sums.tolist()
            test_acc = self.correct(net).item() / len(self.test_data[1])
            history.append(
                {
                    "epoch": epoch + 1,
                    "lr": lr_used,
                    "train_loss": loss_sum / count,
                    "train_acc": correct / count,
                    "test_acc": test_acc,
                    "time_s": round(time.monotonic() - start, 4),
                }
            )
            advance(optimizer, scheduler, epoch)
        return history

    def train_together(self, num_epochs, seed=None):
        """Train every run of `together` at once; {run: per-epoch records}, each epoch's time shared by all."""
        determinism.seed_everything(torch.manual_seed, seed)  # the same weights and batch order each run gets alone
        load(self.step, self.step.stacked(self.net_fn().to(self.device)))
        clocks = {}  # run -> (an optimizer holding the run's lr, its scheduler): the weights live in the step
        for run in self.together:
            lr, make_scheduler = spec(run)
            optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=lr)
            clocks[run] = optimizer, make_scheduler(optimizer)
        histories, count, n_test = {run: [] for run in self.together}, len(self.train_data[1]), len(self.test_data[1])
        for epoch in range(num_epochs):
            start = time.monotonic()
            lrs = [optimizer.param_groups[0]["lr"] for optimizer, _ in clocks.values()]
            sums = self.step_epoch(self.step, lrs).tolist()
            correct = sum(self.step.correct(X, y) for X, y in self.test_batches()).tolist()
            time_s = round(time.monotonic() - start, 4)
            for i, (run, (optimizer, scheduler)) in enumerate(clocks.items()):
                histories[run].append(
                    {
                        "epoch": epoch + 1,
                        "lr": lrs[i],
                        "train_loss": sums[i][0] / count,
                        "train_acc": sums[i][1] / count,
                        "test_acc": correct[i] / n_test,
                        "time_s": time_s,
                    }
                )
                advance(optimizer, scheduler, epoch)
        return histories
