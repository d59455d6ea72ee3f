"""One trial, trained in this process by the fast runner's Trainer: the function a Ray task runs, too."""

import importlib
import importlib.metadata
import json
import os
import time

import d2l_ext
from d2l_ext import provenance
from d2l_ext.fast.runner import BATCH_SIZE, summary
from d2l_ext.sweep import exercises

# (framework, quick, threads, net) -> Trainer: data and warm-up once per process (a Ray worker keeps its own)
TRAINERS = {}
DISTRIBUTIONS = {"pytorch": "torch", "tensorflow": "tensorflow"}


def backend(framework, threads):
    """The fast runner's module for `framework`, PyTorch held to `threads` CPU threads."""
    module = importlib.import_module(f"d2l_ext.fast.{framework}")
    if framework == "pytorch":
        module.torch.set_num_threads(threads)
    return module


def device_kind(framework):
    """'gpu' where this process's framework sees one (the fast runner trains there), else 'cpu'."""
    module = importlib.import_module(f"d2l_ext.fast.{framework}")
    if framework == "pytorch":
        return "gpu" if module.torch.cuda.is_available() else "cpu"
    return "gpu" if module.tf.config.list_physical_devices("GPU") else "cpu"


def stack(framework, device):
    """What changes a trial's result besides its config: d2l_ext's version, the framework's, the kind of device."""
    return {
        "d2l_ext": d2l_ext.__version__,
        framework: importlib.metadata.version(DISTRIBUTIONS[framework]),
        "device": device,
    }


def trainer(framework, quick, threads, net="lenet"):
    """This process's fast-runner Trainer for a framework, data size and net, on `threads` CPU threads."""
    key = (framework, quick, threads, net)
    if key not in TRAINERS:
        module = backend(framework, threads)
        options = {} if net == "lenet" else {"net": module.named_net(net)}  # other nets: PyTorch's (exercises.py)
        TRAINERS[key] = module.Trainer(BATCH_SIZE, quick, **options)
    return TRAINERS[key]


def record(config, history, threads, start, together=1):
    """What a finished trial keeps: its config, per-epoch history and final figures, time, device, versions, worker."""
    info = json.loads(provenance.describe())
    return {
        "config": config,
        **summary(history),
        "wall_s": round(time.monotonic() - start, 2),
        **{key: info[key] for key in ("device", "host", "python", "versions", "date")},
        "threads": threads,
        "trained_together": together,
        "pid": os.getpid(),
    }


def run_trial(config, threads):
    """Train one trial (a config from exercises.configs) here, on `threads` CPU threads; its record."""
    start = time.monotonic()
    fit = trainer(config["framework"], config["quick"], threads, config["net"])
    history = fit.train(exercises.rates(config), seed=config["seed"])
    return record(config, history, threads, start)


def run_together(configs, threads):
    """PyTorch trials of one seed and epoch count trained in one vmapped step per batch (--together); records."""
    (seed,), (quick,) = {c["seed"] for c in configs}, {c["quick"] for c in configs}
    start = time.monotonic()
    pytorch = backend("pytorch", threads)
    histories = pytorch.Trainer(BATCH_SIZE, quick, together=[exercises.rates(c) for c in configs]).train_together(seed)
    return [record(c, history, threads, start, together=len(configs)) for c, history in zip(configs, histories)]
