"""Exercise 5: stochastic gradient Langevin dynamics (Welling and Teh 2011) as an optimiser, the paper's toy, LeNet.

SGLD is an SGD step on the minibatch's mean loss, scaled to the whole data set, plus Gaussian noise of variance
eps_t: theta -= eps_t / 2 * N * grad, then theta += N(0, eps_t), eps_t a d2l_ext.stateless schedule (the paper's
PolynomialDecay a(b + t)^-gamma). Without the noise it is plain SGD at the rate N * eps_t / 2: the optimiser the
chapter schedules. The toy is the paper's section 5.1 (two parameters, a two-mode posterior), vectorised over chains.
"""

import math

from d2l_ext import cpus

cpus.configure()  # before torch loads: threads from the CPU share, short OpenMP spinning

import torch  # noqa: E402

from d2l_ext import determinism  # noqa: E402
from d2l_ext.stateless import PolynomialDecay  # noqa: E402

# the paper's section 5.1: theta1 ~ N(0, 10), theta2 ~ N(0, 1), x ~ N(theta1, 2) / 2 + N(theta1 + theta2, 2) / 2
PRIOR_VARIANCES = (10.0, 1.0)
NOISE_VARIANCE = 2.0
TRUE_THETA = (0.0, 1.0)  # the 100 points are drawn with these; the second mode is near (1, -1)
POINTS = 100
GAMMA = 0.55
FIRST_EPS, LAST_EPS = 0.01, 0.0001  # the step size's span over the run
# ours: the paper ran one chain of 10^6 updates (10,000 sweeps); we run CHAINS chains of SWEEPS sweeps each, as many
# updates in all, vectorised (seconds, not minutes), every chain starting from a draw of the prior
CHAINS, SWEEPS = 100, 100
BURN_IN = 0.1  # the share of each chain's updates left out of its samples
THIN = 10  # keep every THIN-th update's state
GRID = ((-1.5, 2.5), (-3.0, 3.0), 0.05)  # theta1 range, theta2 range, cell width: the paper's Figure 1 axes


class SGLD(torch.optim.Optimizer):
    """SGLD on the mean loss of a minibatch: p -= eps/2 * data_size * grad, p += N(0, eps); eps = schedule(updates)."""

    def __init__(self, params, schedule, data_size, noise=True, generator=None):
        super().__init__(params, {"lr": schedule(0)})
        self.schedule, self.data_size, self.noise, self.generator = schedule, data_size, noise, generator
        self.updates = 0

    @torch.no_grad()
    def step(self, closure=None):
        """One update at eps_t (the group's `lr` shows it), then t += 1."""
        eps = self.schedule(self.updates)
        for group in self.param_groups:
            group["lr"] = eps
            for p in group["params"]:
                if p.grad is None:
                    continue
                p.add_(p.grad, alpha=-eps * self.data_size / 2)
                if self.noise:
                    p.add_(
                        torch.randn(p.shape, generator=self.generator, dtype=p.dtype, device=p.device), alpha=eps**0.5
                    )
        self.updates += 1


def toy_data(seed=0, points=POINTS):
    """The paper's 100 points, drawn with TRUE_THETA (float64)."""
    g = torch.Generator().manual_seed(seed)
    second = torch.rand(points, generator=g, dtype=torch.float64) < 0.5
    means = TRUE_THETA[0] + TRUE_THETA[1] * second
    return means + NOISE_VARIANCE**0.5 * torch.randn(points, generator=g, dtype=torch.float64)


def log_likelihood(theta, x):
    """log p(x | theta) per point: theta (..., 2), x (..., n) broadcast against it; result (..., n)."""
    t1, t2 = theta[..., :1], theta[..., 1:]
    normal = -((x - t1) ** 2) / (2 * NOISE_VARIANCE), -((x - t1 - t2) ** 2) / (2 * NOISE_VARIANCE)
    return torch.logsumexp(torch.stack(normal), 0) - math.log(2 * math.sqrt(2 * math.pi * NOISE_VARIANCE))


def log_prior(theta):
    """log p(theta), up to a constant."""
    return -(theta[..., 0] ** 2) / (2 * PRIOR_VARIANCES[0]) - theta[..., 1] ** 2 / (2 * PRIOR_VARIANCES[1])


def grid_edges(grid=GRID):
    """The cell edges along theta1 and theta2."""
    (lo1, hi1), (lo2, hi2), width = grid
    return tuple(torch.arange(lo, hi + width / 2, width, dtype=torch.float64) for lo, hi in ((lo1, hi1), (lo2, hi2)))


def grid_centres(grid=GRID):
    """The cell centres along theta1 and theta2."""
    return tuple((edges[1:] + edges[:-1]) / 2 for edges in grid_edges(grid))


def grid_posterior(x, grid=GRID):
    """The exact posterior's mass per cell (evaluated at cell centres, normalised over the grid): (cells1, cells2)."""
    c1, c2 = grid_centres(grid)
    theta = torch.stack(torch.meshgrid(c1, c2, indexing="ij"), -1)
    log_post = log_prior(theta) + log_likelihood(theta, x).sum(-1)
    return torch.softmax(log_post.flatten(), 0).reshape(log_post.shape)


def histogram(samples, grid=GRID):
    """The samples' share per cell of the grid (samples outside it count against no cell, so the shares may sum < 1)."""
    e1, e2 = grid_edges(grid)
    counts, _ = torch.histogramdd(samples, bins=[e1, e2])
    return counts / len(samples)


def sample_toy(x, noise=True, chains=CHAINS, sweeps=SWEEPS, seed=0):
    """The chains' kept states (after BURN_IN, every THIN-th; minibatches of one point, the paper's eps_t): (k, chains,
    2), float64."""
    g = torch.Generator().manual_seed(seed)
    updates = sweeps * len(x)
    prior_sd = torch.tensor(PRIOR_VARIANCES, dtype=torch.float64) ** 0.5
    theta = (torch.randn(chains, 2, generator=g, dtype=torch.float64) * prior_sd).requires_grad_()
    sgld = SGLD([theta], PolynomialDecay.spanning(FIRST_EPS, LAST_EPS, updates, GAMMA), len(x), noise, g)
    picks, kept = torch.randint(len(x), (updates, chains), generator=g), []
    for t in range(updates):
        mean_loss = -(log_likelihood(theta, x[picks[t]].unsqueeze(-1)).squeeze(-1) + log_prior(theta) / len(x))
        sgld.zero_grad(set_to_none=True)
        mean_loss.sum().backward()  # the chains' losses are independent: one backward gives each its gradient
        sgld.step()
        if t >= BURN_IN * updates and t % THIN == 0:
            kept.append(theta.detach().clone())
    return torch.stack(kept)


def agreement(states, posterior, grid=GRID):
    """How the chains' states match the grid posterior: total variation distance, the mass with theta2 > 0 of each,
    the share of chains that visited both modes (theta2 on both sides of 0) and the spread within a chain."""
    share = histogram(states.flatten(0, 1), grid)
    upper = grid_edges(grid)[1][:-1] >= 0  # cells whose theta2 range lies above 0: the mode at TRUE_THETA
    return {
        "total_variation": float((share - posterior).abs().sum() / 2 + (1 - share.sum()) / 2),
        "mass_theta2_positive": float(share[:, upper].sum() / share.sum()),
        "posterior_mass_theta2_positive": float(posterior[:, upper].sum()),
        "outside_grid": float(1 - share.sum()),
        "chains_in_both_modes": float(((states[..., 1] > 0).any(0) & (states[..., 1] < 0).any(0)).double().mean()),
        "within_chain_sd": states.std(0).mean(0).tolist(),
    }


# LeNet: the chapter's net and data (the fast runner's Trainer); SGLD's eps_t set so that its SGD part runs at
# LENET_RATES (rate = N * eps / 2), with a N(0, PRIOR_VARIANCE) prior on every weight
LENET_RATES = (0.3, 0.03)  # the SGD part's rate at the first and the last update: the chapter's base rate, a tenth
LENET_EPOCHS = 10
PRIOR_VARIANCE = 1.0
SAMPLE_EVERY = 10  # the states of the second half of the epochs, every SAMPLE_EVERY-th batch, are the samples
CALIBRATION_BINS = 15  # of confidence, for the expected calibration error


@torch.no_grad()
def test_probabilities(trainer, net):
    """The net's predicted class probabilities on the Trainer's test set."""
    net.eval()
    found = torch.cat([torch.softmax(net(X), 1) for X, _ in trainer.test_batches()])
    net.train()
    return found


def lenet(trainer, noise, seed=0, epochs=LENET_EPOCHS):
    """Train the chapter's LeNet by SGLD (noise=False: SGD at the same rates): test probabilities of the last state,
    averaged over the samples (states of the second half of the epochs), and the number of samples."""
    determinism.seed_everything(torch.manual_seed, seed)
    net, (X_all, y_all) = trainer.new_net(), trainer.train_data
    n, updates = len(y_all), epochs * math.ceil(len(y_all) / trainer.batch_size)
    schedule = PolynomialDecay.spanning(*(2 * rate / n for rate in LENET_RATES), updates, GAMMA)
    optimizer, total, samples = SGLD(net.parameters(), schedule, n, noise), 0, 0
    for epoch in range(epochs):
        for i, idx in enumerate(trainer.batches()):
            prior = sum((p**2).sum() for p in net.parameters()) / (2 * PRIOR_VARIANCE * n)
            optimizer.zero_grad(set_to_none=True)
            (trainer.loss(net(X_all[idx]), y_all[idx]) + prior).backward()
            optimizer.step()
            if epoch >= epochs // 2 and i % SAMPLE_EVERY == 0:
                total, samples = total + test_probabilities(trainer, net), samples + 1
    return {"last": test_probabilities(trainer, net), "average": total / samples, "samples": samples}


def scores(probabilities, labels, bins=CALIBRATION_BINS):
    """Test accuracy, negative log-likelihood and expected calibration error (confidence in `bins` equal bins)."""
    confidence, predicted = probabilities.max(1)
    right = (predicted == labels).double()
    nll = -probabilities.gather(1, labels[:, None]).clamp_min(1e-12).log().mean()
    which = (confidence * bins).long().clamp_max(bins - 1)
    gaps = [(right[which == b].sum() - confidence[which == b].double().sum()).abs() for b in range(bins)]
    return {"test_acc": float(right.mean()), "nll": float(nll), "ece": float(sum(gaps) / len(labels))}


def compare_on_lenet(subset=True, seed=0, epochs=LENET_EPOCHS):
    """SGD and SGLD on the chapter's LeNet (the quick data subset unless told), same rates and seed: {row name:
    scores} of each one's last state and average of states."""
    from d2l_ext.fast import pytorch
    from d2l_ext.fast.runner import BATCH_SIZE

    trainer = pytorch.Trainer(BATCH_SIZE, subset)
    labels, rows = trainer.test_data[1], {}
    for name, noise in (("SGD", False), ("SGLD", True)):
        run = lenet(trainer, noise, seed, epochs)
        rows[f"{name}: last state"] = scores(run["last"], labels)
        rows[f"{name}: average of {run['samples']} states"] = scores(run["average"], labels)
    return rows


def toy_figure(posterior, runs, grid=GRID):
    """PNG bytes: each run's states (a 2-D histogram) over the exact posterior's contours; runs: {title: states}."""
    from d2l_ext import figures

    (e1, e2), (c1, c2) = grid_edges(grid), grid_centres(grid)

    def on(*axes):
        for ax, (title, states) in zip(axes, runs.items()):
            share = histogram(states.flatten(0, 1), grid)
            ax.pcolormesh(e1, e2, share.T, cmap="Greys", shading="flat")
            ax.contour(c1, c2, posterior.T, levels=6, colors="tab:red", linewidths=0.8)
            ax.set(xlabel="theta1", ylabel="theta2", title=title)
            ax.title.set_fontsize(9)

    return figures.two_panels_png(
        on, "SGLD on Welling and Teh's section 5.1: states (grey) against the exact posterior (red)"
    )
