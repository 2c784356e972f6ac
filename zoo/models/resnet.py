"""Residual networks (He et al., 2016): a block learns the residual F(x) = H(x) - x and outputs
relu(F(x) + shortcut(x)), so an identity mapping is the easy default and gradients reach early
layers through the shortcuts. `residual=False` removes every shortcut: the "plain" network of
the same depth, to show why residuals matter.

- BasicBlock: two 3×3 convolutions (ResNet-18/34, CIFAR ResNets).
- Bottleneck: 1×1 reduce → 3×3 → 1×1 expand ×4 (ResNet-50 and deeper); stride on the 3×3 (v1.5,
  as torchvision).
- Shortcuts when the shape changes: "B" a 1×1 projection convolution with batch norm (ImageNet
  ResNets), "A" parameter-free: subsample and zero-pad the new channels (CIFAR ResNets).
- ResNet(depth 18/34/50/101/152): ImageNet stem (7×7 stride-2 convolution, max pool) or a CIFAR
  stem (one 3×3 convolution); CifarResNet(depth 6n+2, e.g. 20/32/56/110): 3 stages of 16/32/64.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv3x3(in_channels: int, out_channels: int, stride: int = 1) -> nn.Conv2d:
    return nn.Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False)


class PadShortcut(nn.Module):
    """Option A: x[:, :, ::2, ::2] with zero channels appended (no parameters)."""

    def __init__(self, extra_channels: int, stride: int):
        super().__init__()
        self.extra_channels, self.stride = extra_channels, stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))


def make_shortcut(in_channels: int, out_channels: int, stride: int, kind: str) -> nn.Module:
    if stride == 1 and in_channels == out_channels:
        return nn.Identity()
    if kind == "A":
        return PadShortcut(out_channels - in_channels, stride)
    if kind == "B":
        return nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False), nn.BatchNorm2d(out_channels)
        )
    raise ValueError(f"shortcut must be 'A' or 'B', got {kind!r}")


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(
        self, in_channels: int, width: int, stride: int = 1, shortcut: str = "B", residual: bool = True
    ):
        super().__init__()
        self.conv1 = conv3x3(in_channels, width, stride)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width)
        self.bn2 = nn.BatchNorm2d(width)
        self.shortcut = make_shortcut(in_channels, width, stride, shortcut) if residual else None

    def residual_branch(self, x: torch.Tensor) -> torch.Tensor:
        """F(x)."""
        return self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.residual_branch(x)
        if self.shortcut is not None:
            out = out + self.shortcut(x)  # H(x) = F(x) + x
        return F.relu(out)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(
        self, in_channels: int, width: int, stride: int = 1, shortcut: str = "B", residual: bool = True
    ):
        super().__init__()
        out_channels = width * self.expansion
        self.conv1 = nn.Conv2d(in_channels, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = conv3x3(width, width, stride)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.shortcut = make_shortcut(in_channels, out_channels, stride, shortcut) if residual else None

    def residual_branch(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        return self.bn3(self.conv3(out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.residual_branch(x)
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return F.relu(out)


BLOCKS = {"basic": BasicBlock, "bottleneck": Bottleneck}


class ResidualNetwork(nn.Module):
    """stem → stages of blocks (the first block of each later stage halves the resolution) →
    global average pool → linear classifier."""

    def __init__(
        self,
        block: str,
        layers: list[int],
        widths: list[int],
        num_classes: int,
        in_channels: int = 3,
        stem: str = "imagenet",
        shortcut: str = "B",
        residual: bool = True,
    ):
        super().__init__()
        if block not in BLOCKS:
            raise ValueError(f"block must be one of {', '.join(BLOCKS)}, got {block!r}")
        block_class = BLOCKS[block]
        self.stem = self.make_stem(stem, in_channels, widths[0])
        channels = widths[0]
        stages = []
        for index, (count, width) in enumerate(zip(layers, widths, strict=True)):
            blocks = []
            for position in range(count):
                stride = 2 if index > 0 and position == 0 else 1
                blocks.append(block_class(channels, width, stride, shortcut, residual))
                channels = width * block_class.expansion
            stages.append(nn.Sequential(*blocks))
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(channels, num_classes)
        self.reset_parameters()

    @staticmethod
    def make_stem(stem: str, in_channels: int, width: int) -> nn.Sequential:
        if stem == "imagenet":
            return nn.Sequential(
                nn.Conv2d(in_channels, width, 7, stride=2, padding=3, bias=False),
                nn.BatchNorm2d(width),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(3, stride=2, padding=1),
            )
        if stem == "cifar":
            return nn.Sequential(conv3x3(in_channels, width), nn.BatchNorm2d(width), nn.ReLU(inplace=True))
        raise ValueError(f"stem must be 'imagenet' or 'cifar', got {stem!r}")

    def reset_parameters(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(module, nn.BatchNorm2d):
                nn.init.ones_(module.weight)
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)  # (B, C₀, H', W'): H' = H (cifar stem) or H / 4 (imagenet stem)
        x = self.stages(x)  # (B, C_last, H' / 2^(stages - 1), W' / 2^(stages - 1))
        x = F.adaptive_avg_pool2d(x, 1)  # (B, C_last, 1, 1): global average pool
        x = torch.flatten(x, 1)  # (B, C_last)
        return self.fc(x)  # (B, classes)


IMAGENET_DEPTHS = {
    18: ("basic", [2, 2, 2, 2]),
    34: ("basic", [3, 4, 6, 3]),
    50: ("bottleneck", [3, 4, 6, 3]),
    101: ("bottleneck", [3, 4, 23, 3]),
    152: ("bottleneck", [3, 8, 36, 3]),
}


class ResNet(ResidualNetwork):
    """ResNet-18/34/50/101/152 (widths 64/128/256/512); `stem="cifar"` for 32×32 images."""

    def __init__(
        self,
        depth: int = 18,
        num_classes: int = 1000,
        in_channels: int = 3,
        stem: str = "imagenet",
        residual: bool = True,
    ):
        if depth not in IMAGENET_DEPTHS:
            raise ValueError(f"ResNet depth must be one of {sorted(IMAGENET_DEPTHS)}, got {depth}")
        block, layers = IMAGENET_DEPTHS[depth]
        super().__init__(block, layers, [64, 128, 256, 512], num_classes, in_channels, stem, "B", residual)


class CifarResNet(ResidualNetwork):
    """The CIFAR ResNets of He et al. §4.2: depth 6n+2, three stages of n basic blocks with
    16/32/64 channels, option-A shortcuts (ResNet-20: 0.27M parameters, ResNet-56: 0.85M)."""

    def __init__(
        self,
        depth: int = 20,
        num_classes: int = 10,
        in_channels: int = 3,
        residual: bool = True,
        shortcut: str = "A",
    ):
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2 (20, 32, 44, 56, 110), got {depth}")
        n = (depth - 2) // 6
        super().__init__(
            "basic", [n, n, n], [16, 32, 64], num_classes, in_channels, "cifar", shortcut, residual
        )
