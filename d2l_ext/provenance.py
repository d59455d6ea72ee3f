"""What ran a notebook, a fast run or a trial: device, versions, host, date (a notebook's, asked inside its kernel)."""

import datetime
import importlib.metadata
import json
import platform
import resource
import sys

import d2l_ext
from d2l_ext import cpus, data, determinism, mxnet_cpu

PACKAGES = ("d2l_ext", "d2l", "numpy", "mxnet", "torch", "torchvision", "tensorflow", "tf-keras")
CPU_INFO = "/proc/cpuinfo"


def version(name):
    """An installed package's version (d2l_ext's own: the code's, even from an editable install), or None."""
    if name == "d2l_ext":
        return d2l_ext.__version__
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def cpu_name():
    """The CPU model name, where /proc/cpuinfo tells it."""
    try:
        with open(CPU_INFO, encoding="utf-8") as f:
            return next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), platform.processor()
            )
    except OSError:
        return platform.processor()


def accelerators():
    """GPUs seen by each framework this process has imported."""
    found = {}
    if "torch" in sys.modules and sys.modules["torch"].cuda.is_available():
        torch = sys.modules["torch"]
        found["torch"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    if "tensorflow" in sys.modules:
        found["tensorflow"] = [d.name for d in sys.modules["tensorflow"].config.list_physical_devices("GPU")]
    if "mxnet" in sys.modules:
        found["mxnet"] = [f"gpu({i})" for i in range(sys.modules["mxnet"].context.num_gpus())]
    return {fw: gpus for fw, gpus in found.items() if gpus}


def peak_rss_mb():
    """This process's peak resident memory so far, in MB (Linux counts ru_maxrss in KiB, macOS in bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1e6 if sys.platform == "darwin" else 1e3 / 1.024), 1)


def describe(settings=False):
    """A JSON string describing this process's device, versions and host; with `settings`, also the seed and quick
    mode its environment gives the drop-ins (what a notebook's kernel ran with)."""
    gpus = accelerators()
    device = "; ".join(f"{fw}: {', '.join(names)}" for fw, names in gpus.items()) or f"CPU ({cpu_name()})"
    chosen = {"seed": determinism.seed_value(), "quick_mode": data.quick_mode()} if settings else {}
    return json.dumps(
        {
            **chosen,
            "device": device,
            "python": platform.python_version(),
            "versions": {name: v for name, v in ((n, version(n)) for n in PACKAGES) if v},
            "host": f"{platform.system()} {platform.machine()}, {cpus.affinity()} cores, quota {cpus.quota()}",
            "threading": mxnet_cpu.recorded_settings(),
            "peak_rss_mb": peak_rss_mb(),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        }
    )
