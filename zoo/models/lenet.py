"""LeNet-5 (LeCun et al., 1998): local receptive fields, shared weights, sub-sampling.

    x (C×32×32) → conv 5×5, 6 maps → pool 2 → conv 5×5, 16 maps → pool 2 → 16·5·5 → 120 → 84 → classes

Each feature map applies one 5×5 kernel (shared weights) at every position (local connectivity);
pooling halves the resolution so later layers see larger regions. A 28×28 input (MNIST) is padded
by 2 in the first convolution, which gives the same 5×5 maps as a 32×32 input.
"""

from __future__ import annotations

import torch
from torch import nn

from zoo.models.activations import activation as make_activation

POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


class LeNet5(nn.Module):
    def __init__(
        self,
        num_classes: int = 10,
        in_channels: int = 1,
        image_size: int = 32,
        pool: str = "max",
        activation: str = "tanh",
    ):
        super().__init__()
        if pool not in POOLS:
            raise ValueError(f"pool must be one of {', '.join(POOLS)}, got {pool!r}")
        padding = max(0, (32 - image_size) // 2)
        side = ((image_size + 2 * padding - 4) // 2 - 4) // 2  # after conv5, pool2, conv5, pool2
        if side < 1:
            raise ValueError(f"LeNet-5 needs images of at least 12×12 pixels, got {image_size}")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, kernel_size=5, padding=padding),  # C1
            make_activation(activation),
            POOLS[pool](2),  # S2
            nn.Conv2d(6, 16, kernel_size=5),  # C3
            make_activation(activation),
            POOLS[pool](2),  # S4
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * side * side, 120),  # C5
            make_activation(activation),
            nn.Linear(120, 84),  # F6
            make_activation(activation),
            nn.Linear(84, num_classes),  # output signals s^(L)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
