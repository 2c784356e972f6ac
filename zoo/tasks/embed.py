"""Task `WordEmbedding`: trains a skip-gram model by its negative-sampling loss."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torchmetrics import MeanMetric, MetricCollection

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
        return MetricCollection({"nsloss": MeanMetric()})

    def loss_and_outputs(
        self, batch: Any, stage: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        centre, context, noise = batch
        loss = self.net(centre, context, noise)
        return loss, loss.detach().expand(centre.shape[0]), centre

    def shared_step(self, batch: Any, stage: str) -> torch.Tensor:
        loss, _, target = self.loss_and_outputs(batch, stage)
        self.log(
            f"{stage}/loss",
            loss,
            on_step=stage == "train",
            on_epoch=True,
            prog_bar=True,
            batch_size=target.shape[0],
            sync_dist=stage != "train",
        )
        return loss
