"""Datasets: MNIST loader with checksums and clear errors; the small CSV datasets."""
from __future__ import annotations

import gzip
import shutil

import numpy as np
import pytest

from utils import mnist
from utils.data import DatasetError, dataset_path, load_csv_dataset
from dlcourse.authoring import datasets as gen


def test_mnist_loads_real_data():
    x, y = mnist.load_mnist("train")
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (60000,) and set(np.unique(y)) == set(range(10))
    xt, yt = mnist.load_mnist("test")
    assert xt.shape == (10000, 28, 28) and yt.shape == (10000,)
    assert 30 < x.mean() < 40  # real digits: mostly black background
    assert np.bincount(yt).min() > 800


def test_mnist_bad_split():
    with pytest.raises(ValueError, match="train' or 'test"):
        mnist.load_mnist("validation")


@pytest.fixture
def mnist_copy(tmp_path, monkeypatch):
    folder = tmp_path / "mnist"
    shutil.copytree(mnist.mnist_dir(), folder)
    monkeypatch.setenv("COURSE_DATASETS", str(tmp_path))
    mnist._VERIFIED.clear()
    yield folder
    mnist._VERIFIED.clear()


def test_mnist_missing_file_says_how_to_fix(mnist_copy):
    (mnist_copy / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(mnist.MNISTError, match="missing.*make setup"):
        mnist.load_mnist("test")


def test_mnist_corrupt_file_is_detected(mnist_copy):
    path = mnist_copy / "train-labels-idx1-ubyte.gz"
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(mnist.MNISTError, match="corrupt"):
        mnist.load_mnist("train")


def test_mnist_fetch_copies_from_mnist_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(mnist.mnist_dir()))
    dest = tmp_path / "mnist"
    dest.mkdir()
    shutil.copy(mnist.mnist_dir() / "SHA256SUMS", dest)
    mnist.fetch(dest)
    mnist.verify(dest)


def test_mnist_truncated_idx_is_reported(tmp_path):
    path = tmp_path / "bad.gz"
    with gzip.open(path, "wb") as f:
        f.write((2049).to_bytes(4, "big") + (10).to_bytes(4, "big") + b"\x01\x02")
    with pytest.raises(mnist.MNISTError, match="truncated"):
        mnist._read_idx(path, 2049, 1)


@pytest.mark.parametrize("name", sorted(gen.generators()))
def test_csv_datasets_regenerate_identically(name):
    for fname, text in gen.render(name).items():
        on_disk = (gen.ROOT / "datasets" / name / fname).read_text()
        assert on_disk == text, f"datasets/{name}/{fname} differs from its generator; run dlcourse datasets"


@pytest.mark.parametrize("name", sorted(gen.generators()))
def test_csv_datasets_load(name):
    for split in ("train", "test"):
        X, y = load_csv_dataset(name, split)
        assert len(X) == len(y) > 0 and np.isfinite(X).all()
        assert set(np.unique(y)) <= {0.0, 1.0}


def test_csv_dataset_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATASETS", str(tmp_path))
    with pytest.raises(DatasetError, match="missing"):
        dataset_path("nope", "train")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "train.csv").write_text("a,label\n1,0\n")
    (tmp_path / "d" / "SHA256SUMS").write_text("0" * 64 + "  train.csv\n")
    with pytest.raises(DatasetError, match="SHA-256"):
        dataset_path("d", "train")


def _empty_mnist_dest(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    shutil.copy(mnist.mnist_dir() / "SHA256SUMS", dest)
    return dest


def test_mnist_fetch_falls_back_to_the_shared_folder(tmp_path, monkeypatch):
    """No $MNIST_DIR: the files come from ../shared/datasets/mnist (here a copy of it)."""
    monkeypatch.delenv("MNIST_DIR", raising=False)
    shared = tmp_path / "shared"
    shutil.copytree(mnist.mnist_dir(), shared, ignore=shutil.ignore_patterns(".verified"))
    monkeypatch.setattr(mnist, "SHARED", shared)
    monkeypatch.setattr(mnist, "MIRROR", "http://127.0.0.1:9/")  # a download would fail loudly
    dest = mnist.fetch(_empty_mnist_dest(tmp_path))
    mnist.verify(dest)
    assert (dest / ".verified").exists()


def test_mnist_fetch_skips_a_corrupt_source_for_a_good_one(tmp_path, monkeypatch):
    bad = tmp_path / "bad"
    shutil.copytree(mnist.mnist_dir(), bad, ignore=shutil.ignore_patterns(".verified"))
    path = bad / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-1] + b"\x00")
    monkeypatch.setenv("MNIST_DIR", str(bad))
    monkeypatch.setattr(mnist, "SHARED", mnist.mnist_dir())
    monkeypatch.setattr(mnist, "MIRROR", "http://127.0.0.1:9/")
    dest = mnist.fetch(_empty_mnist_dest(tmp_path))
    mnist.verify(dest)  # the corrupt copy was not taken


def test_mnist_fetch_without_any_source_says_how_to_fix(tmp_path, monkeypatch):
    """Nothing local and the mirror unreachable: one clear error, no partial file left."""
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setattr(mnist, "SHARED", tmp_path / "also-nowhere")
    monkeypatch.setattr(mnist, "MIRROR", "http://127.0.0.1:9/")  # discard port: refused at once
    dest = _empty_mnist_dest(tmp_path)
    with pytest.raises(mnist.MNISTError, match="download failed.*set MNIST_DIR"):
        mnist.fetch(dest)
    assert not list(dest.glob("*.gz"))


def test_mnist_main_reports_errors_in_one_line(tmp_path, monkeypatch, capsys):
    (tmp_path / "mnist").mkdir()
    shutil.copy(mnist.mnist_dir() / "SHA256SUMS", tmp_path / "mnist")
    monkeypatch.setenv("COURSE_DATASETS", str(tmp_path))
    assert mnist.main([]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mnist: MNIST file") and "missing" in err and "Traceback" not in err


def test_csv_dataset_without_checksums_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATASETS", str(tmp_path))
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "train.csv").write_text("a,label\n1,0\n")
    with pytest.raises(DatasetError, match="SHA256SUMS is missing"):
        dataset_path("d", "train")
    (tmp_path / "d" / "SHA256SUMS").write_text("0" * 64 + "  test.csv\n")
    with pytest.raises(DatasetError, match="not listed"):
        dataset_path("d", "train")
