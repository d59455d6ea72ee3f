"""The chapter's PyTorch runs, fast: device-resident data, metrics summed on the device, one sync per epoch."""
import os
import time

import torch
from torch.optim import lr_scheduler

from d2l_ext import chapter, determinism
from d2l_ext.schedulers import CosineScheduler, SquareRootScheduler
from d2l_ext.torch import to_tensors, try_gpu

# run -> (initial lr, scheduler factory): the chapter's PyTorch cells, stepped once per epoch as there
SCHEDULES = {
    "constant": (0.3, lambda opt: None),
    "square_root": (0.1, lambda opt: SquareRootScheduler(lr=0.1)),
    "piecewise": (0.5, lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[15, 30], gamma=0.5)),
    "cosine": (0.3, lambda opt: CosineScheduler(max_update=20, base_lr=0.3, final_lr=0.01)),
    "cosine_warmup": (0.3, lambda opt: CosineScheduler(20, warmup_steps=5, base_lr=0.3, final_lr=0.01)),
}
EVAL_BATCH = 2500
ENV_COMPILE = "D2L_EXT_COMPILE"  # "1": torch.compile the model (pays off on a GPU, not on a 2-core CPU)


class Trainer:
    """Holds the data on the device once; trains the chapter's net_fn for any run of SCHEDULES."""

    def __init__(self, batch_size):
        namespace = chapter.setup_namespace("pytorch")  # the chapter's own net_fn and loss
        self.net_fn, self.loss, self.batch_size = namespace["net_fn"], namespace["loss"], batch_size
        self.device = try_gpu()
        self.train_data, self.test_data = to_tensors("train", self.device), to_tensors("test", self.device)
        self.compile = os.environ.get(ENV_COMPILE) == "1"
        start = time.monotonic()
        net = self.new_net()
        self.epoch(net, torch.optim.SGD(net.parameters(), lr=0.1), max_batches=3)
        self.warmup_s = round(time.monotonic() - start, 2)

    def new_net(self):
        """A fresh chapter LeNet on the device (compiled when asked)."""
        net = self.net_fn().to(self.device)
        return torch.compile(net) if self.compile else net

    def epoch(self, net, optimizer, max_batches=None):
        """One pass over the training data; returns (loss sum, correct) as a device tensor, and the count."""
        X_all, y_all = self.train_data
        order = torch.randperm(len(y_all), device=self.device)
        sums, count = torch.zeros(2, device=self.device), 0
        net.train()
        for b, start in enumerate(range(0, len(y_all), self.batch_size)):
            if max_batches is not None and b >= max_batches:
                break
            idx = order[start:start + self.batch_size]
            X, y = X_all[idx], y_all[idx]
            optimizer.zero_grad(set_to_none=True)
            y_hat = net(X)
            loss = self.loss(y_hat, y)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                sums += torch.stack((loss * len(y), (y_hat.argmax(1) == y).sum().float()))
            count += len(y)
        return sums, count

    @torch.no_grad()
    def correct(self, net):
        """Number of correct test predictions, as a device tensor."""
        net.eval()
        X_all, y_all = self.test_data
        return sum((net(X_all[s:s + EVAL_BATCH]).argmax(1) == y_all[s:s + EVAL_BATCH]).sum()
                   for s in range(0, len(y_all), EVAL_BATCH))

    def train(self, run, num_epochs):
        """Train one run of SCHEDULES; a list of per-epoch records."""
        determinism.seed_everything("torch")
        lr, make_scheduler = SCHEDULES[run]
        net = self.new_net()
        optimizer = torch.optim.SGD(net.parameters(), lr=lr)
        scheduler, history = make_scheduler(optimizer), []
        for epoch in range(num_epochs):
            start, lr_used = time.monotonic(), optimizer.param_groups[0]["lr"]
            sums, count = self.epoch(net, optimizer)
            loss_sum, correct = sums.tolist()
            test_acc = self.correct(net).item() / len(self.test_data[1])
            history.append({"epoch": epoch + 1, "lr": lr_used, "train_loss": loss_sum / count,
                            "train_acc": correct / count, "test_acc": test_acc,
                            "time_s": round(time.monotonic() - start, 4)})
            if isinstance(scheduler, lr_scheduler.LRScheduler):
                scheduler.step()
            elif scheduler is not None:
                for group in optimizer.param_groups:
                    group["lr"] = scheduler(epoch)
        return history
