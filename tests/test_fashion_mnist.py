"""The Fashion-MNIST IDX loader (shallownc.fashion_mnist): format, errors, the installed files."""
import gzip
import struct

import numpy as np
import pytest

from shallownc import config as C
from shallownc import fashion_mnist as FM

DEFAULT_PATH = C.validate({})["data"]["fashion_mnist"]["path"]
INSTALLED = FM.available(DEFAULT_PATH)


def _idx_bytes(arr: np.ndarray, type_byte: int = 0x08) -> bytes:
    head = bytes([0, 0, type_byte, arr.ndim]) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.tobytes()


def _write_set(folder, images, labels, gz=True):
    for split in ("train", "test"):
        img_stem, lab_stem = FM.FILES[split]
        for stem, arr in ((img_stem, images), (lab_stem, labels)):
            raw = _idx_bytes(arr)
            if gz:
                with gzip.open(folder / f"{stem}.gz", "wb") as fh:
                    fh.write(raw)
            else:
                (folder / stem).write_bytes(raw)


@pytest.mark.parametrize("gz", [True, False])
def test_read_idx_round_trip(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labels = np.array([3, 0, 9, 1, 1, 4, 2], dtype=np.uint8)
    _write_set(tmp_path, images, labels, gz)
    assert FM.available(tmp_path)
    im, lab = FM.load(tmp_path, "train")
    np.testing.assert_array_equal(im, images)
    np.testing.assert_array_equal(lab, labels)
    X, y = FM.load_arrays(tmp_path, "test")
    order = np.argsort(labels, kind="stable")
    assert X.shape == (784, 7) and list(y) == sorted(labels)
    np.testing.assert_allclose(X[:, 0], images[order[0]].ravel() / 255.0)


def test_read_idx_big_endian_int32(tmp_path):
    arr = np.array([[1, -2, 70000]], dtype=">i4")
    (tmp_path / "a").write_bytes(_idx_bytes(arr, 0x0C))
    np.testing.assert_array_equal(FM.read_idx(tmp_path / "a"), [[1, -2, 70000]])


@pytest.mark.parametrize("raw, match", [
    (b"\x01\x00\x08\x01" + struct.pack(">I", 2) + b"ab", "not an IDX file"),
    (b"\x00\x00\x08\x02" + struct.pack(">I", 2), "header truncated"),
    (b"\x00\x00\x08\x01" + struct.pack(">I", 5) + b"abc", "announces"),
])
def test_read_idx_rejects_corrupt_files(tmp_path, raw, match):
    (tmp_path / "f").write_bytes(raw)
    with pytest.raises(ValueError, match=match):
        FM.read_idx(tmp_path / "f")


def test_truncated_gzip_is_one_clear_error(tmp_path):
    (tmp_path / "f.gz").write_bytes(gzip.compress(_idx_bytes(np.zeros(100, np.uint8)))[:30])
    with pytest.raises(ValueError, match="cannot read the IDX file"):
        FM.read_idx(tmp_path / "f.gz")


def test_missing_files_name_the_package_and_the_config_key(tmp_path):
    with pytest.raises(FM.DataMissing) as err:
        FM.load(tmp_path)
    msg = str(err.value)
    assert "\n" not in msg and FM.PACKAGE in msg and FM.CONFIG_KEY in msg
    assert not FM.available(tmp_path)


def test_mismatched_counts_rejected(tmp_path):
    _write_set(tmp_path, np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.uint8))
    with pytest.raises(ValueError, match="do not match"):
        FM.load(tmp_path)


@pytest.mark.skipif(not INSTALLED, reason=f"{FM.PACKAGE} not installed at {DEFAULT_PATH}")
def test_installed_fashion_mnist_has_the_documented_shape():
    X, y = FM.load_arrays(DEFAULT_PATH, "test")
    assert X.shape == (784, 10000)
    np.testing.assert_array_equal(np.bincount(y), [1000] * 10)
    assert X.min() == 0.0 and X.max() == 1.0


def test_balanced_unit_and_the_figure6_data_source(tmp_path):
    from shallownc.paper import training as PT

    rng = np.random.default_rng(4)
    labels = np.repeat(np.arange(10, dtype=np.uint8), 3)
    _write_set(tmp_path, rng.integers(0, 256, size=(30, 28, 28), dtype=np.uint8), labels)
    X, y = FM.balanced_unit(tmp_path, 2, seed=1)
    assert X.shape == (784, 20) and list(np.bincount(y)) == [2] * 10
    np.testing.assert_allclose(np.linalg.norm(X, axis=0), 1.0)
    X2, y2 = PT.real_balanced("fashion_mnist", 2, 1, tmp_path)
    np.testing.assert_array_equal(X2, X)
    with pytest.raises(ValueError, match="n_per_class must be in 1..3"):
        FM.balanced_unit(tmp_path, 4, seed=1)
    with pytest.raises(ValueError, match="data.fashion_mnist.path"):
        PT.real_balanced("fashion_mnist", 2, 1, None)
    fig6 = C.validate({"paper": {"fig6": {"data": "fashion_mnist", "n_per_class": 500}}})
    assert PT.fig6_N(fig6["paper"]["fig6"]) == 5000
    assert PT.fig6_N(C.validate({})["paper"]["fig6"]) == 1740      # default: digits
