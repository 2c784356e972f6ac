"""How fast a run trained: the seconds spent in training steps and the examples and tokens they
read, for the run summary (`train_speed`) and the results' speed table."""

from __future__ import annotations

import time
from typing import Any

import lightning as L
import torch


class TrainingSpeed(L.Callback):
    """Training time is counted from a training batch's start while no count is running, and
    stops when validation starts or the epoch ends: so it holds the steps and the loading of every
    batch but the first of each stretch, and leaves out validation, the checkpoints written after
    it and the plots of an epoch's end. On a GPU the device is waited for at those boundaries only.

    Examples are the rows of each batch (a language model's windows, a translation's sentence
    pairs); tokens are what the task says its batch holds (`Task.tokens_in`: the real tokens, not
    padding), counted on the device and read once at the end. Under DDP each process counts its own
    share (the summary is rank 0's). Lightning's ThroughputMonitor logs a windowed rate at every
    step and assumes batches of one size; this is one total per run."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.examples = 0
        self.tokens: torch.Tensor | int | None = None  # None: the task's batches hold no tokens
        self.started: float | None = None

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: Any, batch: Any, *args: Any) -> None:
        if self.started is None:
            self.started = self.now(pl_module)

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: Any, outputs: Any, batch: Any, *args: Any
    ) -> None:
        batches = batch if not pl_module.automatic_optimization else [batch]  # a bundle of several
        for one in batches:
            self.examples += len(one[0])
            tokens = pl_module.tokens_in(one)
            if tokens is not None:
                self.tokens = tokens if self.tokens is None else self.tokens + tokens

    def stop(self, pl_module: Any) -> None:
        if self.started is not None:
            self.seconds += self.now(pl_module) - self.started
            self.started = None

    def on_validation_start(self, trainer: L.Trainer, pl_module: Any) -> None:
        self.stop(pl_module)

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        self.stop(pl_module)

    def on_train_end(self, trainer: L.Trainer, pl_module: Any) -> None:
        self.stop(pl_module)

    @staticmethod
    def now(pl_module: Any) -> float:
        if pl_module.device.type == "cuda":
            torch.cuda.synchronize(pl_module.device)
        return time.perf_counter()

    def summary(self) -> dict[str, float | int | None]:
        """{seconds, examples, tokens (None for a task without), examples_per_s, tokens_per_s}."""
        tokens = int(self.tokens) if self.tokens is not None else None

        def per_second(count: int | None) -> float | None:
            return count / self.seconds if count is not None and self.seconds > 0 else None

        return {
            "seconds": self.seconds,
            "examples": self.examples,
            "tokens": tokens,
            "examples_per_s": per_second(self.examples),
            "tokens_per_s": per_second(tokens),
        }
