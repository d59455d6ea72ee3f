"""Small, valid Fashion-MNIST-shaped IDX files for the data tests (shared by test_data.py and test_download.py)."""

import gzip
import hashlib

import numpy as np

from d2l_ext import data

SMALL = {"train": 20, "test": 10}  # items per split in a small set


def write_set(folder, gz=True, seed=0):
    """Four small, valid IDX files (SMALL items each split) in `folder`; returns the arrays written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    arrays = {}
    for (split, kind), (name, _, _) in data.FILES.items():
        n = SMALL[split]
        array = rng.integers(0, 256, (n, 28, 28)) if kind == "images" else np.arange(n) % 10
        payload = data.idx_bytes(array, data.LAYOUT[kind][0])
        path = folder / (f"{name}.gz" if gz else name)
        path.write_bytes(gzip.compress(payload) if gz else payload)
        arrays[(split, kind)] = array
    return arrays


def as_the_real_files(monkeypatch, folder):
    """Make d2l_ext.data take the small set in `folder` for Fashion-MNIST: its counts and content hashes."""
    files = {}
    for key, (name, _, _) in data.FILES.items():
        content = data.read_bytes(data.file_in(folder, name))
        files[key] = (name, SMALL[key[0]], hashlib.sha256(content).hexdigest())
    monkeypatch.setattr(data, "FILES", files)
    data.read_split.cache_clear()
