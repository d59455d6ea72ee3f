"""`make bench`'s pieces: the reference reads our bytes, ratios are ours / reference, GPU time counted once."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from benchmarks import bench
from d2l_ext import data


def test_a_figure_is_ours_over_the_reference_with_both_times(capsys):
    assert bench.figure("x", ours=2.0, reference=8.0) == {"reference_s": 8.0, "ours_s": 2.0, "ratio": 0.25}
    assert "(4.00x faster)" in capsys.readouterr().out


def test_the_reference_pipeline_reads_the_same_images_and_labels_as_ours(torch, real_data, tmp_path):
    torchvision = pytest.importorskip("torchvision")
    work = bench.write_raw(tmp_path, quick=True)
    for split, train in (("train", True), ("test", False)):
        theirs = torchvision.datasets.FashionMNIST(work.parent / "data", train=train, download=False)
        images, labels = data.load_split(split, quick=True)
        np.testing.assert_array_equal(theirs.data.numpy(), images.reshape(theirs.data.shape))
        np.testing.assert_array_equal(theirs.targets.numpy(), labels)


def test_the_chapter_train_is_bound_to_the_d2l_module_it_is_given(torch):
    marker = SimpleNamespace()
    train = bench.chapter_train(marker)
    assert train.__name__ == "train" and train.__globals__["d2l"] is marker


def test_gpu_kernel_time_counts_kernels_once_and_leaves_out_annotations(torch):
    from torch.autograd import DeviceType

    events = [
        SimpleNamespace(device_type=DeviceType.CUDA, is_user_annotation=False, self_device_time_total=1500),
        SimpleNamespace(device_type=DeviceType.CUDA, is_user_annotation=True, self_device_time_total=1500),
        SimpleNamespace(device_type=DeviceType.CPU, is_user_annotation=False, self_device_time_total=9000),
    ]
    assert bench.kernel_seconds(events) == pytest.approx(0.0015)


def test_a_record_is_written_under_the_device_name(tmp_path):
    bench.write_record({"device": "NVIDIA H100 80GB HBM3", "figures": {}}, tmp_path, "bench")
    path = tmp_path / "bench-nvidia-h100-80gb-hbm3.json"
    assert json.loads(path.read_text())["device"] == "NVIDIA H100 80GB HBM3"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind
