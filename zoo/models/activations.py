"""Activation functions θ by name, so that a config can choose them with a plain string."""

from __future__ import annotations

import torch
from torch import nn


class Sign(nn.Module):
    """θ(s) = sign(s) with sign(0) = +1: the course's hard-threshold unit (its gradient is zero)."""

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        return torch.where(s >= 0, 1.0, -1.0).to(s.dtype)


ACTIVATIONS: dict[str, type[nn.Module]] = {
    "identity": nn.Identity,
    "sign": Sign,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "softplus": nn.Softplus,
}


def activation(name: str) -> nn.Module:
    """Return a new activation module θ for `name` (one of ACTIVATIONS)."""
    try:
        return ACTIVATIONS[name]()
    except KeyError:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}") from None
