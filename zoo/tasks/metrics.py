"""Metrics the tasks share (torchmetrics' Metric: accumulated over a stage, summed across devices,
with no host synchronisation until compute)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torchmetrics import Metric

from zoo.vocabulary import IGNORE


class Share(Metric):
    """correct / total over a stage; a subclass says what it counts in `counts`."""

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("correct", default=torch.tensor(0), dist_reduce_fx="sum")
        self.add_state("total", default=torch.tensor(0), dist_reduce_fx="sum")

    def counts(self, predictions: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def update(self, predictions: torch.Tensor, targets: torch.Tensor) -> None:
        correct, total = self.counts(predictions, targets)
        self.correct += correct
        self.total += total

    def compute(self) -> torch.Tensor:
        return self.correct.float() / self.total.clamp_min(1)


class Accuracy(Share):
    """Top-1 accuracy: the share of scored targets (those not IGNORE) at the class of the largest
    score, or probability, along the last dimension. torchmetrics' MulticlassAccuracy (micro)
    computes the same with four counters a step (a few times slower on a small model's step)."""

    def counts(self, scores: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scored = targets != IGNORE
        return ((scores.argmax(dim=-1) == targets) & scored).sum(), scored.sum()


class WeightedMean(Metric):
    """Σ nᵢ·xᵢ / Σ nᵢ over a stage: the epoch's mean loss per example, from each batch's mean loss
    xᵢ and size nᵢ. A non-finite value shows in the mean (no check, so no host sync).
    (torchmetrics' MeanMetric skips its NaN checks only with nan_strategy="disable", which also
    drops the weights: an unweighted mean of batches, in 1.9; Lightning-AI/torchmetrics#3434.)"""

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("total", default=torch.tensor(0.0), dist_reduce_fx="sum")
        self.add_state("weight", default=torch.tensor(0.0), dist_reduce_fx="sum")

    def update(self, values: torch.Tensor, sizes: float | Sequence[float]) -> None:
        """One batch's mean with its size, or several batches' means with their sizes, summed by
        runs of equal size (the sizes stay numbers: copying them to a GPU would wait for it)."""
        if not isinstance(sizes, Sequence):
            values, sizes = values.reshape(1), [sizes]
        start = 0
        for end in range(1, len(sizes) + 1):
            if end == len(sizes) or sizes[end] != sizes[start]:
                self.total += values[start:end].sum() * sizes[start]
                self.weight += sizes[start] * (end - start)
                start = end

    def compute(self) -> torch.Tensor:
        return self.total / self.weight


class PerplexityOfLoss(Metric):
    """exp(mean cross-entropy per scored token), from each batch's mean loss and its number of
    scored targets: the value torchmetrics' Perplexity computes from the logits, without a second
    softmax over the whole vocabulary at every step."""

    full_state_update = False

    def __init__(self) -> None:
        super().__init__()
        self.add_state("loss_sum", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0), dist_reduce_fx="sum")

    def update(self, mean_loss: torch.Tensor, targets: torch.Tensor) -> None:
        count = (targets != IGNORE).sum()
        self.loss_sum += mean_loss.detach().double() * count
        self.count += count

    def compute(self) -> torch.Tensor:
        return torch.exp(self.loss_sum / self.count.clamp_min(1)).float()
