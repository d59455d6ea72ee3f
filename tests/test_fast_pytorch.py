"""The fast PyTorch runner: its functional step is torch.optim.SGD's, modes fail clearly, a run writes its record."""
import json

import pytest


@pytest.fixture(scope="module")
def fast(torch):
    from d2l_ext.fast import pytorch as fast
    return fast


def lenet_and_batch(torch, fast, seed=0):
    torch.manual_seed(seed)
    ns = fast.chapter.setup_namespace("pytorch")
    X, y = torch.rand(64, 1, 28, 28), torch.randint(0, 10, (64,))
    return ns["net_fn"](), ns["loss"], X, y


def test_the_functional_step_updates_weights_and_metrics_as_sgd_does(torch, fast):
    net, loss, X, y = lenet_and_batch(torch, fast)
    reference = fast.chapter.setup_namespace("pytorch")["net_fn"]()
    reference.load_state_dict(net.state_dict())
    step = fast.Step(net, loss, X, y, lr=0.3)
    idx = torch.randperm(64)[:32]
    for _ in range(3):
        step(idx)
        optimizer = torch.optim.SGD(reference.parameters(), lr=0.3)
        optimizer.zero_grad()
        l = loss(reference(X[idx]), y[idx])
        l.backward()
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


def test_a_quick_run_writes_its_results_and_figure(torch, tmp_path, monkeypatch):
    from d2l_ext import run
    monkeypatch.delenv("D2L_EXT_QUICK", raising=False)
    record = run.main(["--quick", "--epochs", "2", "--schedule", "piecewise", "--out", str(tmp_path)])
    saved = json.loads((tmp_path / "results-pytorch.json").read_text())
    assert saved["runs"]["piecewise"]["train_loss"] == record["runs"]["piecewise"]["train_loss"]
    assert [e["lr"] for e in saved["runs"]["piecewise"]["epochs"]] == [0.5, 0.5]
    assert saved["mode"] == "eager" and saved["quick_mode"] is True
    assert (tmp_path / "runs-pytorch.png").stat().st_size > 0
    assert not list(tmp_path.glob(".*tmp*"))


def test_mode_is_refused_for_other_frameworks(capsys):
    from d2l_ext import run
    with pytest.raises(SystemExit):
        run.parse_args(["--framework", "mxnet", "--mode", "graph"])
    assert "--mode=graph is for --framework pytorch" in capsys.readouterr().err


def test_tune_times_both_cudnn_settings_in_alternation(torch, monkeypatch):
    from d2l_ext import tune
    monkeypatch.setenv("D2L_EXT_QUICK", "1")
    monkeypatch.setattr(tune, "EPOCHS", 2)
    times = tune.cudnn_ab(rounds=1)
    assert list(times) == ["benchmark_off", "benchmark_on"]
    assert all(len(v) == 1 and v[0] > 0 for v in times.values())
    assert torch.backends.cudnn.benchmark is False


def test_graph_replays_compute_what_the_step_computes_eagerly(torch, fast, monkeypatch):
    if not torch.cuda.is_available():
        pytest.skip("CUDA graphs need a CUDA device")
    monkeypatch.setenv("D2L_EXT_QUICK", "1")
    trainer = fast.Trainer(256, mode="graph")
    step, weights = trainer.graph.step, [p.detach().clone() for p in trainer.new_net().parameters()]

    def eager_epoch():
        for idx in trainer.batches():
            step(idx)
        return step.sums

    results = []
    for run_epoch in (lambda: trainer.graph_epoch(0.1), eager_epoch):
        trainer.graph.load(weights)
        step.lr.fill_(0.1)
        torch.manual_seed(1)
        results.append((run_epoch().clone(), [p.detach().clone() for p in step.params]))
    (graph_sums, graph_params), (eager_sums, eager_params) = results
    torch.testing.assert_close(graph_sums, eager_sums, rtol=1e-4, atol=1e-3)
    for g, e in zip(graph_params, eager_params):
        torch.testing.assert_close(g, e, rtol=1e-4, atol=1e-5)
