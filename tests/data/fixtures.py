"""Writers for dataset files in their exact upstream formats (so real loaders read them offline)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

IDX_UBYTE = 0x08


def write_idx(path: Path, array: np.ndarray) -> None:
    """The IDX format of MNIST: magic (0, 0, type, ndim), big-endian int32 sizes, then raw bytes
    (gzipped when the name ends in .gz, as the files are published)."""
    import gzip

    array = np.asarray(array, dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wb") if path.suffix == ".gz" else path.open("wb") as file:
        file.write(struct.pack(">BBBB", 0, 0, IDX_UBYTE, array.ndim))
        file.write(struct.pack(f">{array.ndim}I", *array.shape))
        file.write(array.tobytes())


def write_mnist(
    root: Path, folder: str = "MNIST/raw", train: int = 60, test: int = 20, seed: int = 0, suffix: str = ""
) -> None:
    """A tiny MNIST-format dataset in root/<folder>: noise with a bright bar at row 2·class
    (`suffix=".gz"`: the files gzipped, as published and as Debian installs them)."""
    rng = np.random.default_rng(seed)
    for prefix, count in (("train", train), ("t10k", test)):
        labels = np.arange(count) % 10
        images = rng.integers(0, 30, size=(count, 28, 28))
        for image, label in zip(images, labels, strict=True):
            image[2 * label : 2 * label + 2] = 255
        write_idx(root / folder / f"{prefix}-images-idx3-ubyte{suffix}", images)
        write_idx(root / folder / f"{prefix}-labels-idx1-ubyte{suffix}", labels)


def write_cifar10(root: Path, per_batch: int = 10, test: int = 20, seed: int = 0) -> list[str]:
    """CIFAR-10's python format under root/cifar-10-batches-py: five pickled training batches, a test
    batch (dicts of 'data': N×3072 uint8 rows as R, G, B planes, and 'labels') and batches.meta.
    The official files were pickled by Python 2, whose str keys load as str with encoding="latin1"
    (as torchvision loads them); str keys here load the same way."""
    import pickle

    rng = np.random.default_rng(seed)
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    batches = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in batches:
        count = test if name == "test_batch" else per_batch
        labels = (np.arange(count) % 10).tolist()
        images = rng.integers(0, 256, size=(count, 3, 32, 32), dtype=np.uint8)
        batch = {
            "batch_label": name,
            "labels": labels,
            "data": images.reshape(count, 3072),
            "filenames": [f"{name}_{i}.png" for i in range(count)],
        }
        with (folder / name).open("wb") as file:
            pickle.dump(batch, file)
    with (folder / "batches.meta").open("wb") as file:
        pickle.dump({"label_names": names, "num_cases_per_batch": per_batch, "num_vis": 3072}, file)
    return names


def write_image_folder(root: Path, classes: dict[str, int], size: tuple[int, int] = (40, 30)) -> None:
    """root/<class>/<i>.png: RGB images whose dominant colour channel is the class index."""
    from PIL import Image

    for index, (name, count) in enumerate(classes.items()):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            pixels = np.zeros((*size, 3), dtype=np.uint8)
            pixels[..., index % 3] = 200 + i % 50
            Image.fromarray(pixels).save(root / name / f"{i}.png")
