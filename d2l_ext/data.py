"""Fashion-MNIST IDX files: find, download, verify, read, and serve the quick subset (framework-free).

Every file is verified by the SHA-256 of its decompressed content wherever it is found ($FASHION_MNIST_DIR, the d2l
folder, Debian's, the Keras cache or a download), once per process (read_split): other data under Fashion-MNIST's
file names, MNIST's digits say, is a DataError naming the file, never a silent training on something else.
"""

import functools
import gzip
import hashlib
import http.client
import os
import urllib.error
import urllib.request
import zlib
from pathlib import Path

import numpy as np

from d2l_ext import D2lExtError
from d2l_ext.atomic import write_atomic

ENV_DIR = "FASHION_MNIST_DIR"  # a folder holding the four files, checked first
ENV_QUICK = "D2L_EXT_QUICK"  # "1": serve the fixed class-balanced subset (classrooms, CI)
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")  # apt-get install dataset-fashion-mnist
D2L_DIR = Path("../data/FashionMNIST/raw")  # d2l/torchvision layout, relative to the notebook
KERAS_DIR = Path("~/.keras/datasets/fashion-mnist")  # Keras cache; downloads land here
URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"  # Keras' mirror: the same four .gz files
DOWNLOAD_TIMEOUT_S = 30
MAX_DOWNLOAD_BYTES = 40 * 2**20  # the largest file, train-images .gz, is 26 MB
MAX_CONTENT_BYTES = 64 * 2**20  # ... and 47 MB decompressed

IMAGE_MAGIC, LABEL_MAGIC = 2051, 2049
ROWS = COLS = 28
LAYOUT = {"images": (IMAGE_MAGIC, (ROWS, COLS)), "labels": (LABEL_MAGIC, ())}  # kind -> magic number, item shape
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
QUICK_PER_CLASS = {"train": 1280, "test": 100}  # 12,800 / 1,000: 50 batches of 256, the chapter's plot period
TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}
HOW_TO_GET = (
    f"Install Debian's package (sudo apt-get install dataset-fashion-mnist), or set {ENV_DIR} "
    f"to a folder holding the four files ({', '.join(f[0] for f in FILES.values())}, "
    f"each raw or .gz)."
)


class DataError(D2lExtError, RuntimeError):
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


def denied(path, error):
    """The DataError for a file or folder this user may not read."""
    return DataError(
        f"cannot read {path} (permission denied): ask its owner for read access, or set {ENV_DIR} "
        f"to a folder of your own holding the four files. ({error})"
    )


def file_in(folder, name):
    """The raw or gzipped copy of `name` in `folder`, or None."""
    for candidate in (Path(folder) / name, Path(folder) / f"{name}.gz"):
        try:
            if candidate.is_file():
                return candidate
        except PermissionError as e:
            raise denied(folder, e) from e
    return None


def explicit_dir():
    """The folder FASHION_MNIST_DIR names, if set: used as it is or refused, never passed over."""
    raw = os.environ.get(ENV_DIR)
    if not raw:
        return None
    folder = Path(raw).expanduser()
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise DataError(
            f"{ENV_DIR}={raw}: {folder} {problem}. Point it at the folder holding the four files, "
            f"or unset it to use the default places."
        )
    missing = [name for name, _, _ in FILES.values() if file_in(folder, name) is None]
    if missing:
        raise DataError(f"{ENV_DIR}={raw}: {folder} has no file {', '.join(missing)} (raw or .gz). {HOW_TO_GET}")
    return folder


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
    except PermissionError as e:
        raise denied(path, e) from e
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise DataError(
            f"{path}: cannot be read ({e}); the file is truncated or corrupt. Delete it and get it again. {HOW_TO_GET}"
        ) from e


def idx_bytes(array, magic):
    """IDX bytes of a uint8 array: magic number, dimensions, then the data (what parse_idx reads)."""
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def parse_idx(raw, path, kind, count):
    """An array from IDX bytes of `kind` ('images', 'labels'), after checking magic, dimensions, count, length."""
    magic, item_shape = LAYOUT[kind]
    dims = 1 + len(item_shape)
    header = 4 + 4 * dims
    if len(raw) < header:
        raise DataError(f"{path}: {len(raw)} bytes, shorter than an IDX header; the file is truncated.")
    found_magic = int.from_bytes(raw[:4], "big")
    if found_magic != magic:
        raise DataError(
            f"{path}: magic number {found_magic}, expected {magic}; this is not the {kind[:-1]} file it is named as."
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims))
    if shape != (count, *item_shape):
        raise DataError(f"{path}: header says shape {shape}, expected {(count, *item_shape)}.")
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        raise DataError(f"{path}: {len(raw)} bytes, expected {expected}; the file is truncated or padded.")
    array = np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)
    if kind == "labels" and array.size and array.max() >= NUM_CLASSES:
        raise DataError(f"{path}: label {array.max()} found, expected 0..{NUM_CLASSES - 1}.")
    return array


def read_idx(path, kind, count, sha256=None):
    """The array in an IDX file (raw or .gz), its structure checked and, given `sha256`, its decompressed content."""
    raw = read_bytes(path)
    array = parse_idx(raw, path, kind, count)
    digest = hashlib.sha256(raw).hexdigest() if sha256 else None
    if digest != sha256:
        raise DataError(
            f"{path}: the SHA-256 of its content is {digest}, not {sha256}: this is not Fashion-MNIST's {kind} file "
            f"(other data under its name, such as MNIST's digits, or a damaged copy). Replace it with the real file, "
            f"or point {ENV_DIR} at a folder that has them. {HOW_TO_GET}"
        )
    return array


def gunzip_sha256(payload):
    """SHA-256 of a gzip payload's content; None unless it is one whole gzip stream of at most MAX_CONTENT_BYTES."""
    inflate = zlib.decompressobj(wbits=31)  # 31: the gzip wrapper
    try:
        content = inflate.decompress(payload, MAX_CONTENT_BYTES + 1)
    except zlib.error:
        return None
    whole = inflate.eof and not inflate.unused_data and len(content) <= MAX_CONTENT_BYTES
    return hashlib.sha256(content).hexdigest() if whole else None


def fetch(address, timeout):
    """The bytes at `address`, at most MAX_DOWNLOAD_BYTES; a transfer that breaks off is a DataError."""
    try:
        with urllib.request.urlopen(address, timeout=timeout) as response:
            payload = response.read(MAX_DOWNLOAD_BYTES + 1)
    except urllib.error.HTTPError as e:
        raise DataError(f"{address}: the server answered {e.code} {e.reason}; nothing was written.") from e
    except http.client.HTTPException as e:
        raise DataError(f"{address}: the transfer broke off ({e!r}); nothing was written. Try again.") from e
    if len(payload) > MAX_DOWNLOAD_BYTES:
        raise DataError(
            f"{address}: larger than {MAX_DOWNLOAD_BYTES} bytes, not a Fashion-MNIST file; nothing was written."
        )
    return payload


def download(folder, url=None, timeout=DOWNLOAD_TIMEOUT_S):
    """Fetch the four .gz files into `folder` (from URL unless given), each checked by SHA-256 before it is written;
    a file already there is kept only when its content checks out."""
    folder, url = Path(folder), URL if url is None else url
    for name, _, sha256 in FILES.values():
        target = folder / f"{name}.gz"
        if target.is_file() and gunzip_sha256(target.read_bytes()) == sha256:
            continue
        address = f"{url}{name}.gz"
        payload = fetch(address, timeout)
        digest = gunzip_sha256(payload)
        if digest != sha256:
            found = "not one whole gzip stream" if digest is None else f"SHA-256 of its content is {digest}"
            raise DataError(f"{address}: {found}, expected content SHA-256 {sha256}; nothing was written.")
        write_atomic(target, payload)
    return folder


def locate():
    """The folder with the four files: $FASHION_MNIST_DIR if set, else found locally, else downloaded."""
    found = explicit_dir() or find_dir()
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
    """Images (N, 28, 28) and labels (N,) of one full split in `folder` (absolute), as uint8: read and verified once
    per process."""
    arrays = []
    for kind in LAYOUT:
        name, count, sha256 = FILES[(split, kind)]
        arrays.append(read_idx(file_in(folder, name), kind, count, sha256))
    return tuple(arrays)


def load_split(split, quick=None):
    """Images and labels of 'train' or 'test', the quick subset when quick mode is on."""
    if split not in QUICK_PER_CLASS:
        raise ValueError(f"split={split!r}: use 'train' or 'test'")
    images, labels = read_split(split, locate().resolve())
    if quick_mode() if quick is None else quick:
        idx = quick_indices(labels, QUICK_PER_CLASS[split])
        images, labels = images[idx], labels[idx]
    return images, labels
