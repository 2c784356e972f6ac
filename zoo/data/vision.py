"""Image datasets: MNIST, Fashion-MNIST, CIFAR-10/100 through torchvision (downloaded into
<data_dir> on first use), a user's folder of class subfolders, and scikit-learn's bundled 8×8
digits resized for LeNet (offline). All feed the shared pipeline of zoo.data.images."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torchvision import datasets

from zoo.data.downloads import downloads_allowed, network_timeout
from zoo.data.images import IMAGE_SUFFIXES, ImageDataModule, read_image
from zoo.errors import ZooError


class CheckedCIFAR10(datasets.CIFAR10):
    """torchvision's CIFAR-10 reader; `verify_checksums=False` accepts batch files that are not
    byte-identical to the official ones (files a user assembled, test fixtures). The parsing is
    torchvision's own either way, and a download is always verified (its archive checksum)."""

    def __init__(self, *args: Any, verify_checksums: bool = True, **kwargs: Any):
        self.verify_checksums = verify_checksums
        super().__init__(*args, **kwargs)

    def _check_integrity(self) -> bool:
        if self.verify_checksums:
            return super()._check_integrity()
        folder = Path(self.root) / self.base_folder
        return all((folder / name).is_file() for name, _ in self.train_list + self.test_list)

    def _load_meta(self) -> None:
        if not self.verify_checksums:
            self.meta = {**self.meta, "md5": None}  # torchvision then checks only that it exists
        super()._load_meta()


class CheckedCIFAR100(CheckedCIFAR10):
    """The same for CIFAR-100 (torchvision's CIFAR100 differs from CIFAR10 only in these fields)."""

    base_folder = datasets.CIFAR100.base_folder
    url, filename, tgz_md5 = datasets.CIFAR100.url, datasets.CIFAR100.filename, datasets.CIFAR100.tgz_md5
    train_list, test_list, meta = (
        datasets.CIFAR100.train_list,
        datasets.CIFAR100.test_list,
        datasets.CIFAR100.meta,
    )


@dataclass(frozen=True)
class TorchvisionSet:
    cls: type
    mean: tuple[float, ...]
    std: tuple[float, ...]
    files: str  # what to download, for the offline message
    url: str
    folder: str  # below data_dir


VISION_DATASETS = {
    "mnist": TorchvisionSet(
        datasets.MNIST,
        (0.1307,),
        (0.3081,),
        "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        "t10k-labels-idx1-ubyte.gz",
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "MNIST/raw",
    ),
    "fashion_mnist": TorchvisionSet(
        datasets.FashionMNIST,
        (0.2860,),
        (0.3530,),
        "train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, "
        "t10k-labels-idx1-ubyte.gz",
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "FashionMNIST/raw",
    ),
    "cifar10": TorchvisionSet(
        CheckedCIFAR10,
        (0.4914, 0.4822, 0.4465),
        (0.2470, 0.2435, 0.2616),
        "cifar-10-python.tar.gz (extracted: cifar-10-batches-py/)",
        "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz",
        "",
    ),
    "cifar100": TorchvisionSet(
        CheckedCIFAR100,
        (0.5071, 0.4865, 0.4409),
        (0.2673, 0.2564, 0.2762),
        "cifar-100-python.tar.gz (extracted: cifar-100-python/)",
        "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
        "",
    ),
}


def missing_dataset_message(name: str, root: Path) -> str:
    spec = VISION_DATASETS[name]
    location = root / spec.folder if spec.folder else root
    return (
        f"{spec.cls.__name__.removeprefix('Checked')} is not in {location} and downloading is off "
        f"or failed. Run once with network access (data.download=true, ZOO_OFFLINE unset), or put "
        f"{spec.files} from {spec.url} into that folder."
    )


def load_torchvision(name: str, root: Path, train: bool, download: bool, verify: bool = True) -> Any:
    """The torchvision dataset, downloading it if allowed; a clear ZooError if it is missing."""
    cls = VISION_DATASETS[name].cls
    options = {"verify_checksums": verify} if issubclass(cls, CheckedCIFAR10) else {}
    try:
        return cls(root=root, train=train, download=False, **options)
    except RuntimeError:
        if not downloads_allowed(download):
            raise ZooError(missing_dataset_message(name, root)) from None
    try:
        with network_timeout():
            return cls(root=root, train=train, download=True, **options)
    except (RuntimeError, OSError) as error:
        raise ZooError(f"{missing_dataset_message(name, root)} ({type(error).__name__}: {error})") from None


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
        verify_checksums: bool = True,
        **common: Any,
    ):
        if dataset not in VISION_DATASETS:
            raise ValueError(f"unknown image dataset {dataset!r}; choose one of {', '.join(VISION_DATASETS)}")
        super().__init__(**common)
        self.dataset, self.data_dir, self.download = dataset, Path(data_dir), download
        self.val_size, self.verify_checksums = val_size, verify_checksums
        spec = VISION_DATASETS[dataset]
        self.mean, self.std = list(spec.mean), list(spec.std)

    def prepare_data(self) -> None:
        for train in (True, False):
            load_torchvision(self.dataset, self.data_dir, train, self.download, self.verify_checksums)

    def load_splits(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        train = load_torchvision(self.dataset, self.data_dir, True, self.download, self.verify_checksums)
        test = load_torchvision(self.dataset, self.data_dir, False, self.download, self.verify_checksums)
        self.class_names = list(train.classes)
        images, labels = as_nchw_uint8(train.data), torch.as_tensor(train.targets, dtype=torch.long)
        if not 0 < self.val_size < len(labels):
            raise ZooError(
                f"data.val_size={self.val_size} must be above 0 and below the {len(labels):,} training "
                f"images of {self.dataset} here: lower data.val_size"
            )
        kept, val = split_off(images, labels, self.val_size, self.seed)
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
