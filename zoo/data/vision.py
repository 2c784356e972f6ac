"""Image datasets through torchvision, held as tensors (uint8 on disk → normalised float32).

MNIST and Fashion-MNIST are downloaded into `<data_dir>/<Name>/raw` on first use. The images are
kept as one tensor rather than decoded per item, so batching is a slice, not 128 PIL calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import TensorDataset
from torchvision import datasets

from zoo.data.base import TensorDataModule
from zoo.data.downloads import downloads_allowed, network_timeout
from zoo.errors import ZooError

# name: (torchvision class, mean, std, class names)
VISION_DATASETS: dict[str, tuple[type, float, float, list[str]]] = {
    "mnist": (datasets.MNIST, 0.1307, 0.3081, [str(d) for d in range(10)]),
    "fashion_mnist": (
        datasets.FashionMNIST,
        0.2860,
        0.3530,
        [
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ],
    ),
}


def missing_dataset_message(cls: type, root: Path) -> str:
    files = ", ".join(name for name, _ in cls.resources)
    return (
        f"{cls.__name__} is not in {root / cls.__name__ / 'raw'} and downloading is off or failed. "
        f"Run once with network access (data.download=true, ZOO_OFFLINE unset), or put {files} "
        f"from {cls.mirrors[0]} into that folder."
    )


def load_torchvision(cls: type, root: Path, train: bool, download: bool) -> Any:
    """The torchvision dataset, downloading it if allowed; a clear ZooError if it is missing."""
    try:
        return cls(root=root, train=train, download=False)
    except RuntimeError:
        if not downloads_allowed(download):
            raise ZooError(missing_dataset_message(cls, root)) from None
    try:
        with network_timeout():
            return cls(root=root, train=train, download=True)
    except (RuntimeError, OSError) as error:
        raise ZooError(f"{missing_dataset_message(cls, root)} ({type(error).__name__}: {error})") from None


class VisionDataModule(TensorDataModule):
    def __init__(
        self,
        dataset: str = "mnist",
        data_dir: str = "data",
        download: bool = True,
        batch_size: int = 128,
        val_size: int = 5000,
        seed: int = 0,
        flatten: bool = False,
        num_workers: int = 0,
        num_features: int | None = None,
        num_classes: int | None = None,
    ):
        super().__init__(batch_size, seed, num_workers)
        if dataset not in VISION_DATASETS:
            raise ValueError(f"unknown image dataset {dataset!r}; choose one of {', '.join(VISION_DATASETS)}")
        self.dataset = dataset
        self.data_dir = Path(data_dir)
        self.download = download
        self.val_size = val_size
        self.flatten = flatten
        cls, self.mean, self.std, self.class_names = VISION_DATASETS[dataset]
        self.num_classes = num_classes or len(self.class_names)
        self.num_features = num_features

    def prepare_data(self) -> None:
        cls = VISION_DATASETS[self.dataset][0]
        for train in (True, False):
            load_torchvision(cls, self.data_dir, train, self.download)

    def features(self, images: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Pixel values in 0..255, shape (N, H, W) or (N, H·W) → normalised model input."""
        x = torch.as_tensor(np.asarray(images), dtype=torch.float32) / 255.0
        x = (x - self.mean) / self.std
        side = 28
        if x.ndim == 2:
            if x.shape[1] != side * side:
                raise ZooError(f"expected {side * side} pixel values per row, got {x.shape[1]}")
            x = x.reshape(-1, side, side)
        x = x.unsqueeze(1)  # (N, 1, H, W)
        return x.flatten(1) if self.flatten else x

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        cls = VISION_DATASETS[self.dataset][0]
        train = load_torchvision(cls, self.data_dir, True, self.download)
        test = load_torchvision(cls, self.data_dir, False, self.download)
        x, y = self.features(train.data), train.targets.long()
        features = int(np.prod(x.shape[1:]))
        if self.num_features is not None and self.num_features != features:
            raise ZooError(f"data.num_features is {self.num_features} but the images give {features}")
        self.num_features = features
        order = torch.randperm(len(x), generator=torch.Generator().manual_seed(self.seed))
        val_index, train_index = order[: self.val_size], order[self.val_size :]
        self.datasets = {
            "train": TensorDataset(x[train_index], y[train_index]),
            "val": TensorDataset(x[val_index], y[val_index]),
            "test": TensorDataset(self.features(test.data), test.targets.long()),
        }

    def state_dict(self) -> dict[str, Any]:
        return {"class_names": self.class_names, "num_features": self.num_features}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.class_names = list(state.get("class_names") or self.class_names)
        self.num_features = state.get("num_features", self.num_features)
