"""The base of the zoo's data modules: train/val/test splits held in memory, seeded shuffling,
and the three loaders written once.

A data module here is a plain class that speaks Lightning's DataModule protocol (setup, the
loaders, state_dict, the batch-transfer hooks) without importing Lightning: predicting from a
checkpoint needs only its preprocessing state. `zoo.data.build_datamodule(..., for_trainer=True)`
mixes LightningDataModule in for a Trainer (zoo.data.trainer_class)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Protocol, runtime_checkable

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
        return iter(self.indices().tolist())

    def indices(self) -> torch.Tensor:
        """The next epoch's order (the rest of it when resuming), as a tensor of indices."""
        self.epoch_start = self.generator.get_state()
        order = torch.randperm(self.n, generator=self.generator)
        if self.world > 1:
            order = order[self.rank : len(self) * self.world : self.world]
        skip, self.skip = self.skip, 0
        return order[skip:]

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

    def indices(self) -> torch.Tensor:
        self.epoch_start = self.generator.get_state()
        skip, self.skip = self.skip, 0
        return torch.arange(skip, self.n)


def training_position(datamodule: DataModule, batches_done: int) -> dict[str, Any] | None:
    """Where the data module's training order stands after `batches_done` of this epoch's
    batches: what a checkpoint keeps to resume inside the epoch (zoo.training.resume). None for a
    data module without a resumable order. One of the two doors between data and resume."""
    order = datamodule.train_order if isinstance(datamodule, ResumableOrder) else None
    if order is None:
        return None
    per_batch = datamodule.order_items_per_batch
    return order.position(batches_done * per_batch)


def resume_training_at(datamodule: DataModule, position: dict[str, Any] | None) -> None:
    """Every training order the data module builds from now on starts at `position` (a
    `training_position`), until it is set back to None once the resumed epoch has started."""
    if isinstance(datamodule, ResumableOrder):
        datamodule.resume_position = position


def use_as_training_order(datamodule: DataModule, order: SeededShuffle | None) -> None:
    """Make `order` the data module's training order (the one a checkpoint records the position
    of); while resuming, it starts where the checkpoint's stood (zoo.training.resume)."""
    datamodule.train_order = order
    if order is not None and datamodule.resume_position is not None:
        order.resume(datamodule.resume_position)


def batch_tensors(dataset: Dataset) -> tuple[torch.Tensor, ...] | None:
    """The tensors a batch of `dataset` is those of, indexed at once (a TensorDataset, or a dataset
    that says `slices_batches`); None when its items must be fetched and stacked one by one."""
    if isinstance(dataset, TensorDataset) or getattr(dataset, "slices_batches", False):
        return tuple(dataset.tensors)
    return None


class TensorBatches:
    """Batches sliced at once from tensors held in memory (or on the training device) by a
    tensor of indices - what a hand-written loop does, without a DataLoader's per-batch work.
    `order`: the training order (SeededShuffle), or None for evaluation (every example once);
    `augment` transforms the first tensor of each batch (batched image augmentation).

    With `bundle` > 1 (trainer.steps_per_batch) it yields Bundles of that many batches, gathered
    with one indexing of each tensor and split into views: the same batches as one at a time."""

    def __init__(
        self,
        tensors: tuple[torch.Tensor, ...],
        batch_size: int,
        order: SeededShuffle | None,
        augment: Callable[[torch.Tensor], torch.Tensor] | None = None,
        bundle: int = 1,
    ):
        self.tensors, self.batch_size, self.augment, self.bundle = tensors, batch_size, augment, bundle
        self.shuffle = order  # not `.sampler`: Lightning would take this for a DataLoader
        self.dataset = TensorDataset(*tensors)  # as a DataLoader has it (its length: N)

    def order(self) -> Any:
        """This process's share: SeededShuffle's for training, every example once for evaluation."""
        return self.shuffle if self.shuffle is not None else evaluation_order(len(self.dataset))

    def epoch_indices(self) -> torch.Tensor:
        """This epoch's indices, in order, as a tensor (no round trip through Python ints)."""
        order = self.order()
        if isinstance(order, SeededShuffle):
            return order.indices().to(self.tensors[0].device)
        return torch.tensor(order, dtype=torch.long, device=self.tensors[0].device)

    @property
    def num_batches(self) -> int:
        """Batches (optimizer steps) in an epoch, bundled or not."""
        return math.ceil(len(self.order()) / self.batch_size)

    def __len__(self) -> int:
        return math.ceil(self.num_batches / self.bundle)

    def __iter__(self) -> Iterator[Any]:
        order = self.epoch_indices()
        span = self.batch_size * self.bundle
        for start in range(0, len(order), span):
            index = order[start : start + span]
            # index_select: the rows at once, 4× faster than tensor[index] on a CPU
            first, *rest = (tensor.index_select(0, index) for tensor in self.tensors)
            batch = (self.augment(first) if self.augment else first), *rest
            if self.bundle == 1:
                yield batch
            else:
                yield Bundle(zip(*(part.split(self.batch_size) for part in batch), strict=True))


class Bundle(list):
    """Several consecutive training batches handed to the task as one Lightning batch: the task
    takes an optimizer step on each (zoo.training.steps.BundledSteps.bundle_step)."""


class Bundles:
    """The batches of `loader`, `size` at a time, in the loader's order (the epoch's last bundle
    may be shorter). Lightning's own work per batch - its hooks, loops and callbacks, 1-2 ms on a
    CPU - is then paid once per bundle: for a small model that is most of a step."""

    def __init__(self, loader: Iterable, size: int):
        self.loader, self.size = loader, size

    @property
    def dataset(self) -> Any:
        """The loader's dataset (the task reads the number of training examples from it)."""
        return getattr(self.loader, "dataset", None)

    @property
    def num_batches(self) -> int:
        """Batches (optimizer steps) in an epoch."""
        return len(self.loader)

    def __len__(self) -> int:
        return math.ceil(self.num_batches / self.size)

    def __iter__(self) -> Iterator[Bundle]:
        bundle = Bundle()
        for batch in self.loader:
            bundle.append(batch)
            if len(bundle) == self.size:
                yield bundle
                bundle = Bundle()
        if bundle:
            yield bundle


class DataModule:
    """What every data module has: the hooks a Trainer calls, with the defaults a data module
    without them wants. Subclasses keep their split datasets in `self.datasets` and their
    preprocessing state (standardisation, tokenizer, class names) in `state_dict`."""

    def __init__(self) -> None:
        super().__init__()  # LightningDataModule's, when mixed in for a Trainer

    def prepare_data(self) -> None:
        """Download what is missing (once per machine)."""

    def setup(self, stage: str | None = None) -> None:
        """Read the splits a stage needs."""

    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what `state_dict` returned (a checkpoint keeps it)."""

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        return batch


# --- what tasks, inference and the run assembly read from a data module, by kind ------------------
# A data module offers the facts its kind of data has; readers ask with isinstance, so a probe for a
# misspelt attribute cannot silently take the other branch.
@runtime_checkable
class HasSplits(Protocol):
    datasets: dict[str, Dataset]  # {"train"|"val"|"test": Dataset}, filled by setup


@runtime_checkable
class HasClasses(Protocol):
    class_names: list[str]


@runtime_checkable
class FeatureRows(Protocol):
    """Rows of numbers (tabular data, or images as rows of pixel values)."""

    num_features: int | None

    def features(self, rows: Any) -> torch.Tensor: ...


@runtime_checkable
class ImageFiles(Protocol):
    image_shape: list[int] | None  # (C, H, W)

    def features(self, rows: Any) -> torch.Tensor: ...

    def read_images(self, paths: list[Any]) -> torch.Tensor: ...


@runtime_checkable
class TokenizedText(Protocol):
    tokenizer: Any  # a Hugging Face `tokenizers.Tokenizer`, or None before setup


@runtime_checkable
class Sentences(Protocol):
    """Sentences of words, encoded with a target (a class, tags, a translation)."""

    def encode(self, words: list[str], target: Any) -> tuple[list[int], Any]: ...


@runtime_checkable
class TaggedWords(Protocol):
    word_tags: dict[str, str]  # a word's part of speech, where the data knows it (the grammar)


def learns_vocabulary(datamodule: DataModule) -> bool:
    """Whether the data module learns its tokenizer from the training text, so that the vocabulary
    it finds (`actual_vocab_size`, a property that reads the text) may be below data.vocab_size.
    Asked of the class: asking the instance would read the text."""
    return isinstance(getattr(type(datamodule), "actual_vocab_size", None), property)


@runtime_checkable
class ResumableOrder(Protocol):
    """A training order a checkpoint records the position of (zoo.training.resume)."""

    train_order: SeededShuffle | None
    resume_position: dict[str, Any] | None
    order_items_per_batch: int  # examples per index of the order (1 when each index is a batch)


class TensorDataModule(DataModule):
    """Subclasses fill `self.datasets` ({"train"|"val"|"test": Dataset}) in `setup`.

    `steps_per_batch` > 1 (set by `zoo train` from trainer.steps_per_batch): the training loader
    yields Bundles of that many batches, in the same order as one batch at a time."""

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
        self.steps_per_batch = 1

    @property
    def order_items_per_batch(self) -> int:
        """Indices of the training order one Lightning batch uses (what a resumed epoch skips)."""
        return self.batch_size * self.steps_per_batch

    def loader(self, name: str, shuffle: bool) -> DataLoader:
        if name not in self.datasets:
            self.setup()
        dataset = self.datasets[name]
        workers = {"num_workers": self.num_workers, "persistent_workers": self.num_workers > 0}
        order = SeededShuffle(len(dataset), self.seed) if shuffle else evaluation_order(len(dataset))
        if name == "train":
            use_as_training_order(self, order if shuffle else None)
        tensors = batch_tensors(dataset) if self.collate_fn is None else None
        if tensors is not None and not self.num_workers:
            return TensorBatches(tensors, self.batch_size, order if shuffle else None)
        if tensors is not None:
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

    def train_dataloader(self) -> Any:
        loader = self.loader("train", shuffle=True)
        if self.steps_per_batch == 1:
            return loader
        if isinstance(loader, TensorBatches):  # gathers each bundle at once
            loader.bundle = self.steps_per_batch
            return loader
        return Bundles(loader, self.steps_per_batch)

    def val_dataloader(self) -> DataLoader:
        return self.loader("val", shuffle=False)

    def test_dataloader(self) -> DataLoader:
        return self.loader("test", shuffle=False)

    def transfer_batch_to_device(self, batch: Any, device: torch.device, dataloader_idx: int) -> Any:
        if device.type == "cpu":  # the batches are host tensors already: nothing to walk through
            return batch
        return super().transfer_batch_to_device(batch, device, dataloader_idx)  # LightningDataModule's

    def on_after_batch_transfer(self, batch: Any, dataloader_idx: int) -> Any:
        if type(self).prepare_batch is TensorDataModule.prepare_batch:
            return batch  # nothing to prepare: the bundle is not rebuilt
        if isinstance(batch, Bundle):
            return Bundle(self.prepare_batch(part) for part in batch)
        return self.prepare_batch(batch)

    def prepare_batch(self, batch: Any) -> Any:
        """A batch on the device → what the model takes (e.g. uint8 images → normalised floats)."""
        return batch
