"""`python -m benchmarks.bench`: d2l's PyTorch pipeline against ours, in one process on one machine.

Reference = d2l's own code (torchvision dataset, ToTensor, DataLoader with 4 workers, d2l's Animator)
fed the same Fashion-MNIST bytes from a temporary `../data/FashionMNIST/raw`. Ratios are ours / reference.
The epochs are full-data ones; `--quick` measures on the quick subset instead (a laptop's check, minutes less).
"""

import argparse
import contextlib
import json
import os
import re
import tempfile
import time
from pathlib import Path

import nbformat

from d2l_ext import data, provenance
from d2l_ext.atomic import write_atomic
from tools import chapter, codegen, notebooks

RESULTS_DIR = Path("benchmarks/results")
COMMAND = "make bench"
D2L_IMPORT_OURS = re.compile(r"^from d2l_ext import torch as d2l$", re.MULTILINE)
BATCH_SIZE = 256
EPOCH_REPEATS = 2  # epochs timed per side; the best counts
PROFILE_TOP = 15


def write_raw(folder, quick):
    """The four IDX files, decompressed (the torchvision layout), full or quick subset."""
    raw = Path(folder) / "data" / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for split in ("train", "test"):
        for kind, array in zip(("images", "labels"), data.load_split(split, quick=quick)):
            (raw / data.FILES[(split, kind)][0]).write_bytes(data.idx_bytes(array, data.LAYOUT[kind][0]))
    (Path(folder) / "work").mkdir()
    return Path(folder) / "work"


@contextlib.contextmanager
def cwd(path, **environment):
    """Run the block in `path` (d2l reads ../data relative to it) with these variables set; both restored after."""
    before, saved = os.getcwd(), {name: os.environ.get(name) for name in environment}
    os.chdir(path)
    os.environ.update(environment)
    try:
        yield
    finally:
        os.chdir(before)
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)


def timed(fn):
    """(seconds, result) of one call."""
    start = time.monotonic()
    result = fn()
    return time.monotonic() - start, result


def one_pass(loaders):
    """Build the loaders, then read every training batch once."""
    train_iter, _ = loaders()
    return sum(len(y) for _, y in train_iter)


def chapter_train(d2l_module):
    """The chapter's PyTorch `train`, verbatim, bound to the given d2l module."""
    import torch
    from torch.optim import lr_scheduler

    namespace = {"d2l": d2l_module, "torch": torch, "lr_scheduler": lr_scheduler}
    exec(codegen.extract(chapter.read_chapter(), "pytorch", "train"), namespace)  # noqa: S102  chapter code
    return namespace["train"]


def chapter_epoch(d2l_module):
    """Seconds for one epoch of the chapter's train loop with d2l_module's loader and plots (on what ../data and
    D2L_EXT_QUICK give it: the full data, or the quick subset with --quick).

    The best of two epochs, on either side: the first pays one-time costs (cuDNN's algorithm search on a GPU,
    thread pools and allocator on a CPU, where one-shot figures of the same code varied 4.1-6.0 s).
    """
    import torch

    from d2l_ext.fast.pytorch import chapter_run, net_fn

    train_iter, test_iter = d2l_module.load_data_fashion_mnist(batch_size=BATCH_SIZE)
    net, device = net_fn(), d2l_module.try_gpu()
    trainer = torch.optim.SGD(net.parameters(), lr=chapter_run("constant")[0])
    train = chapter_train(d2l_module)
    return min(
        timed(lambda: train(net, train_iter, test_iter, 1, torch.nn.CrossEntropyLoss(), trainer, device))[0]
        for _ in range(EPOCH_REPEATS)
    )


def run_notebook(nb, folder):
    """Seconds to execute a notebook top to bottom in `folder`."""
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=None, kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    seconds, _ = timed(client.execute)
    return seconds


def figure(name, ours, reference):
    """One bench line: absolute times and ours / reference."""
    ratio = ours / reference
    print(
        f"{name:34s} reference {reference:8.2f} s   ours {ours:8.2f} s   ours/ref {ratio:5.3f}  "
        f"({1 / ratio:.2f}x faster)",
        flush=True,
    )
    return {"reference_s": round(reference, 3), "ours_s": round(ours, 3), "ratio": round(ratio, 4)}


def bench(skip_notebook=False, quick=False):
    """Every figure, measured in this process; returns the JSON record."""
    from d2l import torch as d2l_ref

    from d2l_ext import torch as d2l_ours
    from d2l_ext.fast.pytorch import Trainer, chapter_run

    figures, size = {}, "quick" if quick else "full"
    # ours reads the real files (their quick subset with --quick), the reference the same bytes from ../data
    ours = {data.ENV_DIR: str(data.locate().resolve()), data.ENV_QUICK: "1" if quick else "0"}
    with tempfile.TemporaryDirectory() as epochs, tempfile.TemporaryDirectory() as notebook:
        epoch_work, notebook_work = write_raw(epochs, quick=quick), write_raw(notebook, quick=True)
        with cwd(epoch_work, **ours):
            figures["load_data_one_pass"] = figure(
                "load data + one pass over train",
                timed(lambda: one_pass(lambda: d2l_ours.load_data_fashion_mnist(BATCH_SIZE)))[0],
                timed(lambda: one_pass(lambda: d2l_ref.load_data_fashion_mnist(BATCH_SIZE)))[0],
            )
            figures["chapter_epoch"] = figure(
                f"chapter train(), 1 {size} epoch", chapter_epoch(d2l_ours), chapter_epoch(d2l_ref)
            )
        if not skip_notebook:
            ours_nb = nbformat.read(notebooks.notebook_path("pytorch"), as_version=4)
            ref_nb = nbformat.read(notebooks.notebook_path("pytorch"), as_version=4)
            for cell in ref_nb.cells:
                cell.source = D2L_IMPORT_OURS.sub("from d2l import torch as d2l", cell.source)
            with cwd(notebook_work, **ours, **{data.ENV_QUICK: "1"}):
                figures["notebook_quick"] = figure(
                    "PyTorch notebook, quick mode",
                    run_notebook(ours_nb, notebook_work),
                    run_notebook(ref_nb, notebook_work),
                )
        fast = Trainer(BATCH_SIZE, quick)
        steady = sorted(e["time_s"] for e in fast.train(chapter_run("constant", 3)))[1]
        figures["fast_runner_epoch"] = figure(
            f"fast runner ({fast.mode}), 1 {size} epoch", steady, figures["chapter_epoch"]["reference_s"]
        )
        figures["fast_runner_epoch"]["mode"] = fast.mode
    info = json.loads(provenance.describe())
    return {"command": COMMAND, **info, "quick_mode": quick, "batch_size": BATCH_SIZE, "figures": figures}


def kernel_seconds(averages):
    """GPU kernel time in a profile, counted as torch's table footer does (kernel events only, once)."""
    from torch.autograd import DeviceType

    return (
        sum(e.self_device_time_total for e in averages if e.device_type == DeviceType.CUDA and not e.is_user_annotation)
        / 1e6
    )


def gpu_profile(d2l_ours, top):
    """torch.profiler over EPOCH_REPEATS epochs on the GPU: the busiest ops, and GPU busy time per epoch vs wall."""
    import torch
    from torch.profiler import ProfilerActivity

    wall = chapter_epoch(d2l_ours)  # unprofiled, best of two
    with torch.profiler.profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        profiled = chapter_epoch(d2l_ours)
    averages = prof.key_averages()
    print(averages.table(sort_by="self_cpu_time_total", row_limit=top))
    kernels_s = kernel_seconds(averages)
    per_epoch = kernels_s / EPOCH_REPEATS
    print(
        f"one epoch of the chapter's loop: {wall:.3f} s wall unprofiled ({profiled:.3f} s profiled, "
        f"{EPOCH_REPEATS} epochs); GPU kernels busy {per_epoch:.3f} s per epoch = {100 * per_epoch / wall:.0f} % "
        f"of the wall time"
    )


def profile(top=PROFILE_TOP):
    """Print where full-data epochs of the chapter's train loop (our loader; EPOCH_REPEATS of them) spend time."""
    import cProfile
    import pstats

    from d2l_ext import torch as d2l_ours

    if d2l_ours.try_gpu().type == "cuda":
        return gpu_profile(d2l_ours, top)
    profiler = cProfile.Profile()
    profiler.runcall(chapter_epoch, d2l_ours)
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main(argv=None):
    """Run the bench and write its JSON under benchmarks/results/."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--skip-notebook", action="store_true", help="leave out the (slow) notebook figure")
    parser.add_argument("--quick", action="store_true", help="epochs of the quick subset instead of the full data")
    parser.add_argument("--profile", action="store_true", help="only profile one epoch of the chapter's loop")
    parser.add_argument("--out", type=Path, default=RESULTS_DIR)
    args = parser.parse_args(argv)
    if args.profile:
        return profile()
    write_record(bench(args.skip_notebook, args.quick), args.out, "bench-quick" if args.quick else "bench")


def write_record(record, folder, prefix):
    """Write `record` as folder/<prefix>-<device>.json, through a temporary file."""
    slug = re.sub(r"[^a-z0-9]+", "-", record["device"].lower()).strip("-")
    path = Path(folder) / f"{prefix}-{slug}.json"
    write_atomic(path, json.dumps(record, indent=1))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
