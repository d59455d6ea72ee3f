"""Where trials run and land: in this process by default, as Ray tasks with `ray`; each finished trial is written
at once (atomically) into the sweep's folder, and a rerun on the same stack (d2l_ext, framework and their versions,
device kind) reads the finished ones instead of training them again. Without a folder nothing is kept."""

import hashlib
import importlib
import json
from pathlib import Path

from d2l_ext import D2lExtError, cpus
from d2l_ext.atomic import write_atomic
from d2l_ext.sweep import trials

TRIALS_DIR = "trials"
MAX_RETRIES = 3  # Ray reruns a task whose worker died (killed, out of memory, node lost) this many times
GPU_SHARE = 0.25  # a trial's share of a GPU on a Ray cluster with GPUs: LeNet leaves most of one idle
RAY_AUTO = "auto"


class RecordError(D2lExtError):
    """A file in a sweep's folder that is not the trial record its name says."""


class ClusterError(D2lExtError):
    """A trial that no node of the Ray cluster can hold."""


def trial_name(config, stack):
    """A trial's file name: its value and seed, then a digest of its config and stack (another one, another file)."""
    digest = hashlib.sha256(json.dumps([config, stack], sort_keys=True).encode()).hexdigest()[:10]
    return f"{config['value']}-seed{config['seed']}-{digest}.json"


class Store:
    """One sweep's folder: a JSON record per finished trial under trials/, for one stack."""

    def __init__(self, folder, stack):
        self.folder, self.stack = Path(folder), stack

    def path(self, config):
        return self.folder / TRIALS_DIR / trial_name(config, self.stack)

    def load(self, config):
        """The finished trial's record, or None; an unreadable or foreign file is an error naming it."""
        path = self.path(config)
        if not path.exists():
            return None
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise RecordError(f"{path}: not a trial record ({e}); delete it to train that trial again") from None
        if found.get("config") != config or found.get("stack") != self.stack:
            raise RecordError(f"{path}: holds another trial's record; delete it to train this one again")
        return found

    def save(self, record):
        """Write a finished trial's record atomically."""
        write_atomic(self.path(record["config"]), json.dumps(record, indent=1))


class Nowhere:
    """No folder: nothing is read or kept."""

    def load(self, config):
        return None

    def save(self, record):
        pass


def line(record, reused=False):
    """One log line for a finished trial."""
    c = record["config"]
    how = f"reused from {record['date']}" if reused else f"{record['wall_s']:.1f} s"
    return (
        f"exercise {c['exercise']} {c['schedule']} seed {c['seed']}: train loss {record['train_loss']:.3f}, "
        f"test acc {record['test_acc']:.3f} ({how}, {record['device']})"
    )


def by_seed(configs, seed):
    return [c for c in configs if c["seed"] == seed]


def run(configs, folder=None, ray=None, threads=None, gpus=None, together=False, trial=trials.run_trial, log=print):
    """Every trial's record, in the order of `configs`: finished ones read, the rest trained (and written)."""
    threads, framework = threads or cpus.available(), configs[0]["framework"]
    if ray is None:
        stack = trials.stack(framework, trials.device_kind(framework))
        store = Store(folder, stack) if folder is not None else Nowhere()
        todo, records = unfinished(configs, store, log)
        if together:
            seeds = sorted({c["seed"] for c in todo})
            finished = (r for seed in seeds for r in trials.run_together(by_seed(todo, seed), threads))
        else:
            finished = (trial(config, threads) for config in todo)
        return landed(configs, finished, records, store, stack, log)
    ray_module = importlib.import_module("ray")  # only here: the default engine never loads it
    started = connect(ray_module, ray)
    try:
        gpus = fitting(ray_module, threads, gpus)
        stack = trials.stack(framework, "gpu" if gpus else "cpu")
        store = Store(folder, stack) if folder is not None else Nowhere()
        todo, records = unfinished(configs, store, log)
        return landed(configs, on_ray(ray_module, todo, threads, gpus, trial), records, store, stack, log)
    finally:
        if started:
            ray_module.shutdown()


def unfinished(configs, store, log):
    """(the configs still to train, {config's key: record} of those the store has)."""
    todo, records = [], {}
    for config in configs:
        found = store.load(config)
        if found is None:
            todo.append(config)
        else:
            records[json.dumps(config, sort_keys=True)] = found
            log(line(found, reused=True))
    return todo, records


def landed(configs, finished, records, store, stack, log):
    """Each finished record stamped with the stack and saved as it comes; then all records in the order of configs."""
    for found in finished:
        found["stack"] = stack
        store.save(found)
        records[json.dumps(found["config"], sort_keys=True)] = found
        log(line(found))
    return [records[json.dumps(c, sort_keys=True)] for c in configs]


def connect(ray_module, address):
    """Start a local Ray on this machine's cores (`auto`) or join the cluster at `address`; whether we started it."""
    if ray_module.is_initialized():
        return False
    if address == RAY_AUTO:
        ray_module.init(num_cpus=cpus.available(), include_dashboard=False, log_to_driver=False)
    else:
        ray_module.init(address=address, log_to_driver=False)
    return True


def fitting(ray_module, threads, gpus):
    """A trial's GPU share (GPU_SHARE where the cluster has GPUs, unless given), once some node can hold the trial."""
    nodes = [node["Resources"] for node in ray_module.nodes() if node["Alive"]]
    gpus = (GPU_SHARE if any(n.get("GPU") for n in nodes) else 0) if gpus is None else gpus
    largest_cpus, largest_gpus = max(n.get("CPU", 0) for n in nodes), max(n.get("GPU", 0) for n in nodes)
    if threads > largest_cpus:
        raise ClusterError(
            f"--cpus-per-trial {threads}: the largest node of the Ray cluster has {largest_cpus:g} CPUs, and a trial "
            f"runs on one node; ask for at most {largest_cpus:g}"
        )
    if gpus > largest_gpus:
        raise ClusterError(f"--gpus-per-trial {gpus:g}: the largest node of the Ray cluster has {largest_gpus:g} GPUs")
    return gpus


def on_ray(ray_module, todo, threads, gpus, trial):
    """Each trial a Ray task declaring its CPU threads (and GPU share); records yielded as tasks finish."""
    if not todo:
        return
    task = ray_module.remote(num_cpus=threads, num_gpus=gpus, max_retries=MAX_RETRIES, retry_exceptions=False)(trial)
    pending = [task.remote(config, threads) for config in todo]
    while pending:
        done, pending = ray_module.wait(pending, num_returns=1)
        yield ray_module.get(done[0])
