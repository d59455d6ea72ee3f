"""Fashion-MNIST IDX files: find, download, verify, read, and serve the quick subset (framework-free)."""

import functools
import gzip
import hashlib
import os
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

from d2l_ext.files import write_atomic

ENV_DIR = "FASHION_MNIST_DIR"  # a folder holding the four files, checked first
ENV_QUICK = "D2L_EXT_QUICK"  # "1": serve the fixed class-balanced subset (classrooms, CI)
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")  # apt-get install dataset-fashion-mnist
D2L_DIR = Path("../data/FashionMNIST/raw")  # d2l/torchvision layout, relative to the notebook
KERAS_DIR = Path("~/.keras/datasets/fashion-mnist")  # Keras cache; downloads land here
URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
DOWNLOAD_TIMEOUT_S = 30

IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049
ROWS = COLS = 28
NUM_CLASSES = 10
# (split, kind) -> (file name without .gz, item count, SHA-256 of the decompressed bytes)
FILES = {
    ("train", "images"): (
        "train-images-idx3-ubyte",
        60000,
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    ),
    ("train", "labels"): (
        "train-labels-idx1-ubyte",
        60000,
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    ),
    ("test", "images"): (
        "t10k-images-idx3-ubyte",
        10000,
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    ),
    ("test", "labels"): (
        "t10k-labels-idx1-ubyte",
        10000,
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
    ),
}
QUICK_PER_CLASS = {"train": 600, "test": 100}  # 6000 / 1000 examples, 10 % of each split
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}
HOW_TO_GET = (
    f"Install Debian's package (sudo apt-get install dataset-fashion-mnist), or set {ENV_DIR} "
    f"to a folder holding the four files ({', '.join(f[0] for f in FILES.values())}, "
    f"each raw or .gz)."
)


class DataError(RuntimeError):
    """Fashion-MNIST could not be found, fetched or read; the message says which file and what to do."""


def quick_mode():
    """Whether D2L_EXT_QUICK asks for the class-balanced subset."""
    value = os.environ.get(ENV_QUICK, "").strip().lower()
    if value in TRUE_WORDS | FALSE_WORDS:
        return value in TRUE_WORDS
    raise ValueError(f"{ENV_QUICK}={os.environ[ENV_QUICK]!r}: use 1 (quick subset) or 0 (full data)")


def search_dirs():
    """The folders looked in, in order: $FASHION_MNIST_DIR, ../data/..., Debian's, the Keras cache."""
    dirs = [Path(os.environ[ENV_DIR]).expanduser()] if os.environ.get(ENV_DIR) else []
    return dirs + [D2L_DIR, DEBIAN_DIR, KERAS_DIR.expanduser()]


def file_in(folder, name):
    """The raw or gzipped copy of `name` in `folder`, or None."""
    for candidate in (Path(folder) / name, Path(folder) / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def find_dir(dirs=None):
    """The first folder holding all four files, or None."""
    for folder in search_dirs() if dirs is None else dirs:
        if all(file_in(folder, name) for name, _, _ in FILES.values()):
            return Path(folder)
    return None


def read_bytes(path):
    """The decompressed content of a raw or .gz file; a broken gzip stream names the file."""
    path = Path(path)
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataError(
            f"{path}: cannot be read ({e}); the file is truncated or corrupt. Delete it and get it again. {HOW_TO_GET}"
        ) from e


def parse_idx(raw, path, magic, count, item_shape):
    """An array from IDX bytes, after checking magic number, dimensions, count and length."""
    dims = 1 + len(item_shape)
    header = 4 + 4 * dims
    if len(raw) < header:
        raise DataError(f"{path}: {len(raw)} bytes, shorter than an IDX header; the file is truncated.")
    found_magic = int.from_bytes(raw[:4], "big")
    if found_magic != magic:
        raise DataError(
            f"{path}: magic number {found_magic}, expected {magic}; this is not the "
            f"{'image' if magic == IMAGE_MAGIC else 'label'} file it is named as."
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    if shape != (count, *item_shape):
        raise DataError(f"{path}: header says shape {shape}, expected {(count, *item_shape)}.")
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataError(f"{path}: {len(raw)} bytes, expected {expected}; the file is truncated or padded.")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


def read_images(path, count):
    """An (count, 28, 28) uint8 array from an IDX image file."""
    return parse_idx(read_bytes(path), path, IMAGE_MAGIC, count, (ROWS, COLS))


def read_labels(path, count):
    """A (count,) uint8 array from an IDX label file, every label in 0..9."""
    labels = parse_idx(read_bytes(path), path, LABEL_MAGIC, count, ())
    if labels.size and labels.max() >= NUM_CLASSES:
        raise DataError(f"{path}: label {labels.max()} found, expected 0..{NUM_CLASSES - 1}.")
    return labels


def download(folder, url=URL, timeout=DOWNLOAD_TIMEOUT_S):
    """Fetch the four .gz files into `folder`, each checked by SHA-256 before it is written."""
    folder = Path(folder)
    for name, _, sha256 in FILES.values():
        target = folder / f"{name}.gz"
        if target.is_file():
            continue
        with urllib.request.urlopen(f"{url}{name}.gz", timeout=timeout) as response:
            payload = response.read()
        digest = hashlib.sha256(gzip.decompress(payload)).hexdigest()
        if digest != sha256:
            raise DataError(
                f"{url}{name}.gz: SHA-256 of its content is {digest}, expected {sha256}; nothing was written."
            )
        write_atomic(target, payload)
    return folder


def locate():
    """The folder with the four files: found locally, else downloaded into the Keras cache."""
    found = find_dir()
    if found is not None:
        return found
    try:
        return download(KERAS_DIR.expanduser())
    except (urllib.error.URLError, OSError, EOFError) as e:
        looked = "\n".join(f"  - {d}" for d in search_dirs())
        raise DataError(
            f"Fashion-MNIST not found. Looked in:\n{looked}\nand the download from {URL} failed ({e}). {HOW_TO_GET}"
        ) from e


def quick_indices(labels, per_class):
    """The first `per_class` indices of each class, in their original order (deterministic)."""
    picked = []
    for c in range(NUM_CLASSES):
        idx = np.flatnonzero(labels == c)[:per_class]
        if len(idx) < per_class:
            raise DataError(f"class {c} has {len(idx)} examples, fewer than the {per_class} quick mode takes.")
        picked.append(idx)
    return np.sort(np.concatenate(picked))


@functools.lru_cache(maxsize=None)
def read_split(split, folder):
    """Images (N, 28, 28) and labels (N,) of one full split, as uint8, read once per process."""
    (img_name, count, _), (lbl_name, _, _) = FILES[(split, "images")], FILES[(split, "labels")]
    return read_images(file_in(folder, img_name), count), read_labels(file_in(folder, lbl_name), count)


def load_split(split, quick=None):
    """Images and labels of 'train' or 'test', the quick subset when quick mode is on."""
    if split not in QUICK_PER_CLASS:
        raise ValueError(f"split={split!r}: use 'train' or 'test'")
    images, labels = read_split(split, locate())
    if quick_mode() if quick is None else quick:
        idx = quick_indices(labels, QUICK_PER_CLASS[split])
        images, labels = images[idx], labels[idx]
    return images, labels
