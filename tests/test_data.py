"""The Fashion-MNIST data layer: reading, checking every file's content wherever it is found, finding (an explicit
folder is never passed over), quick mode."""

import gzip
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from d2l_ext import data
from tests.idx_files import as_the_real_files, write_set  # the small valid sets shared with test_download.py


def read(path, kind="images", count=20):
    """data.read_idx on one file, no content hash."""
    return data.read_idx(path, kind, count)


@pytest.mark.parametrize("gz", [True, False])
def test_good_files_read_back_exactly(tmp_path, gz):
    arrays = write_set(tmp_path, gz=gz)
    name = data.FILES[("train", "images")][0]
    path = tmp_path / (f"{name}.gz" if gz else name)
    assert np.array_equal(read(path), arrays[("train", "images")])
    label_path = data.file_in(tmp_path, data.FILES[("test", "labels")][0])
    assert np.array_equal(read(label_path, "labels", 10), arrays[("test", "labels")])


def test_truncated_file_is_an_error_naming_it(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(data.idx_bytes(np.zeros((20, 28, 28)), data.IMAGE_MAGIC)[:-100])
    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte: .*truncated"):
        read(path)


def test_truncated_gzip_is_an_error_naming_it(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte.gz"
    noise = np.random.default_rng(0).integers(0, 256, (20, 28, 28))
    path.write_bytes(gzip.compress(data.idx_bytes(noise, data.IMAGE_MAGIC))[:2000])
    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte.gz: cannot be read"):
        read(path)


def test_wrong_magic_is_an_error_naming_it(tmp_path):
    path = tmp_path / "t10k-images-idx3-ubyte"
    path.write_bytes(data.idx_bytes(np.zeros((10, 28, 28)), data.LABEL_MAGIC))
    with pytest.raises(data.DataError, match=r"t10k-images-idx3-ubyte: magic number 2049, expected 2051"):
        read(path, count=10)


def test_wrong_count_is_an_error_naming_it(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(data.idx_bytes(np.zeros(9), data.LABEL_MAGIC))
    with pytest.raises(data.DataError, match=r"t10k-labels-idx1-ubyte: header says shape \(9,\), expected \(10,\)"):
        read(path, "labels", 10)


def test_label_outside_0_to_9_is_an_error(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(data.idx_bytes(np.full(10, 10), data.LABEL_MAGIC))
    with pytest.raises(data.DataError, match="label 10 found"):
        read(path, "labels", 10)


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


def test_env_folder_is_used_first(no_data_env, monkeypatch):
    arrays = write_set(no_data_env / "mine")
    as_the_real_files(monkeypatch, no_data_env / "mine")
    monkeypatch.setenv(data.ENV_DIR, str(no_data_env / "mine"))
    images, labels = data.load_split("test", quick=False)
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


# ---- every file is checked against Fashion-MNIST's content, wherever it is found ----
def noise_idx(count, kind, seed=1):
    """Valid IDX bytes of random data shaped as Fashion-MNIST's `kind` file (labels in 0..9)."""
    rng = np.random.default_rng(seed)
    array = rng.integers(0, 256, (count, 28, 28)) if kind == "images" else rng.integers(0, 10, count)
    return data.idx_bytes(array, data.LAYOUT[kind][0])


def impostors(folder, damage):
    """The real file names in `folder`, holding what `damage(real name, count, kind)` gives: valid IDX bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    for (_, kind), (name, count, _) in data.FILES.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(damage(name, count, kind), compresslevel=1))


@pytest.mark.parametrize(
    "damage",
    [
        lambda name, count, kind: noise_idx(count, kind),  # random noise, or another data set of the same shape
        lambda name, count, kind: flipped(real_bytes(name)),  # the real file with one bit rotted
    ],
    ids=["random noise shaped as Fashion-MNIST", "one bit flipped in the real file"],
)
def test_a_folder_of_other_data_under_fashion_mnists_names_is_refused_naming_the_file(
    real_data, no_data_env, monkeypatch, damage
):
    impostors(no_data_env / "mine", damage)
    monkeypatch.setenv(data.ENV_DIR, str(no_data_env / "mine"))
    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte.gz: the SHA-256 of its content is [0-9a-f]{64}"):
        data.load_split("train", quick=True)
    with pytest.raises(data.DataError, match=r"t10k-images-idx3-ubyte.gz: .*not Fashion-MNIST's images file"):
        data.load_split("test", quick=True)


def real_bytes(name):
    """The decompressed content of one real file (real_data makes sure it is there)."""
    return data.read_bytes(data.file_in(data.locate(), name))


def flipped(content):
    """The content with the lowest bit of its last byte flipped: an image pixel, not the IDX header."""
    return content[:-1] + bytes([content[-1] ^ 1])


def test_a_found_folder_is_checked_as_an_explicit_one(no_data_env, monkeypatch):
    impostors(no_data_env / "home/.keras/datasets/fashion-mnist", lambda name, count, kind: noise_idx(count, kind))
    monkeypatch.setattr(data, "DEBIAN_DIR", no_data_env / "no-debian")
    with pytest.raises(data.DataError, match=r"\.keras/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz: the SHA-256"):
        data.load_split("test", quick=True)


def test_each_file_is_read_and_checked_once_per_process(no_data_env, monkeypatch):
    write_set(no_data_env / "mine")
    as_the_real_files(monkeypatch, no_data_env / "mine")
    monkeypatch.setenv(data.ENV_DIR, str(no_data_env / "mine"))
    reads = []
    real_read = data.read_bytes
    monkeypatch.setattr(data, "read_bytes", lambda path: reads.append(path.name) or real_read(path))
    for _ in range(3):
        data.load_split("train", quick=False)
        data.load_split("test", quick=False)
    assert sorted(reads) == sorted(f"{name}.gz" for name, _, _ in data.FILES.values())


def test_the_cache_knows_folders_by_their_absolute_path(no_data_env, monkeypatch):
    for where, seed in (("a", 1), ("b", 2)):
        write_set(no_data_env / where / "data", seed=seed)
    as_the_real_files(monkeypatch, no_data_env / "a" / "data")  # a's content is "the real one"
    monkeypatch.setenv(data.ENV_DIR, "data")  # relative: another folder from another working directory
    monkeypatch.chdir(no_data_env / "a")
    data.load_split("train", quick=False)
    monkeypatch.chdir(no_data_env / "b")  # the same relative name: b's files are read, not a's served again
    with pytest.raises(data.DataError, match=rf"{no_data_env / 'b' / 'data'}/train-images-idx3-ubyte.gz: the SHA-256"):
        data.load_split("train", quick=False)


def test_import_d2l_ext_loads_no_framework():

    code = (
        "import sys, d2l_ext, d2l_ext.data, d2l_ext.schedulers, d2l_ext.atomic, d2l_ext.provenance, d2l_ext.batches; "
        "print(sorted(m for m in ('torch', 'tensorflow', 'mxnet') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
        timeout=120,
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
        read(path, "labels", 10)


def test_an_unreadable_folder_says_permission_denied_with_its_path(tmp_path, monkeypatch):
    folder = tmp_path / "locked"
    folder.mkdir()

    def refuse(path):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(data.Path, "is_file", refuse)
    monkeypatch.setenv(data.ENV_DIR, str(folder))
    with pytest.raises(data.DataError, match=rf"^cannot read {folder} \(permission denied\)"):
        data.locate()
