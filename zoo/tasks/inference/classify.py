"""A trained classifier or regressor's answers: the top classes with their probabilities, or values
in the target's units, for feature rows, images or (a sequence classifier) a sentence.

Classifier output forms (`output`):
- "softmax": C outputs, p(y=c|x) = softmax(s)_c.
- "sigmoid": binary (C = 2) with one output, p(y=1|x) = σ(s).
- "one_vs_all": C outputs, each a sigmoid deciding "class c or not"; the prediction is
  argmax_c σ(s_c) and the reported probabilities are the σ(s_c) normalised.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from zoo.data.base import FeatureRows, ImageFiles, Sentences
from zoo.data.inputs import model_inputs
from zoo.data.preprocessing import EndToEnd
from zoo.errors import ZooError
from zoo.tasks.inference.base import Inference, encode_sentence, in_batches, token_inputs, with_output_size

if TYPE_CHECKING:
    from zoo.data.base import DataModule

OUTPUTS = ("softmax", "sigmoid", "one_vs_all")


class ClassifierInference(Inference):
    table_columns = ("input", "class", "probability", "top classes")

    def __init__(
        self,
        net: dict[str, Any],
        num_classes: int,
        output: str = "softmax",
        compile: bool = False,
        channels_last: bool = False,
        **training: Any,
    ):
        super().__init__()
        if output not in OUTPUTS:
            raise ValueError(f"model.output must be one of {', '.join(OUTPUTS)}, got {output!r}")
        if output == "sigmoid" and num_classes != 2:
            raise ValueError(f"model.output=sigmoid is for 2 classes; this data has {num_classes}")
        self.output = output
        self.num_classes = num_classes
        size = 1 if output == "sigmoid" else num_classes
        self.build_net(with_output_size(net, size), compile, channels_last)

    def probabilities(self, scores: torch.Tensor) -> torch.Tensor:
        """(B, C) class probabilities from the net's output signals s."""
        if self.output == "softmax":
            return scores.softmax(dim=-1)
        if self.output == "sigmoid":
            p1 = torch.sigmoid(scores[:, 0])
            return torch.stack([1 - p1, p1], dim=-1)
        votes = torch.sigmoid(scores)
        return votes / votes.sum(dim=-1, keepdim=True)

    @torch.no_grad()
    def predict_proba(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.probabilities(self(*inputs))

    def table_row(self, result: dict[str, Any]) -> list[Any]:
        top = ", ".join(f"{name} {q:.3f}" for name, q in result["top"])
        return [result["input"], result["class"], result["probability"], top]

    def csv_columns(self, first: dict[str, Any]) -> tuple[str, ...]:
        """input, class, probability, then class_k, probability_k for each further top class."""
        more = [(f"class_{k}", f"probability_{k}") for k in range(2, len(first["top"]) + 1)]
        return ("input", "class", "probability", *(name for pair in more for name in pair))

    def csv_row(self, result: dict[str, Any]) -> list[Any]:
        more = [cell for name, probability in result["top"][1:] for cell in (name, probability)]
        return [result["input"], result["class"], result["probability"], *more]

    def predict_raw(
        self, inputs: Any, datamodule: DataModule, options: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """The top classes of each row or image, a chunk at a time, or of one sentence (a model
        of token sequences)."""
        top_k = int(options.get("top_k") or 5)
        if isinstance(datamodule, Sentences):
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

    def onnx_inputs(self, datamodule: DataModule) -> dict[str, torch.Tensor] | None:
        if isinstance(datamodule, Sentences):
            return token_inputs(self.net, "tokens", "lengths")
        example = feature_or_image_example(datamodule)
        return {"input": example} if example is not None else None

    def end_to_end(self, datamodule: DataModule) -> nn.Module:
        """Raw rows or pixel values → class probabilities."""
        if not isinstance(datamodule, (FeatureRows, ImageFiles)) or isinstance(datamodule, Sentences):
            return self
        return EndToEnd(datamodule.raw_input_module(), self, self.probabilities).eval()


class RegressorInference(Inference):
    table_columns = ("input", "prediction")

    def __init__(self, net: dict[str, Any], num_targets: int = 1, compile: bool = False, **training: Any):
        super().__init__()
        self.num_targets = num_targets
        self.build_net(with_output_size(net, num_targets), compile)

    @torch.no_grad()
    def predict_values(self, x: torch.Tensor) -> torch.Tensor:
        return self(x)

    def table_row(self, result: dict[str, Any]) -> list[Any]:
        return [result["input"], *result["value"]]

    def predict_raw(
        self, inputs: Any, datamodule: DataModule, options: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """The predicted values of each row or image, in the target's own units."""
        batch_size = int(options.get("batch_size") or 256)
        for x, names in model_inputs(datamodule, inputs):
            values = datamodule.target_values(in_batches(self.predict_values, x, batch_size, self.device))
            if not np.isfinite(values).all():
                raise ZooError(
                    "the model's outputs are not finite for some input rows (far outside the training data?)"
                )
            yield [
                {"input": name, "value": [float(v) for v in row]}
                for name, row in zip(names, values, strict=True)
            ]

    def onnx_inputs(self, datamodule: DataModule) -> dict[str, torch.Tensor] | None:
        example = feature_or_image_example(datamodule)
        return {"input": example} if example is not None else None

    def end_to_end(self, datamodule: DataModule) -> nn.Module:
        """Raw rows → values in the target's own units."""
        return EndToEnd(datamodule.raw_input_module(), self, datamodule.raw_output_module()).eval()


def feature_or_image_example(datamodule: DataModule) -> torch.Tensor | None:
    """Three random raw inputs of a model that reads feature rows (standard normal, on the training
    data's scale) or images (pixel values 0..255); None for token sequences."""
    generator = torch.Generator().manual_seed(0)
    if isinstance(datamodule, ImageFiles) and datamodule.image_shape:
        return torch.randint(0, 256, (3, *datamodule.image_shape), generator=generator).float()
    if isinstance(datamodule, FeatureRows) and datamodule.num_features:
        mean = torch.tensor(datamodule.mean or [0.0]).float()
        std = torch.tensor(datamodule.std or [1.0]).float()
        return torch.randn(3, datamodule.num_features, generator=generator) * std + mean
    return None


def top_classes(
    probabilities: torch.Tensor, class_names: list[str] | None, top_k: int
) -> list[dict[str, Any]]:
    """Per row: the most probable class, its probability and the `top_k` classes. Outputs that
    are not finite (NaN, infinity: an input far outside the training data) are an error, never
    a row; so is a list of class names that does not name every output."""
    if not bool(torch.isfinite(probabilities).all()):
        rows = (~torch.isfinite(probabilities)).any(dim=1).nonzero().flatten().tolist()
        raise ZooError(f"the model's outputs are not finite for input row(s) {rows[:5]} (of this chunk)")
    if class_names and len(class_names) != probabilities.shape[1]:
        raise ZooError(
            f"the stored class names ({len(class_names)}) do not name the model's "
            f"{probabilities.shape[1]} outputs"
        )
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
