"""The base of the zoo's data modules: train/val/test splits held as in-memory TensorDatasets,
seeded shuffling, and the three loaders written once."""

from __future__ import annotations

import lightning as L
import torch
from torch.utils.data import DataLoader, TensorDataset

STAGE_SPLITS = ("train", "val", "test")


class TensorDataModule(L.LightningDataModule):
    """Subclasses fill `self.datasets` ({"train"|"val"|"test": TensorDataset}) in `setup`."""

    def __init__(self, batch_size: int, seed: int = 0, num_workers: int = 0):
        super().__init__()
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"data.batch_size must be a positive integer, got {batch_size!r}")
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"data.num_workers must be a non-negative integer, got {num_workers!r}")
        self.batch_size = batch_size
        self.seed = seed
        self.num_workers = num_workers
        self.datasets: dict[str, TensorDataset] = {}

    def loader(self, name: str, shuffle: bool) -> DataLoader:
        if name not in self.datasets:
            self.setup()
        return DataLoader(
            self.datasets[name],
            batch_size=self.batch_size,
            shuffle=shuffle,
            generator=torch.Generator().manual_seed(self.seed) if shuffle else None,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        return self.loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self.loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self.loader("test", shuffle=False)
