"""Exercise 5's SGLD: without noise it is SGD at the rate N * eps / 2, its noise has variance eps_t of the schedule, and
on Welling and Teh's toy its states match the exact posterior's two modes where the noise-free run collapses."""

import math

import pytest

from d2l_ext.stateless import PolynomialDecay


@pytest.fixture(scope="module")
def sgld(torch):
    from d2l_ext import sgld

    return sgld


def test_without_noise_sgld_is_sgd_at_n_eps_over_two_every_update(sgld, torch):
    schedule, n = PolynomialDecay.spanning(0.01, 0.001, 5, 0.55), 40
    ours, theirs = (torch.nn.Linear(3, 2).double() for _ in range(2))
    theirs.load_state_dict(ours.state_dict())
    sgld_opt, sgd = sgld.SGLD(ours.parameters(), schedule, n, noise=False), torch.optim.SGD(theirs.parameters(), 0.0)
    X = torch.randn(8, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    for t in range(5):
        sgd.param_groups[0]["lr"] = n * schedule(t) / 2
        for net, opt in ((ours, sgld_opt), (theirs, sgd)):
            opt.zero_grad()
            net(X).square().mean().backward()
            opt.step()
        assert sgld_opt.param_groups[0]["lr"] == schedule(t)
    assert all(torch.allclose(a, b, rtol=0, atol=1e-15) for a, b in zip(ours.parameters(), theirs.parameters()))


def test_the_noise_of_an_update_has_the_schedules_variance(sgld, torch):
    theta = torch.zeros(200_000, dtype=torch.float64, requires_grad=True)
    theta.grad = torch.zeros_like(theta)
    eps = 0.04
    sgld.SGLD([theta], lambda t: eps, 100, generator=torch.Generator().manual_seed(1)).step()
    assert theta.detach().var().item() == pytest.approx(eps, rel=0.02)


def test_the_toys_exact_posterior_has_the_papers_two_modes(sgld):
    posterior = sgld.grid_posterior(sgld.toy_data(seed=0))
    e1, e2 = sgld.grid_edges()
    upper = e2[:-1] >= 0
    # the mode near (0, 1) above theta2 = 0, the one near (1, -1) below (cells named by their lower edges)
    peaks = [(float(e1[i]), float(e2[:-1][half][j])) for half in (upper, ~upper)
             for i, j in [divmod(int(posterior[:, half].argmax()), int(half.sum()))]]  # fmt: skip
    assert math.dist(peaks[0], sgld.TRUE_THETA) < 0.4 and math.dist(peaks[1], (1, -1)) < 0.4
    assert 0.3 < posterior[:, upper].sum() < 0.7 and posterior.sum().item() == pytest.approx(1)


def test_sgld_samples_the_toys_posterior_and_without_noise_each_chain_collapses(sgld):
    x = sgld.toy_data(seed=0)
    posterior = sgld.grid_posterior(x)
    on, off = (sgld.agreement(sgld.sample_toy(x, noise=noise), posterior) for noise in (True, False))
    assert on["total_variation"] < 0.25 < off["total_variation"]
    assert on["mass_theta2_positive"] == pytest.approx(on["posterior_mass_theta2_positive"], abs=0.1)
    assert on["chains_in_both_modes"] > 0.3 and max(off["within_chain_sd"]) < min(on["within_chain_sd"]) / 2


def test_scores_measure_accuracy_likelihood_and_calibration(sgld, torch):
    probabilities = torch.tensor([[0.9, 0.1], [0.9, 0.1], [0.6, 0.4], [0.3, 0.7]])
    found = sgld.scores(probabilities, torch.tensor([0, 1, 0, 1]), bins=10)
    assert found["test_acc"] == 0.75
    assert found["nll"] == pytest.approx(-(math.log(0.9) + math.log(0.1) + math.log(0.6) + math.log(0.7)) / 4)
    # bins: 0.9 (two, one right: |1 - 1.8|), 0.6 (right: |1 - 0.6|), 0.7 (right: |1 - 0.7|)
    assert found["ece"] == pytest.approx((0.8 + 0.4 + 0.3) / 4)


def test_sgld_on_lenet_reports_both_optimisers_last_state_and_average(sgld, real_data):
    rows = sgld.compare_on_lenet(subset=True, epochs=2)
    assert list(rows) == [
        "SGD: last state",
        "SGD: average of 5 states",
        "SGLD: last state",
        "SGLD: average of 5 states",
    ]
    assert all(0.1 < r["test_acc"] <= 1 and r["nll"] > 0 and 0 <= r["ece"] < 1 for r in rows.values())
