"""torchvision's CIFAR readers with an option to accept files that are not the official bytes;
imported only when CIFAR is read (zoo.data.vision.VISION_DATASETS names them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from torchvision import datasets


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
