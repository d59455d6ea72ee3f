"""The Fashion-MNIST data layer: reading, checking, finding (an explicit folder is never passed over), quick mode."""

import gzip
import hashlib
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from idx_files import idx_bytes, write_set  # the small valid sets shared with test_download.py

from d2l_ext import data


@pytest.fixture
def small_counts(monkeypatch):
    """Let the loaders accept 20 train / 10 test items, so synthetic sets count as complete."""
    sizes = {"train": 20, "test": 10}
    monkeypatch.setattr(data, "FILES", {key: (name, sizes[key[0]], sha) for key, (name, _, sha) in data.FILES.items()})
    data.read_split.cache_clear()
    yield
    data.read_split.cache_clear()


@pytest.mark.parametrize("gz", [True, False])
def test_good_files_read_back_exactly(tmp_path, gz):
    arrays = write_set(tmp_path, gz=gz)
    name = data.FILES[("train", "images")][0]
    path = tmp_path / (f"{name}.gz" if gz else name)
    assert np.array_equal(data.read_images(path, 20), arrays[("train", "images")])
    label_path = data.file_in(tmp_path, data.FILES[("test", "labels")][0])
    assert np.array_equal(data.read_labels(label_path, 10), arrays[("test", "labels")])


def test_truncated_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((20, 28, 28)), data.IMAGE_MAGIC)[:-100])
    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte: .*truncated"):
        data.read_images(path, 20)


def test_truncated_gzip_is_an_error_naming_it(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    noise = np.random.default_rng(0).integers(0, 256, (20, 28, 28))
    path.write_bytes(gzip.compress(idx_bytes(noise, data.IMAGE_MAGIC))[:2000])
    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte.gz: cannot be read"):
        data.read_images(path, 20)


def test_wrong_magic_is_an_error_naming_it(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(idx_bytes(np.zeros((10, 28, 28)), data.LABEL_MAGIC))
    with pytest.raises(data.DataError, match=r"t10k-images-idx3-ubyte: magic number 2049, expected 2051"):
        data.read_images(path, 10)


def test_wrong_count_is_an_error_naming_it(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(idx_bytes(np.zeros(9), data.LABEL_MAGIC))
    with pytest.raises(data.DataError, match=r"t10k-labels-idx1-ubyte: header says shape \(9,\), expected \(10,\)"):
        data.read_labels(path, 10)


def test_label_outside_0_to_9_is_an_error(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(idx_bytes(np.full(10, 10), data.LABEL_MAGIC))
    with pytest.raises(data.DataError, match="label 10 found"):
        data.read_labels(path, 10)


def test_lookup_order_env_then_d2l_then_debian_then_keras(no_data_env, monkeypatch):
    monkeypatch.setenv(data.ENV_DIR, str(no_data_env / "mine"))
    assert data.search_dirs() == [
        no_data_env / "mine",
        data.D2L_DIR,
        data.DEBIAN_DIR,
        no_data_env / "home" / ".keras/datasets/fashion-mnist",
    ]


def test_first_complete_folder_wins_and_partial_folders_are_passed_over(tmp_path):
    write_set(tmp_path / "b")
    write_set(tmp_path / "c")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "train-images-idx3-ubyte.gz").write_bytes(b"")
    assert data.find_dir([tmp_path / "a", tmp_path / "b", tmp_path / "c"]) == tmp_path / "b"


def test_env_folder_is_used_first(no_data_env, monkeypatch, small_counts):
    arrays = write_set(no_data_env / "mine")
    monkeypatch.setenv(data.ENV_DIR, str(no_data_env / "mine"))
    images, labels = data.load_split("test")
    assert np.array_equal(images, arrays[("test", "images")])
    assert np.array_equal(labels, arrays[("test", "labels")])


def test_missing_data_and_no_network_says_where_it_looked_and_how_to_fix(no_data_env, monkeypatch):
    if data.DEBIAN_DIR.exists():
        monkeypatch.setattr(data, "DEBIAN_DIR", no_data_env / "no-debian")
    monkeypatch.setattr(data, "URL", (no_data_env / "offline").as_uri() + "/")
    with pytest.raises(data.DataError) as e:
        data.locate()
    message = str(e.value)
    assert "Looked in" in message and str(data.D2L_DIR) in message
    assert "apt-get install dataset-fashion-mnist" in message and data.ENV_DIR in message
    assert not (no_data_env / "home").exists(), "nothing half-written is left behind"


def test_quick_indices_take_the_first_n_of_each_class_in_order():
    labels = np.array([3, 1, 3, 0, 1, 3] + list(range(10)))
    picked = data.quick_indices(labels, 1)
    assert list(picked) == sorted(picked)
    assert sorted(labels[picked]) == list(range(10))
    assert list(picked[:3]) == [0, 1, 3]


def test_quick_mode_variable_is_checked(monkeypatch):
    for value, expected in [("1", True), ("true", True), ("0", False), ("", False)]:
        monkeypatch.setenv(data.ENV_QUICK, value)
        assert data.quick_mode() is expected
    monkeypatch.setenv(data.ENV_QUICK, "fast")
    with pytest.raises(ValueError, match="D2L_EXT_QUICK='fast'"):
        data.quick_mode()


def test_real_data_matches_the_pinned_hashes(real_data):
    for name, _, sha256 in data.FILES.values():
        assert hashlib.sha256(data.read_bytes(data.file_in(real_data, name))).hexdigest() == sha256


@pytest.mark.usefixtures("real_data")
@pytest.mark.parametrize("split,per_class", sorted(data.QUICK_PER_CLASS.items()))
def test_quick_subset_is_balanced_and_the_same_every_time(split, per_class):
    images, labels = data.load_split(split, quick=True)
    again_images, again_labels = data.load_split(split, quick=True)
    assert len(labels) == 10 * per_class
    assert np.bincount(labels).tolist() == [per_class] * 10
    assert np.array_equal(images, again_images) and np.array_equal(labels, again_labels)
    full_images, full_labels = data.load_split(split, quick=False)
    assert len(full_labels) == data.FILES[(split, "labels")][1] and full_images.shape[1:] == (28, 28)


def test_quick_subset_gives_the_chapter_a_train_point_every_epoch():
    # the chapter's PyTorch and MXNet loops plot a train point every 50 minibatches of 256
    assert 10 * data.QUICK_PER_CLASS["train"] // 256 >= 50


def test_import_d2l_ext_loads_no_framework():

    code = (
        "import sys, d2l_ext, d2l_ext.data, d2l_ext.schedulers, d2l_ext.files, d2l_ext.machine, d2l_ext.batches; "
        "print(sorted(m for m in ('torch', 'tensorflow', 'mxnet') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert out.stdout.strip() == "[]"


# ---- an explicit FASHION_MNIST_DIR is used or refused, never passed over ----
@pytest.mark.parametrize(
    "make,problem",
    [
        (lambda folder: None, "does not exist"),
        (lambda folder: folder.write_text("not a folder"), "is not a folder"),
        (
            lambda folder: write_set(folder) and (folder / "train-labels-idx1-ubyte.gz").unlink(),
            "has no file train-labels-idx1-ubyte",
        ),
        (
            lambda folder: (
                write_set(folder)
                and (folder / "t10k-images-idx3-ubyte.gz").unlink()
                or (folder / "t10k-images-idx3-ubyte").mkdir()
            ),
            "has no file t10k-images-idx3-ubyte",
        ),
    ],
    ids=["missing", "a file", "a file missing", "a folder where a file should be"],
)
def test_an_explicit_folder_that_cannot_serve_is_refused_naming_it(tmp_path, monkeypatch, make, problem):
    folder = tmp_path / "mine"
    make(folder)
    monkeypatch.setenv(data.ENV_DIR, str(folder))
    with pytest.raises(data.DataError, match=f"FASHION_MNIST_DIR={folder}: .*{problem}"):
        data.locate()


# ---- permission problems say so, for files and folders ----
# Simulated (the session and CI run as root, which reads anything): the OS's PermissionError where it would rise.
def test_an_unreadable_file_says_permission_denied_with_its_path(tmp_path, monkeypatch):
    write_set(tmp_path)
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"

    def refuse(file, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(file))

    monkeypatch.setattr(data.gzip, "open", refuse)
    with pytest.raises(data.DataError, match=rf"^cannot read {path} \(permission denied\)"):
        data.read_labels(path, 10)


def test_an_unreadable_folder_says_permission_denied_with_its_path(tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(data.Path, "is_file", refuse)
    monkeypatch.setenv(data.ENV_DIR, str(folder))
    with pytest.raises(data.DataError, match=rf"^cannot read {folder} \(permission denied\)"):
        data.locate()
