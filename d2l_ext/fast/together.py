"""All of the chapter's PyTorch runs in one step: they share seed, initial weights and batch order and differ only
in their learning rates, so one forward vmapped over stacked weights (torch.func) serves every run on the same batch.

On a GPU, LeNet's kernels are far too small to fill the device. The step is shaped to launch few of them: only the
forward is vmapped; the loss is the chapter's, per sample, on all runs' logits at once; one backward of
sum(lr_r * loss_r) gives each run its `lr_r * grad` (runs share no weights), so SGD is one `_foreach_sub_`.
On LeNet: 65 kernel-launching ops per step for five runs against 44 for one run alone (tests/test_fast_pytorch.py).
"""

import copy

import torch
from torch.func import functional_call, vmap


def per_sample(loss):
    """A copy of a mean-reduced, unweighted loss module that returns one loss per sample; a clear error otherwise."""
    if getattr(loss, "reduction", None) != "mean" or getattr(loss, "weight", None) is not None:
        raise ValueError(
            f"runs trained together need a loss module with reduction='mean' and no class weights, "
            f"got {loss!r}: train the runs one by one (leave out --together)"
        )
    unreduced = copy.copy(loss)
    unreduced.reduction = "none"
    return unreduced


class TogetherStep:
    """One SGD step for R runs at once on a batch picked by index; `lr` holds each run's rate on the device."""

    def __init__(self, net, loss, X_all, y_all, lrs):
        self.net, self.loss, self.X_all, self.y_all = net, per_sample(loss), X_all, y_all
        self.names = [name for name, p in net.named_parameters() if p.requires_grad]
        self.lr = torch.tensor([float(lr) for lr in lrs], device=X_all.device, dtype=X_all.dtype)
        self.params = [p.requires_grad_() for p in self.stacked(net)]
        self.sums = torch.zeros(
            len(lrs), 2, device=X_all.device, dtype=X_all.dtype
        )  # per run: loss sum, correct this epoch
        self.forward = vmap(self.run_forward, in_dims=(0, None))

    def stacked(self, net):
        """The net's trainable weights, one copy per run, stacked along a new first axis."""
        params = dict(net.named_parameters())
        return [
            params[name].detach().unsqueeze(0).repeat(len(self.lr), *[1] * params[name].dim()).contiguous()
            for name in self.names
        ]

    def run_forward(self, params, X):
        """One run's logits on X."""
        return functional_call(self.net, dict(zip(self.names, params)), (X,))

    def __call__(self, idx):
        """Gather, forward and backward for every run, `p -= lr * grad` per run (SGD), add metrics."""
        X, y = self.X_all[idx], self.y_all[idx]
        runs = len(self.lr)
        y_hat = self.forward(tuple(self.params), X)  # (runs, batch, classes)
        losses = self.loss(y_hat.flatten(0, 1), y.repeat(runs)).view(runs, -1).mean(1)  # each run's mean loss
        grads = torch.autograd.grad(losses @ self.lr, self.params)  # run r's slice: lr_r * its gradient
        with torch.no_grad():
            torch._foreach_sub_(self.params, grads)
            self.sums += torch.stack(
                (losses.detach() * len(idx), (y_hat.argmax(-1) == y).sum(1).to(self.sums.dtype)), dim=1
            )

    @torch.no_grad()
    def correct(self, X, y):
        """Per run: how many of (X, y) it classifies correctly, as a device tensor."""
        return (self.forward(tuple(self.params), X).argmax(-1) == y).sum(1)
