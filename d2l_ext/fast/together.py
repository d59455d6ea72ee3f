"""All of the chapter's PyTorch runs in one step: they share seed, initial weights and batch order and differ only
in their learning rates, so one step vmapped over stacked weights (torch.func) trains every run on the same batch.

On a GPU, LeNet's kernels are far too small to fill the device; R runs in one step launch as many kernels as one.
"""
import torch
from torch.func import functional_call, grad_and_value, vmap


class TogetherStep:
    """One SGD step for R runs at once on a batch picked by index; `lr` holds each run's rate on the device."""

    def __init__(self, net, loss, X_all, y_all, lrs):
        self.net, self.loss, self.X_all, self.y_all = net, loss, X_all, y_all
        self.names = [name for name, p in net.named_parameters() if p.requires_grad]
        self.lr = torch.tensor([float(lr) for lr in lrs], device=X_all.device)
        self.params = self.stacked(net)
        self.lr_views = [self.lr.view(-1, *[1] * (p.dim() - 1)) for p in self.params]  # broadcast per run
        self.sums = torch.zeros(len(lrs), 2, device=X_all.device)  # per run: loss sum, correct this epoch
        self.grads = vmap(grad_and_value(self.run_loss, has_aux=True), in_dims=(0, None, None))

    def stacked(self, net):
        """The net's trainable weights, one copy per run, stacked along a new first axis."""
        params = dict(net.named_parameters())
        return [params[name].detach().unsqueeze(0).repeat(len(self.lr), *[1] * params[name].dim()).contiguous()
                for name in self.names]

    def run_loss(self, params, X, y):
        """One run's mean loss on (X, y), with its loss and number correct as aux."""
        y_hat = functional_call(self.net, dict(zip(self.names, params)), (X,))
        loss = self.loss(y_hat, y)
        return loss, (loss.detach(), (y_hat.argmax(1) == y).sum())

    def __call__(self, idx):
        """Gather, forward and backward for every run, `p -= lr * grad` per run (SGD), add metrics."""
        X, y = self.X_all[idx], self.y_all[idx]
        grads, (_, (loss, correct)) = self.grads(tuple(self.params), X, y)
        with torch.no_grad():
            torch._foreach_sub_(self.params, [g * lr for g, lr in zip(grads, self.lr_views)])
            self.sums += torch.stack((loss * len(idx), correct.float()), dim=1)

    @torch.no_grad()
    def correct(self, X, y):
        """Per run: how many of (X, y) it classifies correctly, as a device tensor."""
        forward = vmap(lambda params: functional_call(self.net, dict(zip(self.names, params)), (X,)))
        return (forward(tuple(self.params)).argmax(-1) == y).sum(1)
