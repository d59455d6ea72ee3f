"""`python -m d2l_ext sweep --exercise 1|2|3|4 [--grid ...] [--quick|--full-size] [--ray auto|ADDRESS] [--out DIR]`."""

import argparse
from pathlib import Path

from d2l_ext import data
from d2l_ext.sweep import exercises, run

DEFAULT_OUT = Path("build/sweeps")


def numbers(text):
    """A comma-separated list of numbers, for argparse (its error names the value)."""
    try:
        return exercises.parse_grid(text)
    except exercises.GridError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def parse_args(argv=None):
    """The command line, every value checked (grid, seeds and options that would be ignored) before anything runs."""
    parser = argparse.ArgumentParser(prog="python -m d2l_ext sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--exercise", type=int, choices=sorted(exercises.EXERCISES), required=True)
    parser.add_argument("--grid", type=numbers, help="comma-separated values (default: the exercise's)")
    parser.add_argument(
        "--quick",
        action=argparse.BooleanOptionalAction,
        help=f"the smaller quick settings, as nbval runs them (default: {data.ENV_QUICK})",
    )
    parser.add_argument(
        "--full-size",
        action="store_true",
        help="all of Fashion-MNIST, and exercise 3's ResNet-18 at the book's width (default: the quick subset, a "
        "quarter of the width: what a 2-core CPU affords)",
    )
    parser.add_argument("--framework", choices=exercises.FRAMEWORKS, default="pytorch")
    parser.add_argument(
        "--epochs", type=int, help="epochs per trial (default: the exercise's, d2l_ext/sweep/exercises.py)"
    )
    parser.add_argument("--seeds", type=numbers, help="comma-separated seeds (default: 0,1,2; exercise 3: 0,1)")
    parser.add_argument("--ray", metavar="auto|ADDRESS", help="run trials as Ray tasks: a local Ray, or join a cluster")
    parser.add_argument("--cpus-per-trial", type=int, help="CPU threads of a PyTorch trial (default: all)")
    parser.add_argument("--gpus-per-trial", type=float, help="GPU share of a Ray task (default: 0.25 where GPUs are)")
    parser.add_argument("--together", action="store_true", help="pytorch, in-process: a seed's trials in one step")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="one folder per sweep is made under it")
    args = parser.parse_args(argv)
    if args.together and (args.ray or args.framework != "pytorch"):
        parser.error("--together trains in this process with pytorch: leave out --ray, or --together")
    if args.together and args.exercise == 3:
        parser.error("--together is for LeNet's sweeps: exercise 3's ResNet-18 trains one trial at a time")
    if args.cpus_per_trial is not None and args.framework == "tensorflow":
        parser.error("--cpus-per-trial: TensorFlow takes its threads from the CPU share when it loads; leave it out")
    if args.cpus_per_trial is not None and args.cpus_per_trial < 1:
        parser.error(f"--cpus-per-trial {args.cpus_per_trial}: must be at least 1")
    if args.gpus_per_trial is not None and not args.ray:
        parser.error("--gpus-per-trial is a Ray task's GPU share: give --ray too, or leave it out")
    if args.gpus_per_trial is not None and not 0 <= args.gpus_per_trial <= 1:
        parser.error(f"--gpus-per-trial {args.gpus_per_trial}: must be a share of one GPU, 0 to 1")
    try:
        args.quick = data.quick_mode() if args.quick is None else args.quick
        exercises.configs(args.exercise, args.quick, args.grid, args.epochs, args.seeds, args.framework, args.full_size)
    except ValueError as e:  # a refused grid value, seed or epoch count, or a bad D2L_EXT_QUICK
        parser.error(str(e))
    return args


def main(argv=None):
    """Run one exercise's sweep; print a line per trial, the table, and where it was written."""
    args = parse_args(argv)
    result = run(
        args.exercise,
        args.out,
        quick=args.quick,
        grid=args.grid,
        epochs=args.epochs,
        seeds=args.seeds,
        framework=args.framework,
        full_size=args.full_size,
        ray=args.ray,
        threads=args.cpus_per_trial,
        gpus=args.gpus_per_trial,
        together=args.together,
    )
    print(result.table, end="")
    print(f"wrote {result.folder}/ ({len(result.records)} trials)")
