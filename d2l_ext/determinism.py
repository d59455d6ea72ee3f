"""Seeds for reproducible runs: the one place that seeds Python, NumPy and each framework."""
import importlib
import os
import random

import numpy as np

ENV_SEED = "D2L_EXT_SEED"
DEFAULT_SEED = 0
FRAMEWORK_SEEDERS = {  # framework -> (module to import, its seeding function's dotted path)
    "torch": ("torch", "manual_seed"),
    "tensorflow": ("tensorflow", "random.set_seed"),
    "mxnet": ("mxnet", "random.seed"),
}


def seed_value():
    """The seed from D2L_EXT_SEED, else 0."""
    raw = os.environ.get(ENV_SEED, str(DEFAULT_SEED))
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{ENV_SEED}={raw!r}: use a whole number") from None


def seed_everything(framework, seed=None):
    """Seed Python, NumPy and `framework` ('torch', 'tensorflow' or 'mxnet'); return the seed."""
    if framework not in FRAMEWORK_SEEDERS:
        raise ValueError(f"framework={framework!r}: use one of {', '.join(FRAMEWORK_SEEDERS)}")
    seed = seed_value() if seed is None else seed
    random.seed(seed)
    np.random.seed(seed)
    module_name, path = FRAMEWORK_SEEDERS[framework]
    target = importlib.import_module(module_name)
    for attr in path.split("."):
        target = getattr(target, attr)
    target(seed)
    return seed
