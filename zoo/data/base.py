"""The base of the zoo's data modules: train/val/test splits held in memory, seeded shuffling,
and the three loaders written once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import lightning as L
import torch
import torch.distributed as dist
from torch.utils.data import BatchSampler, DataLoader, Dataset, Sampler, TensorDataset


def distributed_rank_and_world() -> tuple[int, int]:
    """(this process's rank, the number of processes training together); (0, 1) outside
    torch.distributed."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def evaluation_order(n: int) -> range:
    """The examples this process evaluates, in order: all of them, or with W processes every W-th
    from its rank on - each example once. (Lightning's DistributedSampler pads the shares to equal
    length with repeated examples, which biases every val/test metric.)"""
    rank, world = distributed_rank_and_world()
    return range(rank, n, world)


class SeededShuffle(Sampler[int]):
    """A new permutation of range(n) each epoch, drawn from its own generator seeded once: the
    same seed gives the same sequence of epochs, whatever else consumes random numbers.

    Distributed (W processes): every process draws the same permutation and takes every W-th
    index, from its rank on; the last n mod W indices of the epoch are left out so that all take
    the same number of steps. Process r's k-th batch of B is then the r-th share of examples
    k·W·B .. (k+1)·W·B of the permutation: the W processes together read the same batches as one
    process with batches of W·B, and their averaged gradient is that batch's.

    Resumable: `position(consumed)` is what a checkpoint keeps (the generator's state before this
    epoch's draw and how many indices of it were used), and after `resume(position)` the next
    epoch is the rest of that permutation; the epochs after it are as if never interrupted."""

    def __init__(self, n: int, seed: int):
        self.n = n
        self.rank, self.world = distributed_rank_and_world()
        self.generator = torch.Generator().manual_seed(seed)
        self.epoch_start = self.generator.get_state()
        self.skip = 0

    def __len__(self) -> int:
        return self.n // self.world

    def __iter__(self) -> Iterator[int]:
        self.epoch_start = self.generator.get_state()
        order = torch.randperm(self.n, generator=self.generator).tolist()
        if self.world > 1:
            order = order[self.rank : len(self) * self.world : self.world]
        skip, self.skip = self.skip, 0
        return iter(order[skip:])

    def position(self, consumed: int) -> dict[str, Any]:
        """Where the current epoch stands after `consumed` indices (its length or more: at its end)."""
        if consumed >= len(self):
            return {"generator": self.generator.get_state(), "skip": 0}
        return {"generator": self.epoch_start.clone(), "skip": consumed}

    def resume(self, position: dict[str, Any]) -> None:
        self.generator.set_state(position["generator"])
        self.skip = int(position["skip"])


class ResumableSequence(SeededShuffle):
    """range(n) in order every epoch, resumable like SeededShuffle (a language model's windows,
    whose order carries the hidden state from one window to the next). Not split between
    processes: each reads every window (the state must follow the text)."""

    def __init__(self, n: int, seed: int):
        super().__init__(n, seed)
        self.rank, self.world = 0, 1

    def __iter__(self) -> Iterator[int]:
        self.epoch_start = self.generator.get_state()
        skip, self.skip = self.skip, 0
        return iter(range(skip, self.n))


def use_as_training_order(datamodule: Any, order: SeededShuffle | None) -> None:
    """Make `order` the data module's training order (the one a checkpoint records the position
    of); while resuming, it starts where the checkpoint's stood (zoo.training.resume)."""
    datamodule.train_order = order
    if order is not None and datamodule.resume_position is not None:
        order.resume(datamodule.resume_position)


def slices_batches(dataset: Dataset) -> bool:
    """Whether dataset[list of indices] returns the whole batch (tensors indexed at once), which
    costs far less than fetching and stacking the items one by one."""
    return isinstance(dataset, TensorDataset) or getattr(dataset, "slices_batches", False)


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
        self.train_order: SeededShuffle | None = None  # the training loader's order (for resuming)
        self.resume_position: dict[str, Any] | None = None  # set while resuming (zoo.training.resume)
        self.pin_memory = False

    def loader(self, name: str, shuffle: bool) -> DataLoader:
        if name not in self.datasets:
            self.setup()
        dataset = self.datasets[name]
        workers = {"num_workers": self.num_workers, "persistent_workers": self.num_workers > 0}
        order = SeededShuffle(len(dataset), self.seed) if shuffle else evaluation_order(len(dataset))
        if name == "train":
            use_as_training_order(self, order if shuffle else None)
        if self.collate_fn is None and slices_batches(dataset):
            # one list of indices per batch: the tensors are sliced at once, no per-item collate
            batches = BatchSampler(order, self.batch_size, drop_last=False)
            return DataLoader(
                dataset, sampler=batches, batch_size=None, pin_memory=self.pin_memory, **workers
            )
        return DataLoader(
            dataset,
            batch_size=self.batch_size,
            sampler=order,
            collate_fn=self.collate_fn,
            pin_memory=self.pin_memory,
            **workers,
        )

    def train_dataloader(self) -> DataLoader:
        return self.loader("train", shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self.loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self.loader("test", shuffle=False)
