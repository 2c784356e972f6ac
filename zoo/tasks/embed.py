"""Task `WordEmbedding`: trains a skip-gram model by its negative-sampling loss."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torchmetrics import MetricCollection

from zoo.tasks.base import Task


class WordEmbedding(Task):
    monitor: ClassVar[str] = "val/loss"
    monitor_mode: ClassVar[str] = "min"

    def __init__(
        self,
        net: dict[str, Any],
        vocab_size: int,
        optimizer: dict[str, Any] | None = None,
        scheduler: dict[str, Any] | None = None,
        regularizer: dict[str, Any] | None = None,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.setup_task({**net, "vocab_size": vocab_size})

    def make_metrics(self) -> MetricCollection:
        return MetricCollection({})  # the negative-sampling loss itself is the measure

    def loss_and_outputs(
        self, batch: Any, stage: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        centre, context, noise = batch
        loss = self.net(centre, context, noise)
        return loss, centre, centre  # no metric reads the outputs
