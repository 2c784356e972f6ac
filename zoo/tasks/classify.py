"""Classification and regression tasks: what training adds to zoo.tasks.inference.classify (which
also says the classifier's output forms).

Losses: "softmax": cross-entropy; "sigmoid": binary cross-entropy of σ(s); "one_vs_all":
Σ_c BCE(σ(s_c), [y=c]). Regression: squared error. The task fills in the net's output size (1 or
C), so a model config never repeats it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch
import torch.nn.functional as F
from torch.utils.data import TensorDataset
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection

from zoo.data.base import HasClasses, HasSplits
from zoo.tasks.base import Task
from zoo.tasks.inference.base import with_output_size
from zoo.tasks.inference.classify import ClassifierInference, RegressorInference
from zoo.tasks.metrics import Accuracy
from zoo.viz.evaluation import confusion_matrix, decision_boundary

if TYPE_CHECKING:
    from zoo.data.base import DataModule

__all__ = ["Classifier", "Regressor", "with_output_size", "confusion_counts"]


class Classifier(ClassifierInference, Task):
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
        super().__init__(net, num_classes, output, compile=compile, channels_last=channels_last)
        self.save_hyperparameters()
        self.setup_training()

    def make_metrics(self) -> MetricCollection:
        return MetricCollection({"acc": Accuracy()})

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

    def tokens_in(self, batch: Any) -> torch.Tensor | None:
        return batch[1].sum() if len(batch) == 3 else None  # (tokens, lengths, y): a sentence classifier

    def evaluation_plots(self, datamodule: DataModule, folder: Path) -> list[tuple[str, Path]]:
        """The confusion matrix on the validation split; for 2-D points also the decision
        boundary with the first hidden layer's lines."""

        matrix = confusion_counts(self, datamodule, CONFUSION_EXAMPLES, self.input_converter())
        names = list(
            (datamodule.class_names if isinstance(datamodule, HasClasses) else None) or range(len(matrix))
        )
        path = confusion_matrix(matrix.numpy(), [str(n) for n in names], folder / "confusion_matrix.png",
                                title="validation")  # fmt: skip
        plots = [("plots/confusion_matrix", path)]
        boundary = decision_boundary_plot(self, datamodule, folder / "decision_boundary.png")
        return plots + ([("plots/decision_boundary", boundary)] if boundary else [])


class Regressor(RegressorInference, Task):
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
        super().__init__(net, num_targets, compile=compile)
        self.save_hyperparameters()
        self.setup_training()

    def make_metrics(self) -> MetricCollection:
        return MetricCollection({"mse": MeanSquaredError(), "mae": MeanAbsoluteError()})

    def loss_and_outputs(
        self, batch: Any, stage: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, y = batch
        prediction = self(x).reshape(y.shape)
        return F.mse_loss(prediction, y), prediction.detach(), y


CONFUSION_EXAMPLES = 20_000  # of the validation split, for the confusion matrix


def confusion_counts(
    task: Classifier, datamodule: DataModule, max_examples: int = CONFUSION_EXAMPLES, convert: Any = None
) -> torch.Tensor:
    """counts[i, j]: validation examples of true class i the classifier puts in class j (the
    first `max_examples` or a little more: whole batches). `convert`: the trainer's input
    conversion (float64 batches under trainer.precision=64)."""
    classes = task.hparams.num_classes
    matrix = torch.zeros(classes, classes, dtype=torch.int64)
    seen = 0
    for batch in datamodule.val_dataloader():
        batch = task.transfer_batch_to_device(batch, task.device, 0)
        batch = datamodule.on_after_batch_transfer(batch, 0)
        batch = convert(batch) if convert is not None else batch
        _, predictions, target = task.loss_and_outputs(batch)  # scores or probabilities: same argmax
        pairs = target.cpu() * classes + predictions.argmax(-1).cpu()
        matrix += torch.bincount(pairs, minlength=classes * classes).view(classes, classes)
        seen += len(target)
        if seen >= max_examples:
            break
    return matrix


def decision_boundary_plot(task: Classifier, datamodule: DataModule, path: Path) -> Path | None:
    """For a classifier of 2-D points: its probabilities over the plane, the training points and
    the first hidden layer's lines (when it has at most 64 units); None for other inputs."""

    train = datamodule.datasets.get("train") if isinstance(datamodule, HasSplits) else None
    if not isinstance(train, TensorDataset) or train.tensors[0].ndim != 2 or train.tensors[0].shape[1] != 2:
        return None
    x, y = (t.cpu().numpy() for t in train.tensors[:2])

    def probability(grid: Any) -> Any:
        inputs = torch.as_tensor(grid, dtype=task.dtype, device=task.device)
        return task.predict_proba(inputs).float().cpu().numpy()

    linear = [m for m in task.net.modules() if isinstance(m, torch.nn.Linear)]
    lines = None
    if len(linear) > 1 and linear[0].in_features == 2 and linear[0].out_features <= 64:
        weight, bias = linear[0].weight.detach(), linear[0].bias
        bias = bias.detach() if bias is not None else torch.zeros(len(weight))
        lines = (weight.float().cpu().numpy(), bias.float().cpu().numpy())
    return decision_boundary(probability, x, y, path, lines, title="decision boundary (training points)")
