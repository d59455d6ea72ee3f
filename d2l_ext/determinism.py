"""Seeds for reproducible runs: the one place that seeds Python, NumPy and a framework."""

import os
import random

import numpy as np

ENV_SEED = "D2L_EXT_SEED"
DEFAULT_SEED = 0


def seed_value():
    """The seed from D2L_EXT_SEED, else 0."""
    raw = os.environ.get(ENV_SEED, str(DEFAULT_SEED))
    try:
        return int(raw)
    except ValueError:
        raise ValueError(f"{ENV_SEED}={raw!r}: use a whole number") from None


def seed_everything(seed_framework, seed=None):
    """Seed Python, NumPy and a framework through its seeding function (e.g. torch.manual_seed); return the seed."""
    seed = seed_value() if seed is None else seed
    random.seed(seed)
    np.random.seed(seed)
    seed_framework(seed)
    return seed
