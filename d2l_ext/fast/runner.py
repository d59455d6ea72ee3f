"""`python -m d2l_ext fast`: the chapter's five runs as fast as the hardware allows, with a results JSON and figure.

Same model (the chapter's first cell, generated into d2l_ext/fast/<framework>.py), data, hyper-parameters
and schedule clock per framework as the chapter; each schedule starts fresh (the notebooks' plotting cells
advance the stateful schedulers before training; this runner does not).
"""

import argparse
import importlib
import io
import json
import os
import statistics
import time
from pathlib import Path

from d2l_ext import data, machine
from d2l_ext.files import write_atomic

RUNS = ("constant", "square_root", "piecewise", "cosine", "cosine_warmup")
FRAMEWORKS = ("pytorch", "tensorflow", "mxnet")
NUM_EPOCHS, BATCH_SIZE = 30, 256
RESULTS_NAME = "results-{framework}.json"
FIGURE_NAME = "runs-{framework}.png"


def parse_args(argv=None):
    """The command line: framework, runs, quick mode, epochs, output folder."""
    parser = argparse.ArgumentParser(prog="python -m d2l_ext fast", description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=FRAMEWORKS, default="pytorch")
    parser.add_argument("--schedule", choices=RUNS + ("all",), default="all", help="one run, or all five")
    parser.add_argument("--quick", action="store_true", help="the class-balanced quick subset (D2L_EXT_QUICK)")
    parser.add_argument("--epochs", type=int, default=NUM_EPOCHS)
    parser.add_argument(
        "--mode",
        choices=("auto", "eager", "graph"),
        default="auto",
        help="pytorch only: CUDA-graph replay of each step (auto: on a GPU) or eager steps",
    )
    parser.add_argument(
        "--together",
        action="store_true",
        help="pytorch only: train the chosen runs in one vmapped step per batch (see together.py)",
    )
    parser.add_argument("--out", type=Path, default=Path("build/run"), help="folder for the JSON and figure")
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error(f"--epochs={args.epochs}: must be at least 1")
    if args.mode != "auto" and args.framework != "pytorch":
        parser.error(f"--mode={args.mode} is for --framework pytorch; {args.framework} has one mode")
    if args.together and args.framework != "pytorch":
        parser.error(f"--together is for --framework pytorch; {args.framework} trains its runs one by one")
    return args


def summary(history):
    """Final figures and timing of one run from its per-epoch history."""
    last = history[-1]
    times = [e["time_s"] for e in history]
    return {
        "train_loss": last["train_loss"],
        "train_acc": last["train_acc"],
        "test_acc": last["test_acc"],
        "first_epoch_s": times[0],
        "steady_epoch_s": statistics.median(times[1:] or times),
        "train_time_s": sum(times),
        "epochs": history,
    }


def plot(runs, path, title):
    """One figure: learning rate and test accuracy per epoch, every run."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    fig, (ax_lr, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, run in runs.items():
        epochs = [e["epoch"] for e in run["epochs"]]
        ax_lr.plot(epochs, [e["lr"] for e in run["epochs"]], label=name)
        ax_acc.plot(epochs, [e["test_acc"] for e in run["epochs"]], label=name)
    ax_lr.set(xlabel="epoch", ylabel="learning rate (last update of epoch)")
    ax_acc.set(xlabel="epoch", ylabel="test accuracy")
    ax_acc.legend(fontsize=8)
    fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=110)
    plt.close(fig)
    write_atomic(path, png.getvalue())


def main(argv=None):
    """Train the chosen runs, print one line per run, write the JSON and the figure."""
    args = parse_args(argv)
    if args.quick:
        os.environ[data.ENV_QUICK] = "1"
    backend = importlib.import_module(f"d2l_ext.fast.{args.framework}")
    names = RUNS if args.schedule == "all" else (args.schedule,)
    start = time.monotonic()
    options = {"mode": args.mode, "together": names if args.together else ()} if args.framework == "pytorch" else {}
    trainer = backend.Trainer(BATCH_SIZE, **options)
    setup_s = time.monotonic() - start
    histories = trainer.train_together(args.epochs) if args.together else None
    runs = {}
    for name in names:
        runs[name] = summary(histories[name] if args.together else trainer.train(name, args.epochs))
        r = runs[name]
        print(
            f"{args.framework:10s} {name:14s} train loss {r['train_loss']:.3f}, train acc {r['train_acc']:.3f}, "
            f"test acc {r['test_acc']:.3f}  ({r['train_time_s']:.1f} s; first epoch {r['first_epoch_s']:.2f} s, "
            f"then {r['steady_epoch_s']:.3f} s/epoch)",
            flush=True,
        )
    info = json.loads(machine.describe())
    # together, every run's epoch times are the same shared epochs: count them once
    train_time_s = runs[names[0]]["train_time_s"] if args.together else sum(r["train_time_s"] for r in runs.values())
    record = {
        "framework": args.framework,
        "quick_mode": args.quick,
        "epochs": args.epochs,
        "batch_size": BATCH_SIZE,
        "mode": trainer.mode,
        "together": args.together,
        "setup_s": round(setup_s, 2),
        "warmup_s": trainer.warmup_s,
        "train_time_s": round(train_time_s, 2),
        **info,
        "runs": runs,
    }
    write_atomic(args.out / RESULTS_NAME.format(framework=args.framework), json.dumps(record, indent=1))
    plot(
        runs,
        args.out / FIGURE_NAME.format(framework=args.framework),
        f"{args.framework} on {info['device']}{' (quick)' if args.quick else ''}",
    )
    print(
        f"all runs: {record['train_time_s']:.1f} s of training (+{setup_s:.1f} s set-up, "
        f"{trainer.warmup_s:.1f} s warm-up, mode {record['mode']}{', together' if args.together else ''}) "
        f"on {info['device']}; wrote {args.out}/"
    )
    return record


if __name__ == "__main__":
    main()
