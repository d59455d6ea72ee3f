"""`python -m d2l_ext.tune`: a choice behind the PyTorch speed path, timed side by side on this machine.

The fast runner's captured step with cuDNN's algorithm search (`cudnn.benchmark`) off and on, alternated
(A B A B ...) so that drift hits both alike. (The A/B of the drop-in's device-side metrics, in
benchmarks/results/h100/, was measured with the commit that added that folder; those metrics are gone.)
"""
import argparse
import json
import statistics
from pathlib import Path

from d2l_ext import bench, runinfo

ROUNDS = 3
EPOCHS = 6  # per fast-runner trial; the first is left out of the median


def cudnn_ab(rounds):
    """Median epoch seconds of the fast runner's constant run with cudnn.benchmark off and on, alternated."""
    import torch
    from d2l_ext.fast.pytorch import Trainer
    times = {"benchmark_off": [], "benchmark_on": []}
    for _ in range(rounds):
        for name, flag in (("benchmark_off", False), ("benchmark_on", True)):
            trainer = Trainer(bench.BATCH_SIZE, cudnn_benchmark=flag)
            epochs = [e["time_s"] for e in trainer.train("constant", EPOCHS)]
            times[name].append(round(statistics.median(epochs[1:]), 4))
    torch.backends.cudnn.benchmark = False
    return times


def main(argv=None):
    """Run the comparison, print medians, write tune-<device>.json."""
    parser = argparse.ArgumentParser(prog="python -m d2l_ext.tune", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--out", type=Path, default=bench.RESULTS_DIR)
    args = parser.parse_args(argv)
    results = {"cudnn": cudnn_ab(args.rounds)}
    for question, times in results.items():
        for name, values in times.items():
            print(f"{question:8s} {name:14s} median {statistics.median(values):.4f} s/epoch   all {values}")
    record = {"command": "python -m d2l_ext.tune", **json.loads(runinfo.describe()), "results": results}
    bench.write_record(record, args.out, "tune")
    return record


if __name__ == "__main__":
    main()
