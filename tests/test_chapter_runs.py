"""The fast runner's runs are the chapter's: each tab's cells, run for real with their own `train` on one tiny batch
an epoch, set the learning rates the fast runner reads from its generated copy of those cells (plotting cells' side
effects included), and the answer key's constants are the chapter's PyTorch ones."""

import importlib

import numpy as np
import pytest

from d2l_ext import fast
from d2l_ext.sweep import exercises
from tools import chapter

BATCH = 8  # one batch an epoch: one update an epoch, so per-update (MXNet) and per-epoch rates line up


def chapter_code(tab):
    """The tab's code cells as its notebook has them, IPython magics blanked."""
    cells = chapter.tab_cells(chapter.read_chapter(), tab)
    return [chapter.MAGIC.sub("", source) for kind, source in cells if kind == "code"]


def run_chapter(tab, tiny_data, record):
    """Run the tab's cells in one namespace: the first with tiny data, then every `train` call through record(train)."""
    module = importlib.import_module(f"d2l_ext.{chapter.D2L_MODULE[tab]}")
    first, *rest = chapter_code(tab)
    namespace = {}
    real_loader = module.load_data_fashion_mnist
    module.load_data_fashion_mnist = lambda batch_size, resize=None: tiny_data(module)
    try:
        exec(first, namespace)  # noqa: S102  the chapter's own code
    finally:
        module.load_data_fashion_mnist = real_loader
    namespace["train"] = record(namespace["train"])
    for source in rest:
        exec(source, namespace)  # noqa: S102


def tiny_batches(module, as_array):
    """A train and a test loader of one batch of BATCH random images each."""
    rng = np.random.default_rng(0)
    X, y = rng.random((BATCH, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, BATCH)
    return module.BatchLoader(*as_array(X, y), BATCH), module.BatchLoader(*as_array(X, y), BATCH)


def test_pytorch_runs_are_what_the_chapters_cells_train_with(torch):
    from d2l_ext.fast import pytorch

    seen = []

    def record(train):
        def recorded(net, train_iter, test_iter, num_epochs, loss, trainer, device, scheduler=None):
            rates, step = [], trainer.step
            trainer.step = lambda *a, **k: rates.append(trainer.param_groups[0]["lr"]) or step(*a, **k)
            train(net, train_iter, test_iter, num_epochs, loss, trainer, device, scheduler)
            seen.append(rates)

        return recorded

    as_tensors = lambda X, y: (torch.from_numpy(X), torch.from_numpy(y))  # noqa: E731
    run_chapter("pytorch", lambda module: tiny_batches(module, as_tensors), record)
    assert seen == [pytorch.chapter_run(run) for run in fast.RUNS]
    assert seen[2] == [0.125] * 30  # the piecewise run, its scheduler stepped 30 times by its plotting cell


def test_tensorflow_runs_are_what_the_chapters_cells_train_with(tf):
    from d2l_ext import tensorflow as d2l
    from d2l_ext.fast import tensorflow as fast_tf

    seen = []

    class Recording(tf.keras.callbacks.Callback):  # in d2l's TrainCallback's place: the rate of each epoch, no plot
        def __init__(self, *args):
            super().__init__()

        def on_epoch_end(self, epoch, logs=None):
            seen[-1].append(float(self.model.optimizer.lr))

    def record(train):
        def recorded(*args, **kwargs):
            seen.append([])
            return train(*args, **kwargs)

        return recorded

    def tiny(module):
        rng = np.random.default_rng(0)
        X, y = rng.random((BATCH, 28, 28, 1), dtype=np.float32), rng.integers(0, 10, BATCH).astype("int32")
        dataset = tf.data.Dataset.from_tensor_slices((X, y)).batch(BATCH)
        return dataset, dataset

    real = d2l.TrainCallback
    d2l.TrainCallback = Recording
    try:
        run_chapter("tensorflow", tiny, record)
    finally:
        d2l.TrainCallback = real
    expected = [fast_tf.chapter_run(run) for run in fast.RUNS]
    assert len(seen) == len(expected)
    for got, wanted in zip(seen, expected):
        assert got == pytest.approx(wanted, rel=1e-6)  # Keras keeps its rate in float32


def test_mxnet_runs_are_what_the_chapters_cells_train_with(mx):
    from d2l_ext.fast import mxnet as fast_mx

    seen = []

    def record(train):
        def recorded(net, train_iter, test_iter, num_epochs, loss, trainer, device):
            rates, step = [], trainer.step
            trainer.step = lambda *a, **k: step(*a, **k) or rates.append(trainer.learning_rate)
            train(net, train_iter, test_iter, num_epochs, loss, trainer, device)
            seen.append(rates)

        return recorded

    as_arrays = lambda X, y: (mx.np.array(X), mx.np.array(y.astype("int32"), dtype="int32"))  # noqa: E731
    run_chapter("mxnet", lambda module: tiny_batches(module, as_arrays), record)

    def fast_rates(run):
        options, epochs = fast_mx.chapter_run(run)
        param = mx.gluon.Parameter("w", shape=(1,))
        param.initialize()
        trainer = mx.gluon.Trainer([param], "sgd", options)
        rates = []
        for _ in range(epochs):
            with mx.autograd.record():
                loss = (param.data() * 1).sum()
            loss.backward()
            trainer.step(1)
            rates.append(trainer.learning_rate)
        return rates

    assert seen == [fast_rates(run) for run in fast.RUNS]


def test_the_answer_keys_rates_are_the_chapters_pytorch_ones(torch):
    from d2l_ext.fast import pytorch

    constant, cosine = pytorch.chapter_run("constant"), pytorch.chapter_run("cosine")
    assert set(constant) == {exercises.BASE_LR} and cosine[0] == exercises.BASE_LR
    # the chapter's PyTorch clock: epoch e + 1 trains at schedule(e), so the cosine's floor shows one epoch late
    assert cosine[-1] == exercises.FINAL_LR and cosine[1:].index(exercises.FINAL_LR) == exercises.cosine_horizon(30)
    assert len(constant) == 30 == round(exercises.cosine_horizon(30) / exercises.COSINE_SHARE)
