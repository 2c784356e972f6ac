"""The base of the zoo's data modules: train/val/test splits held in memory, seeded shuffling,
and the three loaders written once."""

from __future__ import annotations

from collections.abc import Iterator

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, Sampler


class SeededShuffle(Sampler[int]):
    """A new permutation of range(n) each epoch, drawn from its own generator seeded once: the
    same seed gives the same sequence of epochs, whatever else consumes random numbers."""

    def __init__(self, n: int, seed: int):
        self.n = n
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return self.n

    def __iter__(self) -> Iterator[int]:
        return iter(torch.randperm(self.n, generator=self.generator).tolist())


class TensorDataModule(L.LightningDataModule):
    """Subclasses fill `self.datasets` ({"train"|"val"|"test": Dataset}) in `setup`."""

    def __init__(self, batch_size: int, seed: int = 0, num_workers: int = 0):
        super().__init__()
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"data.batch_size must be a positive integer, got {batch_size!r}")
        if not isinstance(num_workers, int) or num_workers < 0:
            raise ValueError(f"data.num_workers must be a non-negative integer, got {num_workers!r}")
        self.batch_size = batch_size
        self.seed = seed
        self.num_workers = num_workers
        self.datasets: dict[str, Dataset] = {}
        self.collate_fn = None  # the DataLoader's default: stack the items
        self.pin_memory = False

    def loader(self, name: str, shuffle: bool) -> DataLoader:
        if name not in self.datasets:
            self.setup()
        dataset = self.datasets[name]
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=SeededShuffle(len(dataset), self.seed) if shuffle else None,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            collate_fn=self.collate_fn,
            pin_memory=self.pin_memory,
        )

    def train_dataloader(self) -> DataLoader:
        return self.loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self.loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self.loader("test", shuffle=False)
