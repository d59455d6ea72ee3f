"""Where trials run and land: in this process by default, as Ray tasks with `ray`; each finished trial is written
at once (atomically) into the sweep's folder, and a rerun reads the finished ones instead of training them again."""

import hashlib
import importlib
import json
from pathlib import Path

from d2l_ext import cpus
from d2l_ext.files import write_atomic
from d2l_ext.sweep import trials

TRIALS_DIR = "trials"
MAX_RETRIES = 3  # Ray reruns a task whose worker died (killed, out of memory, node lost) this many times
GPU_SHARE = 0.25  # a trial's share of a GPU on a Ray cluster with GPUs: LeNet leaves most of one idle
RAY_AUTO = "auto"


def trial_name(config):
    """A trial's file name: its value and seed, then a digest of its whole config (another config, another file)."""
    digest = hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:10]
    return f"{config['value']}-seed{config['seed']}-{digest}.json"


class Store:
    """One sweep's folder: a JSON record per finished trial under trials/."""

    def __init__(self, folder):
        self.folder = Path(folder)

    def path(self, config):
        return self.folder / TRIALS_DIR / trial_name(config)

    def load(self, config):
        """The finished trial's record, or None; an unreadable or foreign file is an error naming it."""
        path = self.path(config)
        if not path.exists():
            return None
        try:
            found = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise RuntimeError(f"{path}: not a trial record ({e}); delete it to train that trial again") from None
        if found.get("config") != config:
            raise RuntimeError(f"{path}: holds another trial's record; delete it to train this one again")
        return found

    def save(self, record):
        """Write a finished trial's record atomically."""
        write_atomic(self.path(record["config"]), json.dumps(record, indent=1))


def line(record, reused=False):
    """One log line for a finished trial."""
    c = record["config"]
    how = f"reused from {record['date']}" if reused else f"{record['wall_s']:.1f} s"
    return (
        f"exercise {c['exercise']} {c['schedule']} seed {c['seed']}: train loss {record['train_loss']:.3f}, "
        f"test acc {record['test_acc']:.3f} ({how}, {record['device']})"
    )


def run(configs, folder, ray=None, threads=None, gpus=None, together=False, trial=trials.run_trial, log=print):
    """Every trial's record, in the order of `configs`: finished ones read, the rest trained and written."""
    store, threads = Store(folder), threads or cpus.available()
    records, todo = {}, []
    for config in configs:
        found = store.load(config)
        if found is None:
            todo.append(config)
        else:
            records[trial_name(config)] = found
            log(line(found, reused=True))
    if ray is not None:
        finished = on_ray(todo, ray, threads, gpus, trial)
    elif together:
        finished = (
            r for seed in sorted({c["seed"] for c in todo}) for r in trials.run_together(by_seed(todo, seed), threads)
        )
    else:
        finished = (trial(config, threads) for config in todo)
    for found in finished:
        store.save(found)
        records[trial_name(found["config"])] = found
        log(line(found))
    return [records[trial_name(c)] for c in configs]


def by_seed(configs, seed):
    return [c for c in configs if c["seed"] == seed]


def connect(ray_module, address):
    """Start a local Ray on this machine's cores (`auto`) or join the cluster at `address`; whether we started it."""
    if ray_module.is_initialized():
        return False
    if address == RAY_AUTO:
        ray_module.init(num_cpus=cpus.available(), include_dashboard=False, log_to_driver=False)
    else:
        ray_module.init(address=address, log_to_driver=False)
    return True


def on_ray(todo, address, threads, gpus, trial):
    """Each trial a Ray task declaring its CPU threads (and GPU share); records yielded as tasks finish."""
    if not todo:
        return
    ray = importlib.import_module("ray")  # only here: the default engine never loads it
    started = connect(ray, address)
    try:
        cluster_cpus = ray.cluster_resources().get("CPU", 0)
        if threads > cluster_cpus:
            raise RuntimeError(f"--cpus-per-trial {threads}: the Ray cluster has {cluster_cpus:g} CPUs; ask for fewer")
        gpus = (GPU_SHARE if ray.cluster_resources().get("GPU") else 0) if gpus is None else gpus
        task = ray.remote(num_cpus=threads, num_gpus=gpus, max_retries=MAX_RETRIES, retry_exceptions=False)(trial)
        pending = [task.remote(config, threads) for config in todo]
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            yield ray.get(done[0])
    finally:
        if started:
            ray.shutdown()
