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
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torchmetrics import MeanAbsoluteError, MeanSquaredError, MetricCollection

from zoo.data.inputs import model_inputs
from zoo.models import resolve_net_class
from zoo.tasks.base import Task, encode_sentence, in_batches
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

    def predict_raw(
        self, inputs: Any, datamodule: Any, options: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """The top classes of each row or image, a chunk at a time, or of one sentence (a model
        of token sequences)."""
        top_k = int(options.get("top_k") or 5)
        if hasattr(datamodule, "encode"):
            tokens, lengths = encode_sentence(datamodule, inputs)
            with torch.no_grad():
                (result,) = top_classes(self.predict_proba(tokens, lengths), datamodule.class_names, top_k)
            yield [{**result, "input": inputs}]
            return
        batch_size = int(options.get("batch_size") or 256)
        for x, names in model_inputs(datamodule, inputs):
            probabilities = in_batches(self.predict_proba, x, batch_size, self.device)
            predictions = top_classes(probabilities, datamodule.class_names, top_k)
            for prediction, name in zip(predictions, names, strict=True):
                prediction["input"] = name
            yield predictions

    def onnx_example(self, datamodule: Any) -> torch.Tensor | None:
        return feature_or_image_example(datamodule)

    def evaluation_plots(self, datamodule: Any, folder: Path) -> list[tuple[str, Path]]:
        """The confusion matrix on the validation split; for 2-D points also the decision
        boundary with the first hidden layer's lines."""
        from zoo.viz.evaluation import confusion_matrix

        matrix = confusion_counts(self, datamodule, CONFUSION_EXAMPLES, self.input_converter())
        names = list(getattr(datamodule, "class_names", None) or range(len(matrix)))
        path = confusion_matrix(matrix.numpy(), [str(n) for n in names], folder / "confusion_matrix.png",
                                title="validation")  # fmt: skip
        plots = [("plots/confusion_matrix", path)]
        boundary = decision_boundary_plot(self, datamodule, folder / "decision_boundary.png")
        return plots + ([("plots/decision_boundary", boundary)] if boundary else [])


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

    def predict_raw(
        self, inputs: Any, datamodule: Any, options: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """The predicted values of each row or image, in the target's own units."""
        batch_size = int(options.get("batch_size") or 256)
        for x, names in model_inputs(datamodule, inputs):
            values = datamodule.target_values(in_batches(self.predict_values, x, batch_size, self.device))
            yield [
                {"input": name, "value": [float(v) for v in row]}
                for name, row in zip(names, values, strict=True)
            ]

    def onnx_example(self, datamodule: Any) -> torch.Tensor | None:
        return feature_or_image_example(datamodule)


def feature_or_image_example(datamodule: Any) -> torch.Tensor | None:
    """Three random inputs of a net that reads feature rows or images (None for token sequences)."""
    shape = getattr(datamodule, "image_shape", None) or [getattr(datamodule, "num_features", None)]
    return None if None in shape else torch.randn(3, *shape)


def top_classes(
    probabilities: torch.Tensor, class_names: list[str] | None, top_k: int
) -> list[dict[str, Any]]:
    """Per row: the most probable class, its probability and the `top_k` classes."""
    k = min(top_k, probabilities.shape[1])
    top_p, top_index = probabilities.topk(k, dim=1)
    names = class_names or [str(c) for c in range(probabilities.shape[1])]
    rows = zip(top_p.float().tolist(), top_index.tolist(), strict=True)  # Python numbers at once
    return [
        {
            "input": i,
            "class": names[index[0]],
            "probability": p[0],
            "top": [(names[c], q) for c, q in zip(index, p, strict=True)],
        }
        for i, (p, index) in enumerate(rows)
    ]


CONFUSION_EXAMPLES = 20_000  # of the validation split, for the confusion matrix


def confusion_counts(
    task: Classifier, datamodule: Any, max_examples: int = CONFUSION_EXAMPLES, convert: Any = None
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


def decision_boundary_plot(task: Classifier, datamodule: Any, path: Path) -> Path | None:
    """For a classifier of 2-D points: its probabilities over the plane, the training points and
    the first hidden layer's lines (when it has at most 64 units); None for other inputs."""
    from torch.utils.data import TensorDataset

    from zoo.viz.evaluation import decision_boundary

    train = datamodule.datasets.get("train") if hasattr(datamodule, "datasets") else None
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
