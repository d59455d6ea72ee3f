"""Each drop-in loader keeps d2l's contract (real data, quick subset)."""

import gzip
import importlib

import numpy as np
import pytest

from d2l_ext import data, schedulers

pytestmark = pytest.mark.usefixtures("real_data")
BATCH = 256
# tab -> (d2l_ext module, image dtype, label dtype, image shape of a batch)
CONTRACT = {
    "pytorch": ("torch", "float32", "int64", (BATCH, 1, 28, 28)),
    "mxnet": ("mxnet", "float32", "int32", (BATCH, 1, 28, 28)),
    "tensorflow": ("tensorflow", "float32", "int32", (BATCH, 28, 28, 1)),
}
SCHEDULERS = ("SquareRootScheduler", "FactorScheduler", "MultiFactorScheduler", "CosineScheduler", "PolyScheduler")


def as_numpy(array):
    """A framework array as a NumPy array."""
    return array.asnumpy() if hasattr(array, "asnumpy") else np.asarray(array)


@pytest.fixture
def quick(monkeypatch):
    """Quick mode on, for every loader in the test."""
    monkeypatch.setenv(data.ENV_QUICK, "1")


def drop_in(tab):
    """The d2l_ext drop-in module of a tab, skipping when its framework is not installed."""
    module, *_ = CONTRACT[tab]
    framework = {"pytorch": "torch"}.get(tab, tab)
    if importlib.util.find_spec(framework) is None:  # not importorskip: the drop-in must load its framework first
        pytest.skip(f"{framework} is not installed in this lane")
    return importlib.import_module(f"d2l_ext.{module}")


def length(iterable):
    """len() of a loader; for tf.data, its cardinality."""
    try:
        return len(iterable)
    except TypeError:
        return int(iterable.cardinality())


@pytest.mark.parametrize("tab", CONTRACT)
def test_loader_shapes_dtypes_scaling_and_len(tab, quick):
    d2l = drop_in(tab)
    _, x_dtype, y_dtype, shape = CONTRACT[tab]
    train_iter, test_iter = d2l.load_data_fashion_mnist(batch_size=BATCH)
    n_train, n_test = (10 * per_class for per_class in (data.QUICK_PER_CLASS["train"], data.QUICK_PER_CLASS["test"]))
    assert length(train_iter) == -(-n_train // BATCH) and length(test_iter) == -(-n_test // BATCH)
    X, y = next(iter(test_iter))
    X, y = as_numpy(X), as_numpy(y)
    assert X.shape == shape and str(X.dtype) == x_dtype and str(y.dtype) == y_dtype
    assert 0.0 <= X.min() < X.max() <= 1.0 and y.shape == (BATCH,)
    images, labels = data.load_split("test")
    assert np.array_equal(np.rint(X.reshape(BATCH, 28, 28) * 255).astype(np.uint8), images[:BATCH])
    assert np.array_equal(y, labels[:BATCH])
    batches = [as_numpy(b[1]) for b in train_iter]
    assert sum(len(b) for b in batches) == n_train and sorted(np.concatenate(batches)) == sorted(
        data.load_split("train")[1]
    )


@pytest.mark.parametrize("tab", ["pytorch", "mxnet"])
def test_train_batches_are_reshuffled_every_epoch(tab, quick):
    d2l = drop_in(tab)
    train_iter, _ = d2l.load_data_fashion_mnist(batch_size=BATCH)
    first, second = (as_numpy(next(iter(train_iter))[1]) for _ in range(2))
    assert not np.array_equal(first, second)


@pytest.mark.parametrize("tab", CONTRACT)
def test_resize_gives_the_asked_size(tab, quick):
    d2l = drop_in(tab)
    X, _ = next(iter(d2l.load_data_fashion_mnist(batch_size=8, resize=32)[1]))
    assert as_numpy(X).shape in {(8, 1, 32, 32), (8, 32, 32, 1)}


@pytest.mark.parametrize("tab", CONTRACT)
def test_drop_ins_offer_everything_d2l_offers(tab):
    module = CONTRACT[tab][0]
    ours = drop_in(tab)
    original = importlib.import_module(f"d2l.{module}")
    missing = {name for name in dir(original) if not name.startswith("_")} - set(dir(ours))
    assert not missing, f"d2l_ext.{module} lacks {sorted(missing)}"
    assert ours.train.__module__ == ours.__name__ and ours.d2l is ours
    for name in SCHEDULERS:
        assert getattr(ours, name) is getattr(schedulers, name), f"d2l_ext.{module}.{name}"


@pytest.fixture
def d2l_layouts(tmp_path, monkeypatch):
    """The real files where d2l's own loaders look: ../data/FashionMNIST/raw and ~/.keras (no download)."""
    found = data.find_dir()
    raw, keras = tmp_path / "data" / "FashionMNIST" / "raw", tmp_path / "home" / ".keras" / "datasets" / "fashion-mnist"
    raw.mkdir(parents=True)
    keras.mkdir(parents=True)
    for name, _, _ in data.FILES.values():
        (raw / name).write_bytes(data.read_bytes(data.file_in(found, name)))
        (keras / f"{name}.gz").write_bytes(gzip.compress((raw / name).read_bytes(), compresslevel=1))
    (tmp_path / "work").mkdir()
    monkeypatch.chdir(tmp_path / "work")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv(data.ENV_DIR, str(raw))
    monkeypatch.delenv(data.ENV_QUICK, raising=False)


@pytest.mark.parametrize("tab", ["pytorch", "tensorflow"])
def test_test_batches_equal_those_of_d2l_own_loader(tab, d2l_layouts):
    ours = drop_in(tab)
    module, *_ = CONTRACT[tab]
    reference = importlib.import_module(f"d2l.{module}")
    (ours_train, ours_test), (ref_train, ref_test) = (
        m.load_data_fashion_mnist(batch_size=BATCH) for m in (ours, reference)
    )
    assert length(ours_train) == length(ref_train) and length(ours_test) == length(ref_test)
    for (X, y), (X_ref, y_ref) in zip(ours_test, ref_test):
        assert X.dtype == X_ref.dtype and y.dtype == y_ref.dtype
        assert np.array_equal(as_numpy(X), as_numpy(X_ref)) and np.array_equal(as_numpy(y), as_numpy(y_ref))
