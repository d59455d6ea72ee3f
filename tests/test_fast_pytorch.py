"""The fast PyTorch runner: its functional step is torch.optim.SGD's, modes fail clearly, runs trained together are
the runs trained alone."""

import os

import pytest

from d2l_ext.fast import RUNS


@pytest.fixture(scope="module")
def fast(torch):
    from d2l_ext.fast import pytorch as fast

    return fast


def lenet_and_batch(torch, fast, seed=0):
    torch.manual_seed(seed)
    X, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
    return fast.net_fn(), fast.loss, X, y


def test_the_functional_step_updates_weights_and_metrics_as_sgd_does(torch, fast):
    net, loss, X, y = lenet_and_batch(torch, fast)
    reference = fast.net_fn()
    reference.load_state_dict(net.state_dict())
    step = fast.Step(net, loss, X, y, lr=0.3)
    idx = torch.randperm(64)[:32]
    for _ in range(3):
        step(idx)
        optimizer = torch.optim.SGD(reference.parameters(), lr=0.3)
        optimizer.zero_grad()
        loss(reference(X[idx]), y[idx]).backward()
        optimizer.step()
    for ours, theirs in zip(net.parameters(), reference.parameters()):
        torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-6)
    assert step.sums[0].item() > 0 and 0 <= step.sums[1].item() <= 3 * 32


def test_auto_mode_is_eager_on_a_cpu_and_a_graph_on_a_gpu(torch, fast):
    assert fast.resolve_mode("auto", torch.device("cpu")) == "eager"
    assert fast.resolve_mode("auto", torch.device("cuda", 0)) == "graph"


def test_a_graph_on_a_cpu_is_refused_with_the_remedy(torch, fast):
    with pytest.raises(ValueError, match="needs a CUDA device.*mode='eager'"):
        fast.resolve_mode("graph", torch.device("cpu"))
    with pytest.raises(ValueError, match="choose one of auto, eager, graph"):
        fast.resolve_mode("fast", torch.device("cpu"))


def test_mode_is_refused_for_other_frameworks(capsys):
    from d2l_ext.fast import runner as run

    with pytest.raises(SystemExit):
        run.parse_args(["--framework", "mxnet", "--mode", "graph"])
    assert "--mode=graph is for --framework pytorch" in capsys.readouterr().err


@pytest.mark.parametrize("together", [(), ("constant", "cosine")], ids=["one run", "two runs together"])
def test_graph_replays_compute_what_the_step_computes_eagerly(torch, real_data, fast, monkeypatch, together):
    if not torch.cuda.is_available():
        pytest.skip("CUDA graphs need a CUDA device")
    together = [fast.chapter_run(run, 1) for run in together]
    trainer = fast.Trainer(256, quick=True, mode="graph", together=together)
    step, net = trainer.graph.step, trainer.new_net()
    weights = step.stacked(net) if together else [p.detach().clone() for p in net.parameters()]
    lr = [0.1] * len(together) if together else 0.1

    def eager_epoch():
        step.lr.copy_(torch.as_tensor(lr))
        for idx in trainer.batches():
            step(idx)
        return step.sums

    results = []
    for run_epoch in (lambda: trainer.step_epoch(step, lr), eager_epoch):
        fast.load(step, weights)
        torch.manual_seed(1)
        results.append((run_epoch().clone(), [p.detach().clone() for p in step.params]))
    (graph_sums, graph_params), (eager_sums, eager_params) = results
    torch.testing.assert_close(graph_sums, eager_sums, rtol=1e-4, atol=1e-3)
    for g, e in zip(graph_params, eager_params):
        torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-5)


def test_runs_trained_together_match_the_same_runs_trained_alone(torch, real_data, fast):
    # in float64, where the two float orders (one vmapped step for all, or a step per run) cannot part: in float32 the
    # runs part on LeNet's early plateau within an epoch, chaotically at the piecewise run's rate
    runs = [fast.chapter_run(run, 1) for run in RUNS]  # each at its own rate: piecewise's 0.125 among them
    alone = fast.Trainer(256, quick=True, mode="eager", dtype=torch.float64)
    together = fast.Trainer(256, quick=True, mode="eager", together=runs, dtype=torch.float64).train_together()
    assert len(together) == len(RUNS)
    for rates, history in zip(runs, together):
        expected = alone.train(rates)
        assert [e["lr"] for e in history] == [e["lr"] for e in expected] == rates
        for ours, theirs in zip(history, expected):
            for metric in ("train_loss", "train_acc", "test_acc"):
                assert ours[metric] == pytest.approx(theirs[metric], rel=1e-9, abs=1e-12), metric


def test_a_together_run_counts_its_shared_epochs_once_and_leaves_the_environment_alone(torch, real_data, tmp_path):
    from d2l_ext.fast import runner

    before = dict(os.environ)
    record = runner.run(runner.parse_args(["--quick", "--epochs", "2", "--together", "--out", str(tmp_path)]))
    assert dict(os.environ) == before and record["quick_mode"] is True
    assert record["together"] is True and list(record["runs"]) == list(RUNS)
    shared = [e["time_s"] for e in record["runs"]["constant"]["epochs"]]
    assert all([e["time_s"] for e in r["epochs"]] == shared for r in record["runs"].values())
    assert record["train_time_s"] == pytest.approx(sum(shared), abs=0.01)


def test_together_is_refused_for_other_frameworks(capsys):
    from d2l_ext.fast import runner as run

    with pytest.raises(SystemExit):
        run.parse_args(["--framework", "tensorflow", "--together"])
    assert "--together is for --framework pytorch" in capsys.readouterr().err


VIEW_OPS = {
    "t",
    "detach",
    "view",
    "_unsafe_view",
    "expand",
    "permute",
    "transpose",
    "unsqueeze",
    "squeeze",
    "select",
    "slice",
    "alias",
}  # aten ops that return views: they launch no kernel


def kernel_ops(torch, step, idx):
    """How many aten ops that launch work one call of `step(idx)` dispatches (views left out)."""
    from torch.utils._python_dispatch import TorchDispatchMode

    class Count(TorchDispatchMode):
        def __init__(self):
            super().__init__()
            self.ops = 0

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            self.ops += func.__name__.split(".")[0] not in VIEW_OPS
            return func(*args, **(kwargs or {}))

    with Count() as count:
        step(idx)
    return count.ops


def test_five_runs_together_launch_at_most_half_again_the_kernels_of_one(torch, fast):
    from d2l_ext.fast.together import TogetherStep

    net, loss, X, y = lenet_and_batch(torch, fast)
    idx = torch.arange(32)
    one = kernel_ops(torch, fast.Step(net, loss, X, y, lr=0.1), idx)
    five = kernel_ops(torch, TogetherStep(net, loss, X, y, lrs=[0.1, 0.2, 0.3, 0.4, 0.5]), idx)
    assert 30 < one < five <= 1.5 * one, (one, five)


def test_a_run_together_takes_the_same_step_as_that_run_alone(torch, fast):
    from d2l_ext.fast.together import TogetherStep

    net, loss, X, y = lenet_and_batch(torch, fast)
    lrs, idx = [0.05, 0.3], torch.randperm(64)[:32]
    together = TogetherStep(net, loss, X, y, lrs=lrs)
    together(idx)
    for r, lr in enumerate(lrs):
        alone = fast.Step(lenet_and_batch(torch, fast)[0], loss, X, y, lr=lr)
        alone(idx)
        for p, stacked in zip(alone.params, together.params):
            torch.testing.assert_close(stacked[r], p, rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(together.sums[r], alone.sums, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize(
    "make_loss",
    [
        lambda torch: torch.nn.CrossEntropyLoss(reduction="sum"),
        lambda torch: torch.nn.CrossEntropyLoss(weight=torch.ones(10)),
    ],
    ids=["sum-reduced", "class-weighted"],
)
def test_runs_together_refuse_a_loss_they_cannot_split_per_run(torch, fast, make_loss):
    from d2l_ext.fast.together import TogetherStep

    net, _, X, y = lenet_and_batch(torch, fast)
    with pytest.raises(ValueError, match="reduction='mean' and no class weights.*leave out --together"):
        TogetherStep(net, make_loss(torch), X, y, lrs=[0.1])


def test_exercise_3s_resnet_is_the_books_resnet18_and_narrower_at_a_divisor(torch, fast):
    from d2l import torch as d2l

    book = d2l.resnet18(10, in_channels=1)
    book(torch.zeros(1, 1, 28, 28))
    shapes = [tuple(p.shape) for p in book.parameters()]
    assert [tuple(p.shape) for p in fast.named_net("resnet18")().parameters()] == shapes
    narrow = [tuple(p.shape) for p in fast.named_net("resnet18/8")().parameters()]
    assert len(narrow) == len(shapes) and narrow[0] == (8, 1, 3, 3) and narrow[-2] == (10, 64)
    with pytest.raises(ValueError, match="net 'resnet18/x': choose 'lenet', 'resnet18' or 'resnet18/D'"):
        fast.named_net("resnet18/x")
