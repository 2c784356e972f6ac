"""Task `Tagger`: one class per token (part of speech, named entities), cross-entropy over the real
tokens only (targets of -100 are padding or unscored steps), token accuracy, and for BIO tags the
entity-level F1 of CoNLL: a predicted entity counts only if its span and type are both exact."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torchmetrics import Metric, MetricCollection
from torchmetrics.classification import MulticlassAccuracy

from zoo.tasks.base import Task
from zoo.tasks.inference.tag import TaggerInference, bio_spans
from zoo.vocabulary import IGNORE


class EntityF1(Metric):
    """Micro F1 over entity spans, accumulated over a stage."""

    full_state_update = False

    def __init__(self, tags: list[str]):
        super().__init__()
        self.tags = tags
        for name in ("correct", "predicted", "actual"):
            self.add_state(name, default=torch.tensor(0), dist_reduce_fx="sum")

    def update(self, predictions: torch.Tensor, targets: torch.Tensor) -> None:
        for predicted_row, target_row in zip(predictions.tolist(), targets.tolist(), strict=True):
            real = [i for i, t in enumerate(target_row) if t != IGNORE]
            gold = bio_spans([self.tags[target_row[i]] for i in real])
            guess = bio_spans([self.tags[predicted_row[i]] for i in real])
            self.correct += len(gold & guess)
            self.predicted += len(guess)
            self.actual += len(gold)

    def compute(self) -> torch.Tensor:
        precision = self.correct / self.predicted.clamp_min(1)
        recall = self.correct / self.actual.clamp_min(1)
        return (2 * precision * recall / (precision + recall).clamp_min(1e-12)).float()


class Tagger(TaggerInference, Task):
    monitor: ClassVar[str] = "val/acc"
    monitor_mode: ClassVar[str] = "max"

    def __init__(
        self,
        net: dict[str, Any],
        tags: list[str],
        entity_f1: bool = False,
        optimizer: dict[str, Any] | None = None,
        scheduler: dict[str, Any] | None = None,
        regularizer: dict[str, Any] | None = None,
        compile: bool = False,
    ):
        super().__init__(net, tags, compile)
        self.save_hyperparameters()
        self.setup_training()

    def make_metrics(self) -> MetricCollection:
        accuracy = MulticlassAccuracy(
            len(self.tags), average="micro", ignore_index=IGNORE, validate_args=False
        )
        metrics: dict[str, Metric] = {"acc": accuracy}
        if self.hparams.entity_f1:
            metrics["f1"] = EntityF1(self.tags)
        return MetricCollection(metrics)

    def loss_and_outputs(
        self, batch: Any, stage: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        tokens, lengths, targets = batch
        scores = self(tokens, lengths)
        loss = F.cross_entropy(scores.flatten(0, 1), targets.flatten(), ignore_index=IGNORE)
        return loss, scores.detach().argmax(-1), targets

    def tokens_in(self, batch: Any) -> torch.Tensor:
        return batch[1].sum()  # (tokens, lengths, tags)
