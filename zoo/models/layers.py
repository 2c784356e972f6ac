"""Batch normalisation and dropout written out from their definitions (torch's nn.BatchNorm1d and
nn.Dropout are the fast path; tests check that the two agree in train and eval modes).

Batch norm, per feature: in training, ŝ = (s - μ_B) / √(σ²_B + ε) with the batch's mean μ_B and
(biased) variance σ²_B, then y = γ ŝ + β with learnable γ, β; running estimates of the mean and
(unbiased) variance are kept with `momentum` and used instead in evaluation.

Dropout: in training each unit is kept with probability 1 - p and scaled by 1/(1 - p), so the
expected activation is unchanged; in evaluation it is the identity.
"""

from __future__ import annotations

import torch
from torch import nn


class WrittenBatchNorm1d(nn.Module):
    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__()
        self.eps, self.momentum = eps, momentum
        self.weight = nn.Parameter(torch.ones(num_features))  # γ
        self.bias = nn.Parameter(torch.zeros(num_features))  # β
        self.register_buffer("running_mean", torch.zeros(num_features))
        self.register_buffer("running_var", torch.ones(num_features))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, s: torch.Tensor) -> torch.Tensor:
        if self.training:
            mean = s.mean(dim=0)
            var = s.var(dim=0, unbiased=False)
            with torch.no_grad():
                n = s.shape[0]
                self.running_mean.mul_(1 - self.momentum).add_(self.momentum * mean)
                self.running_var.mul_(1 - self.momentum).add_(self.momentum * var * n / (n - 1))
                self.num_batches_tracked += 1
        else:
            mean, var = self.running_mean, self.running_var
        return self.weight * (s - mean) / torch.sqrt(var + self.eps) + self.bias


class WrittenDropout(nn.Module):
    def __init__(self, p: float = 0.5):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return x
        keep = torch.empty_like(x).bernoulli_(1 - self.p)
        return x * keep / (1 - self.p)
