"""`python -m d2l_ext fast`: the chapter's five runs as fast as the hardware allows, with a results JSON and figure.

Same model, data, learning rates and schedule clock per framework as the chapter: each run's settings are what the
chapter's own cells (generated into d2l_ext/fast/<framework>.py as `chapter_runs`) hand its `train`, the plotting
cells' side effects included (the PyTorch piecewise run, pre-stepped by its plot, trains at 0.125 throughout).
"""

import argparse
import importlib
import json
import statistics
import time
from pathlib import Path

from d2l_ext import D2lExtError, data, determinism, fast, figures, provenance
from d2l_ext.atomic import write_atomic

FRAMEWORKS = ("pytorch", "tensorflow", "mxnet")
BATCH_SIZE = 256  # the chapter's
RESULTS_NAME = "results-{framework}.json"
FIGURE_NAME = "runs-{framework}.png"


class RunError(D2lExtError, ValueError):
    """A run the chapter does not have (e.g. more epochs than its 30)."""


def from_environment(parser, read, given):
    """`given`, else what `read()` takes from the environment; a bad variable is the parser's error."""
    try:
        return read() if given is None else given
    except ValueError as e:
        parser.error(str(e))


def parse_args(argv=None):
    """The command line: framework, runs, quick mode and seed (default: the variables), epochs, output folder."""
    parser = argparse.ArgumentParser(prog="python -m d2l_ext fast", description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=FRAMEWORKS, default="pytorch")
    parser.add_argument("--schedule", choices=fast.RUNS + ("all",), default="all", help="one run, or all five")
    parser.add_argument(
        "--quick", action=argparse.BooleanOptionalAction, help=f"the quick subset (default: {data.ENV_QUICK})"
    )
    parser.add_argument("--seed", type=int, help=f"the seed of every run (default: {determinism.ENV_SEED}, else 0)")
    parser.add_argument("--epochs", type=int, help="the first N epochs of each run (default: all, the chapter's 30)")
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
    if args.epochs is not None and args.epochs < 1:
        parser.error(f"--epochs={args.epochs}: must be at least 1")
    if args.mode != "auto" and args.framework != "pytorch":
        parser.error(f"--mode={args.mode} is for --framework pytorch; {args.framework} has one mode")
    if args.together and args.framework != "pytorch":
        parser.error(f"--together is for --framework pytorch; {args.framework} trains its runs one by one")
    args.quick = from_environment(parser, data.quick_mode, args.quick)
    args.seed = from_environment(parser, determinism.seed_value, args.seed)
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


def draw(runs):
    """A figure's two panels: learning rate and test accuracy per epoch, every run."""

    def on(ax_lr, ax_acc):
        for name, run in runs.items():
            epochs = [e["epoch"] for e in run["epochs"]]
            ax_lr.plot(epochs, [e["lr"] for e in run["epochs"]], label=name)
            ax_acc.plot(epochs, [e["test_acc"] for e in run["epochs"]], label=name)
        ax_lr.set(xlabel="epoch", ylabel="learning rate (last update of epoch)")
        ax_acc.set(xlabel="epoch", ylabel="test accuracy")
        ax_acc.legend(fontsize=8)

    return on


def chosen(backend, names, epochs):
    """{run: its setting} for the chosen runs, their first `epochs` epochs."""
    try:
        return {name: backend.chapter_run(name, epochs) for name in names}
    except ValueError as e:
        raise RunError(f"--epochs {epochs}: {e}") from None


def run(args):
    """Train the chosen runs, print one line per run, write the JSON and the figure; the record."""
    backend = importlib.import_module(f"d2l_ext.fast.{args.framework}")
    names = fast.RUNS if args.schedule == "all" else (args.schedule,)
    settings = chosen(backend, names, args.epochs)
    start = time.monotonic()
    options = {"mode": args.mode, "together": list(settings.values()) if args.together else ()}
    trainer = backend.Trainer(BATCH_SIZE, args.quick, **(options if args.framework == "pytorch" else {}))
    setup_s = time.monotonic() - start
    histories = dict(zip(names, trainer.train_together(args.seed))) if args.together else {}
    runs = {}
    for name, setting in settings.items():
        runs[name] = r = summary(histories[name] if args.together else trainer.train(setting, args.seed))
        print(
            f"{args.framework:10s} {name:14s} train loss {r['train_loss']:.3f}, train acc {r['train_acc']:.3f}, "
            f"test acc {r['test_acc']:.3f}  ({r['train_time_s']:.1f} s; first epoch {r['first_epoch_s']:.2f} s, "
            f"then {r['steady_epoch_s']:.3f} s/epoch)",
            flush=True,
        )
    info = json.loads(provenance.describe())
    # together, every run's epoch times are the same shared epochs: count them once
    train_time_s = runs[names[0]]["train_time_s"] if args.together else sum(r["train_time_s"] for r in runs.values())
    record = {
        "framework": args.framework,
        "quick_mode": args.quick,
        "seed": args.seed,
        "epochs": len(runs[names[0]]["epochs"]),
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
    title = f"{args.framework} on {info['device']}, seed {args.seed}{' (quick)' if args.quick else ''}"
    write_atomic(args.out / FIGURE_NAME.format(framework=args.framework), figures.two_panels_png(draw(runs), title))
    print(
        f"all runs: {record['train_time_s']:.1f} s of training (+{setup_s:.1f} s set-up, "
        f"{trainer.warmup_s:.1f} s warm-up, mode {record['mode']}{', together' if args.together else ''}) "
        f"on {info['device']}; wrote {args.out}/"
    )
    return record


def main(argv=None):
    """The command line's entry (python -m d2l_ext fast): parse, run."""
    run(parse_args(argv))
