"""Penalties added to the training loss, applied to weights only (never biases or norm parameters).

- L2 (weight decay as a penalty): Ω = (λ/N) · Σ w², N the number of training examples.
- Soft weight elimination: Ω = λ · Σ w²/(β² + w²), ≈ λw²/β² for |w| ≪ β (like L2) and → λ for
  |w| ≫ β (a constant: large weights are not pushed further), so small weights are driven to zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch import nn

from zoo.errors import ZooError


def penalised_weights(module: nn.Module) -> Iterator[torch.Tensor]:
    """Weight matrices and kernels (ndim ≥ 2); biases and normalisation γ, β are 1-D and skipped."""
    return (p for p in module.parameters() if p.ndim >= 2 and p.requires_grad)


class L2Penalty:
    def __init__(self, lam: float):
        self.lam = lam

    def __call__(self, module: nn.Module, num_examples: int) -> torch.Tensor:
        return self.lam / num_examples * sum(w.pow(2).sum() for w in penalised_weights(module))


class WeightElimination:
    def __init__(self, lam: float, beta: float = 1.0):
        self.lam, self.beta = lam, beta

    def __call__(self, module: nn.Module, num_examples: int) -> torch.Tensor:
        beta2 = self.beta**2
        return self.lam * sum((w.pow(2) / (beta2 + w.pow(2))).sum() for w in penalised_weights(module))


REGULARIZERS = {"l2": L2Penalty, "weight_elimination": WeightElimination}


def build_regularizer(config: dict[str, Any] | None) -> L2Penalty | WeightElimination | None:
    """From {"name": "l2", "lam": 0.01} (or an empty config for none)."""
    if not config:
        return None
    kwargs = dict(config)
    name = kwargs.pop("name", None)
    if name not in REGULARIZERS:
        raise ZooError(f"unknown regularizer {name!r}; choose one of {', '.join(REGULARIZERS)}")
    if kwargs.get("lam", 0) < 0:
        raise ZooError(f"regularizer.lam must be >= 0, got {kwargs['lam']}")
    try:
        return REGULARIZERS[name](**kwargs)
    except TypeError as error:
        raise ZooError(f"regularizer {name}: {error}") from None
