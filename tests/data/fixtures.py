"""Writers for dataset files in their exact upstream formats (so real loaders read them offline)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

IDX_UBYTE = 0x08


def write_idx(path: Path, array: np.ndarray) -> None:
    """The IDX format of MNIST: magic (0, 0, type, ndim), big-endian int32 sizes, then raw bytes."""
    array = np.asarray(array, dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        file.write(struct.pack(">BBBB", 0, 0, IDX_UBYTE, array.ndim))
        file.write(struct.pack(f">{array.ndim}I", *array.shape))
        file.write(array.tobytes())


def write_mnist(root: Path, folder: str = "MNIST", train: int = 60, test: int = 20, seed: int = 0) -> None:
    """A tiny MNIST-format dataset under root/<folder>/raw: noise with a bright bar at row 2·class."""
    rng = np.random.default_rng(seed)
    for prefix, count in (("train", train), ("t10k", test)):
        labels = np.arange(count) % 10
        images = rng.integers(0, 30, size=(count, 28, 28))
        for image, label in zip(images, labels, strict=True):
            image[2 * label : 2 * label + 2] = 255
        write_idx(root / folder / "raw" / f"{prefix}-images-idx3-ubyte", images)
        write_idx(root / folder / "raw" / f"{prefix}-labels-idx1-ubyte", labels)
