"""Image datasets: MNIST, Fashion-MNIST, CIFAR-10/100 through torchvision (downloaded into
<data_dir> on first use), a user's folder of class subfolders, and scikit-learn's bundled 8×8
digits resized for LeNet (offline). All feed the shared pipeline of zoo.data.images."""

from __future__ import annotations

import gzip
import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from zoo.data.downloads import downloads_allowed, network_timeout
from zoo.data.images import IMAGE_SUFFIXES, ImageDataModule, read_image
from zoo.errors import ZooError


@dataclass(frozen=True)
class TorchvisionSet:
    reader: str  # the class that reads it, "module.Class": imported to read the data (torchvision
    # takes 1.5 s to import, which predicting from a checkpoint does not pay)
    mean: tuple[float, ...]
    std: tuple[float, ...]
    files: str  # what to download, for the offline message
    url: str
    folder: str  # below data_dir
    idx: bool = False  # MNIST's IDX files, which the zoo reads itself (.gz or extracted), wherever they are

    @property
    def name(self) -> str:
        return self.reader.rsplit(".", 1)[1].removeprefix("Checked")

    def reader_class(self) -> type:
        module, _, name = self.reader.rpartition(".")
        return getattr(importlib.import_module(module), name)


VISION_DATASETS = {
    "mnist": TorchvisionSet(
        "torchvision.datasets.MNIST",
        (0.1307,),
        (0.3081,),
        "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        "t10k-labels-idx1-ubyte.gz",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "MNIST/raw",
        idx=True,
    ),
    "fashion_mnist": TorchvisionSet(
        "torchvision.datasets.FashionMNIST",
        (0.2860,),
        (0.3530,),
        "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        "t10k-labels-idx1-ubyte.gz",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "FashionMNIST/raw",
        idx=True,
    ),
    "cifar10": TorchvisionSet(
        "zoo.data.cifar.CheckedCIFAR10",
        (0.4914, 0.4822, 0.4465),
        (0.2470, 0.2435, 0.2616),
        "cifar-10-python.tar.gz (extracted: cifar-10-batches-py/)",
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        "",
    ),
    "cifar100": TorchvisionSet(
        "zoo.data.cifar.CheckedCIFAR100",
        (0.5071, 0.4865, 0.4409),
        (0.2673, 0.2564, 0.2762),
        "cifar-100-python.tar.gz (extracted: cifar-100-python/)",
        "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        "",
    ),
}


def missing_dataset_message(
    name: str, root: Path, locations: list[str] = (), package: str | None = None
) -> str:
    spec = VISION_DATASETS[name]
    location = root / spec.folder if spec.folder else root
    elsewhere = f" nor in {', '.join(locations)}" if locations else ""
    get = (
        f"`apt-get install -y {package}` (Debian, Ubuntu) puts it in {locations[0]}; or run once"
        if package and locations
        else "Run once"
    )
    return (
        f"{spec.name} is not in {location}{elsewhere}, and downloading is off "
        f"or failed. {get} with network access (data.download=true, ZOO_OFFLINE unset), or put "
        f"{spec.files} from {spec.url} into {location} (as .gz or extracted)."
    )


@dataclass(frozen=True)
class IdxSplit:
    """One split of an MNIST-format dataset read from its IDX files, shaped as torchvision's."""

    data: torch.Tensor  # (N, 28, 28) uint8
    targets: torch.Tensor  # (N,) int64
    classes: list[str]


IDX_PREFIXES = {True: "train", False: "t10k"}


def idx_file(folder: Path, prefix: str, kind: str) -> Path | None:
    """folder/<prefix>-<kind>-idx?-ubyte, extracted or .gz, if it is there."""
    for candidate in sorted(folder.glob(f"{prefix}-{kind}-idx?-ubyte*")):
        if candidate.name.endswith(("-ubyte", "-ubyte.gz")):
            return candidate
    return None


def read_idx(path: Path) -> torch.Tensor:
    """An IDX file of unsigned bytes (MNIST's format: magic 0 0 8 ndim, big-endian int32 sizes,
    the bytes), .gz or not, as a uint8 tensor of its shape."""
    try:
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise ZooError(f"cannot read {path}: {error}") from None
    ndim = data[3] if len(data) >= 4 else 0
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    body = data[4 + 4 * ndim :]
    if len(data) < 4 or data[:3] != b"\x00\x00\x08" or len(body) != int(np.prod(shape)):
        raise ZooError(f"{path} is not an IDX file of bytes (corrupt or truncated?)")
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(shape)


def find_idx_folder(folders: list[Path]) -> Path | None:
    """The first folder that holds all four IDX files (images and labels of both splits)."""
    for folder in folders:
        kinds = [(prefix, kind) for prefix in IDX_PREFIXES.values() for kind in ("images", "labels")]
        if folder.is_dir() and all(idx_file(folder, prefix, kind) for prefix, kind in kinds):
            return folder
    return None


def load_torchvision(
    name: str,
    root: Path,
    train: bool,
    download: bool,
    verify: bool = True,
    locations: list[str] = (),
    package: str | None = None,
) -> Any:
    """The dataset's split. MNIST-format data is read from the first folder that holds its files:
    <root>/<folder>, then the `locations` a system may have put it in (Debian's
    dataset-fashion-mnist: /usr/share/datasets/fashion-mnist), before anything is downloaded.
    Missing and not downloadable: one ZooError naming every place and how to get the files."""
    spec = VISION_DATASETS[name]
    if spec.idx:
        folder = find_idx_folder([root / spec.folder, *(Path(location) for location in locations)])
        if folder is not None:
            prefix = IDX_PREFIXES[train]
            images = read_idx(idx_file(folder, prefix, "images"))
            labels = read_idx(idx_file(folder, prefix, "labels")).long()
            if images.ndim != 3 or labels.shape != (len(images),):
                raise ZooError(f"{folder}: the {prefix} images {tuple(images.shape)} and labels do not match")
            return IdxSplit(images, labels, list(spec.reader_class().classes))
    cls = spec.reader_class()
    options = {"verify_checksums": verify} if not spec.idx else {}
    message = missing_dataset_message(name, root, list(locations), package)
    if not spec.idx:
        try:
            return cls(root=root, train=train, download=False, **options)
        except RuntimeError:
            pass
    if not downloads_allowed(download):
        raise ZooError(message)
    try:
        with network_timeout():
            return cls(root=root, train=train, download=True, **options)
    except (RuntimeError, OSError) as error:
        raise ZooError(f"{message} ({type(error).__name__}: {error})") from None


def as_nchw_uint8(data: Any) -> torch.Tensor:
    """torchvision's .data (MNIST: tensor N×H×W; CIFAR: array N×H×W×C) → uint8 (N, C, H, W)."""
    images = torch.as_tensor(np.asarray(data))
    return images.unsqueeze(1) if images.ndim == 3 else images.permute(0, 3, 1, 2).contiguous()


def split_off(images: torch.Tensor, labels: torch.Tensor, count: int, seed: int) -> tuple[tuple, tuple]:
    """(kept, split-off) parts: `count` examples drawn by a permutation from the seed."""
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    rest, chosen = order[count:], order[:count]
    return (images[rest], labels[rest]), (images[chosen], labels[chosen])


class VisionDataModule(ImageDataModule):
    """MNIST, Fashion-MNIST, CIFAR-10, CIFAR-100: the official test split, and `val_size`
    training images held out for validation."""

    def __init__(
        self,
        dataset: str = "mnist",
        data_dir: str = "data",
        download: bool = True,
        val_size: int = 5000,
        train_size: int | None = None,
        verify_checksums: bool = True,
        locations: list[str] | None = None,
        system_package: str | None = None,
        **common: Any,
    ):
        if dataset not in VISION_DATASETS:
            raise ValueError(f"unknown image dataset {dataset!r}; choose one of {', '.join(VISION_DATASETS)}")
        super().__init__(**common)
        self.dataset, self.data_dir, self.download = dataset, Path(data_dir), download
        self.val_size, self.train_size, self.verify_checksums = val_size, train_size, verify_checksums
        self.locations, self.system_package = list(locations or []), system_package
        spec = VISION_DATASETS[dataset]
        self.mean, self.std = list(spec.mean), list(spec.std)

    def load(self, train: bool) -> Any:
        return load_torchvision(self.dataset, self.data_dir, train, self.download, self.verify_checksums,
                                self.locations, self.system_package)  # fmt: skip

    def prepare_data(self) -> None:
        for train in (True, False):
            self.load(train)

    def load_splits(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        train, test = self.load(True), self.load(False)
        self.class_names = list(train.classes)
        images, labels = as_nchw_uint8(train.data), torch.as_tensor(train.targets, dtype=torch.long)
        if not 0 < self.val_size < len(labels):
            raise ZooError(
                f"data.val_size={self.val_size} must be above 0 and below the {len(labels):,} training "
                f"images of {self.dataset} here: lower data.val_size"
            )
        kept, val = split_off(images, labels, self.val_size, self.seed)
        if self.train_size is not None:  # a slice of the training images (quick runs, tests)
            if not 0 < self.train_size <= len(kept[1]):
                raise ZooError(f"data.train_size={self.train_size} must be in 1..{len(kept[1]):,}")
            kept = (kept[0][: self.train_size], kept[1][: self.train_size])
        test_split = (as_nchw_uint8(test.data), torch.as_tensor(test.targets, dtype=torch.long))
        return {"train": kept, "val": val, "test": test_split}


class ImageFolderDataModule(ImageDataModule):
    """A folder of class subfolders (root/<class>/<image>), read by torchvision's ImageFolder,
    resized to image_size and split into train/val/test by fractions drawn from the seed."""

    def __init__(
        self,
        root: str = "images",
        image_size: int = 32,
        channels: int = 3,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        **common: Any,
    ):
        super().__init__(**common)
        self.root, self.image_size, self.channels = Path(root), image_size, channels
        self.val_fraction, self.test_fraction = val_fraction, test_fraction

    def load_splits(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        if not self.root.is_dir():
            raise ZooError(f"image folder not found: {self.root} (set data.root=path/to/class/subfolders)")
        # torchvision loads only where its datasets or transforms are used (predicting needs none of it)
        from torchvision import datasets

        try:
            folder = datasets.ImageFolder(self.root, allow_empty=False)
        except (FileNotFoundError, RuntimeError) as error:
            raise ZooError(f"{self.root}: {error}") from None
        self.class_names = list(folder.classes)
        size = (self.image_size, self.image_size)
        images = torch.stack([read_image(path, self.channels, size) for path, _ in folder.samples])
        labels = torch.tensor(folder.targets, dtype=torch.long)
        n_test, n_val = round(len(labels) * self.test_fraction), round(len(labels) * self.val_fraction)
        rest, test = split_off(images, labels, n_test, self.seed)
        train, val = split_off(*rest, n_val, self.seed + 1)
        return {"train": train, "val": val, "test": test}


class DigitsImageDataModule(ImageDataModule):
    """scikit-learn's bundled 8×8 digits as 1-channel images (0..16 scaled to 0..255), resized to
    image_size (32 for LeNet-5); offline. Splits by fractions drawn from the seed."""

    def __init__(
        self, image_size: int = 32, val_fraction: float = 0.15, test_fraction: float = 0.15, **common: Any
    ):
        super().__init__(**common)
        self.image_size, self.val_fraction, self.test_fraction = image_size, val_fraction, test_fraction

    def load_splits(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        # scikit-learn loads only where its bundled datasets are read (predicting needs none of it)
        from sklearn.datasets import load_digits

        digits = load_digits()
        self.class_names = [str(name) for name in digits.target_names]
        images = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) * (255 / 16)
        if self.image_size != 8:
            images = F.interpolate(
                images, size=(self.image_size, self.image_size), mode="bilinear", align_corners=False
            )
        images = images.round().clamp(0, 255).to(torch.uint8)
        labels = torch.tensor(digits.target, dtype=torch.long)
        n_test, n_val = round(len(labels) * self.test_fraction), round(len(labels) * self.val_fraction)
        rest, test = split_off(images, labels, n_test, self.seed)
        train, val = split_off(*rest, n_val, self.seed + 1)
        return {"train": train, "val": val, "test": test}


def image_files(folder: Path) -> list[Path]:
    """The image files directly inside `folder`, sorted by name."""
    return sorted(path for path in folder.iterdir() if path.suffix.lower() in IMAGE_SUFFIXES)
