"""Fashion-MNIST (Xiao, Rasul & Vollgraf 2017, arXiv 1708.07747) from its original IDX files.

The data set of the paper's Figure 6 (K = 10 classes of 28 x 28 grey-scale images; 60,000
training images, 6,000 per class, and 10,000 test images). Nothing is downloaded at run time:
the four IDX files are read from a folder, by default where Debian's package
``dataset-fashion-mnist`` installs them (the schema key ``data.fashion_mnist.path``; the files
may be gzipped, as the package ships them, or plain).

IDX format (LeCun et al., http://yann.lecun.com/exdb/mnist/, "FILE FORMATS"): a 4-byte magic
number ``0x00 0x00 <type> <ndim>``, then ``ndim`` big-endian uint32 sizes, then the values in
C order. Fashion-MNIST uses type 0x08 (unsigned byte): images have ndim 3 (count, 28, 28),
labels ndim 1 (count,).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np

#: the Debian package that ships the files, and the config key that points elsewhere
PACKAGE = "dataset-fashion-mnist"
CONFIG_KEY = "data.fashion_mnist.path"
#: IDX file stems per split: (images, labels)
FILES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
         "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}
#: class names in label order (the data set's README)
CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot")
# IDX type byte -> numpy dtype (big-endian where it matters)
_IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
              0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


class DataMissing(FileNotFoundError):
    """A Fashion-MNIST file is not where the configuration says; the message is one line
    naming the package that provides it and the config key that points elsewhere."""


def read_idx(path) -> np.ndarray:
    """The array stored in one IDX file (gzipped when the name ends in .gz; module docstring).

    Raises ValueError naming the file when the header or the length is inconsistent."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError) as exc:  # truncated or corrupt gzip stream
        raise ValueError(f"{path}: cannot read the IDX file ({exc})") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number {raw[:4].hex()})")
    dtype, ndim = _IDX_TYPES[raw[2]], raw[3]
    head = 4 + 4 * ndim
    if len(raw) < head:
        raise ValueError(f"{path}: IDX header truncated")
    shape = tuple(int(s) for s in np.frombuffer(raw, dtype=">u4", count=ndim, offset=4))
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) - head != size:
        raise ValueError(f"{path}: IDX header announces {shape} ({size} bytes of data) but the "
                         f"file holds {len(raw) - head} bytes")
    return np.frombuffer(raw, dtype=dtype, offset=head).reshape(shape)


def idx_path(folder, stem: str) -> Path:
    """``folder/stem`` or ``folder/stem.gz``, whichever exists (plain first); DataMissing if
    neither does."""
    folder = Path(folder)
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise DataMissing(f"Fashion-MNIST file {stem}[.gz] not found in {folder}: install the Debian "
                      f"package {PACKAGE} (apt-get install {PACKAGE}) or set {CONFIG_KEY} to the "
                      "folder holding the IDX files")


def available(folder) -> bool:
    """True when all four IDX files are in ``folder``."""
    try:
        for stems in FILES.values():
            for stem in stems:
                idx_path(folder, stem)
    except DataMissing:
        return False
    return True


def load(folder, split: str = "train"):
    """(images (count x 28 x 28, uint8), labels (count,), int64 0..9) of one split."""
    if split not in FILES:
        raise ValueError(f"split must be one of {list(FILES)}, got {split!r}")
    img_stem, lab_stem = FILES[split]
    images = read_idx(idx_path(folder, img_stem))
    labels = read_idx(idx_path(folder, lab_stem))
    if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
        raise ValueError(f"{folder}: {split} images {images.shape} and labels {labels.shape} "
                         "do not match (expected count x rows x cols and count)")
    if labels.size and (labels.min() < 0 or labels.max() >= len(CLASSES)):
        raise ValueError(f"{folder}: {split} labels outside 0..{len(CLASSES) - 1}")
    return images, labels.astype(np.int64)


def load_arrays(folder, split: str = "train"):
    """X (784 x count, float64, pixel values / 255, sorted by class) and y (count,): the
    project's column-per-sample convention (shallownc.data)."""
    images, labels = load(folder, split)
    order = np.argsort(labels, kind="stable")
    X = images[order].reshape(len(order), -1).T.astype(np.float64) / 255.0
    return X, labels[order]


def balanced_unit(folder, n_per_class: int, seed: int, split: str = "train"):
    """The Figure 6 data: every class subsampled (without replacement, seeded) to
    ``n_per_class`` images of ``split``, pixels standardized over the whole split (pixels
    constant there stay 0), then every image scaled to unit norm (paper Theorem 6 assumes
    ||x_i|| = 1). The same preprocessing as the digits (shallownc.paper.training). Returns
    X (784 x 10 n, class-ordered) and y."""
    from .data import subsample_project

    X, y = load_arrays(folder, split)
    n_max = int(np.bincount(y).min())
    if not 1 <= int(n_per_class) <= n_max:
        raise ValueError(f"Fashion-MNIST n_per_class must be in 1..{n_max} ({split}), got "
                         f"{n_per_class}")
    sd = X.std(axis=1, keepdims=True)
    X = (X - X.mean(axis=1, keepdims=True)) / np.where(sd > 0, sd, 1.0)
    Xs, ys = subsample_project(X, y, int(n_per_class), None, seed)
    nrm = np.linalg.norm(Xs, axis=0)
    if (nrm == 0).any():
        raise ValueError("a Fashion-MNIST image is constant after standardization")
    return Xs / nrm, ys
