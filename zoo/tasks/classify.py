"""Classification and regression tasks.

Classifier output forms (`output`):
- "softmax": C outputs, p(y=c|x) = softmax(s)_c, loss = cross-entropy.
- "sigmoid": binary (C = 2) with one output, p(y=1|x) = σ(s), loss = binary cross-entropy.
- "one_vs_all": C outputs, each a sigmoid deciding "class c or not"; loss = Σ_c BCE(σ(s_c), [y=c]);
  the prediction is argmax_c σ(s_c) and the reported probabilities are the σ(s_c) normalised.
The task fills in the net's output size (1 or C), so a model config never repeats it.
"""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection

from zoo.models import resolve_net_class
from zoo.tasks.base import Task
from zoo.tasks.metrics import Accuracy

OUTPUTS = ("softmax", "sigmoid", "one_vs_all")
OUTPUT_SIZE_ARGS = ("out_features", "num_classes")


def with_output_size(net: dict[str, Any], size: int) -> dict[str, Any]:
    """The net spec with its output-size argument (out_features or num_classes) set to `size`."""
    parameters = inspect.signature(resolve_net_class(net["_target_"])).parameters
    name = next((arg for arg in OUTPUT_SIZE_ARGS if arg in parameters), None)
    if name is None:
        raise ValueError(f"{net['_target_']} takes none of {OUTPUT_SIZE_ARGS}")
    return {**net, name: size}


class Classifier(Task):
    monitor: ClassVar[str] = "val/acc"
    monitor_mode: ClassVar[str] = "max"

    def __init__(
        self,
        net: dict[str, Any],
        num_classes: int,
        output: str = "softmax",
        label_smoothing: float = 0.0,
        optimizer: dict[str, Any] | None = None,
        scheduler: dict[str, Any] | None = None,
        regularizer: dict[str, Any] | None = None,
        compile: bool = False,
        channels_last: bool = False,
    ):
        super().__init__()
        self.save_hyperparameters()
        if output not in OUTPUTS:
            raise ValueError(f"model.output must be one of {', '.join(OUTPUTS)}, got {output!r}")
        if output == "sigmoid" and num_classes != 2:
            raise ValueError(f"model.output=sigmoid is for 2 classes; this data has {num_classes}")
        self.output = output
        self.num_classes = num_classes
        self.setup_task(
            with_output_size(net, 1 if output == "sigmoid" else num_classes), compile, channels_last
        )

    def make_metrics(self) -> MetricCollection:
        return MetricCollection({"acc": Accuracy()})

    def probabilities(self, scores: torch.Tensor) -> torch.Tensor:
        """(B, C) class probabilities from the net's output signals s."""
        if self.output == "softmax":
            return scores.softmax(dim=-1)
        if self.output == "sigmoid":
            p1 = torch.sigmoid(scores[:, 0])
            return torch.stack([1 - p1, p1], dim=-1)
        votes = torch.sigmoid(scores)
        return votes / votes.sum(dim=-1, keepdim=True)

    def loss(self, scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.output == "softmax":
            return F.cross_entropy(scores, target, label_smoothing=self.hparams.label_smoothing)
        if self.output == "sigmoid":
            return F.binary_cross_entropy_with_logits(scores[:, 0], target.to(scores.dtype))
        one_hot = F.one_hot(target, self.num_classes).to(scores.dtype)
        return F.binary_cross_entropy_with_logits(scores, one_hot, reduction="sum") / target.shape[0]

    def loss_and_outputs(
        self, batch: Any, stage: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        *inputs, y = batch  # (x, y), or (tokens, lengths, y) for a sequence classifier
        scores = self(*inputs)
        # The metrics take the most likely class: for softmax outputs the largest score already is
        # (softmax keeps the order), so the probabilities are not computed at every step.
        predictions = scores.detach() if self.output == "softmax" else self.probabilities(scores.detach())
        return self.loss(scores, y), predictions, y

    @torch.no_grad()
    def predict_proba(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.probabilities(self(*inputs))


class Regressor(Task):
    """Linear output and squared error: loss = mean (ŷ - y)²."""

    monitor: ClassVar[str] = "val/loss"
    monitor_mode: ClassVar[str] = "min"

    def __init__(
        self,
        net: dict[str, Any],
        num_targets: int = 1,
        optimizer: dict[str, Any] | None = None,
        scheduler: dict[str, Any] | None = None,
        regularizer: dict[str, Any] | None = None,
        compile: bool = False,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.num_targets = num_targets
        self.setup_task(with_output_size(net, num_targets), compile)

    def make_metrics(self) -> MetricCollection:
        return MetricCollection({"mse": MeanSquaredError(), "mae": MeanAbsoluteError()})

    def loss_and_outputs(
        self, batch: Any, stage: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, y = batch
        prediction = self(x).reshape(y.shape)
        return F.mse_loss(prediction, y), prediction.detach(), y

    @torch.no_grad()
    def predict_values(self, x: torch.Tensor) -> torch.Tensor:
        return self(x)
