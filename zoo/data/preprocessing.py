"""A trained model's preprocessing and output units as torch modules, so that raw inputs go in and
answers come out of one module (`zoo.load(...).model`) and of its ONNX export.

The data modules hold the statistics (zoo.data.arrays, zoo.data.images); these modules do with
tensors what those do with arrays, and tests check the two agree on raw inputs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


class Standardize(nn.Module):
    """Feature rows (N, F) → (x - mean) / std, with the training split's statistics."""

    def __init__(self, mean: list[float] | None, std: list[float] | None):
        super().__init__()
        self.register_buffer("mean", torch.tensor(mean if mean is not None else [0.0]))
        self.register_buffer("std", torch.tensor(std if std is not None else [1.0]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.reshape(x.shape[0], -1) - self.mean) / self.std


class Pixels(nn.Module):
    """Pixel values 0..255 - images (N, C, H, W), or rows of C·H·W - → the net's input: rounded and
    clipped to 8-bit values as an image file's are, scaled to 0..1, standardised per channel."""

    def __init__(self, image_shape: list[int], mean: list[float], std: list[float]):
        super().__init__()
        self.image_shape = tuple(image_shape)
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, *self.image_shape).clamp(0, 255).round()
        return (x / 255 - self.mean) / self.std


class Rescale(nn.Module):
    """Standardised regression outputs → the target's own units."""

    def __init__(self, mean: float, std: float):
        super().__init__()
        self.mean, self.std = mean, std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.std + self.mean


class EndToEnd(nn.Module):
    """Raw input → prepare → net → answer (probabilities, or values in the target's units)."""

    def __init__(self, prepare: nn.Module, model: nn.Module, answer: Callable[[torch.Tensor], torch.Tensor]):
        super().__init__()
        self.prepare, self.model, self.answer = prepare, model, answer

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.answer(self.model(self.prepare(x)))
