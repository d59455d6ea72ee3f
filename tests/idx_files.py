"""Small, valid Fashion-MNIST-shaped IDX files for the data tests (shared by test_data.py and test_download.py)."""

import gzip

import numpy as np

from d2l_ext import data


def idx_bytes(array, magic):
    """IDX bytes of a uint8 array: magic, dimensions, then the data."""
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_set(folder, n_train=20, n_test=10, gz=True):
    """Four small, valid IDX files (n items each split) in `folder`; returns the arrays written."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    arrays = {}
    for (split, kind), (name, _, _) in data.FILES.items():
        n = n_train if split == "train" else n_test
        if kind == "images":
            array, magic = rng.integers(0, 256, (n, 28, 28)), data.IMAGE_MAGIC
        else:
            array, magic = np.arange(n) % 10, data.LABEL_MAGIC
        payload = idx_bytes(array, magic)
        path = folder / (f"{name}.gz" if gz else name)
        path.write_bytes(gzip.compress(payload) if gz else payload)
        arrays[(split, kind)] = array
    return arrays
