"""One trial, trained in this process by the fast runner's Trainer: the function a Ray task runs, too."""

import importlib
import json
import os
import time

from d2l_ext import data, machine
from d2l_ext.fast.runner import BATCH_SIZE, summary
from d2l_ext.sweep import exercises

TRAINERS = {}  # (framework, quick, threads) -> Trainer: data and warm-up once per process (a Ray worker keeps its own)


def trainer(framework, quick, threads):
    """This process's fast-runner Trainer for a framework and data size, on `threads` CPU threads."""
    key = (framework, quick, threads)
    if key not in TRAINERS:
        os.environ[data.ENV_QUICK] = "1" if quick else "0"
        backend = importlib.import_module(f"d2l_ext.fast.{framework}")
        if framework == "pytorch":
            backend.torch.set_num_threads(threads)
        TRAINERS[key] = backend.Trainer(BATCH_SIZE)
    return TRAINERS[key]


def record(config, history, threads, start, together=1):
    """What a finished trial keeps: its config, per-epoch history and final figures, time, device, worker."""
    info = json.loads(machine.describe())
    return {
        "config": config,
        **summary(history),
        "wall_s": round(time.monotonic() - start, 2),
        "device": info["device"],
        "host": info["host"],
        "date": info["date"],
        "threads": threads,
        "trained_together": together,
        "pid": os.getpid(),
    }


def run_trial(config, threads):
    """Train one trial (a config from exercises.configs) here, on `threads` CPU threads; its record."""
    start = time.monotonic()
    fit = trainer(config["framework"], config["quick"], threads)
    os.environ[data.ENV_QUICK] = "1" if config["quick"] else "0"
    history = fit.train(exercises.spec(config), config["epochs"], seed=config["seed"])
    return record(config, history, threads, start)


def run_together(configs, threads):
    """PyTorch trials of one seed and epoch count trained in one vmapped step per batch (--together); records."""
    (seed,), (epochs,) = {c["seed"] for c in configs}, {c["epochs"] for c in configs}
    from d2l_ext.fast import pytorch

    start = time.monotonic()
    os.environ[data.ENV_QUICK] = "1" if configs[0]["quick"] else "0"
    specs = [exercises.spec(c) for c in configs]
    histories = pytorch.Trainer(BATCH_SIZE, together=specs).train_together(epochs, seed=seed)
    return [record(c, histories[s], threads, start, together=len(configs)) for c, s in zip(configs, specs)]
