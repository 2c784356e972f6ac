"""The feedforward family: a single perceptron and the multi-layer perceptron.

Notation of the course: layer l computes the signal s^(l) = W^(l)ᵀ x^(l-1) + b^(l) and the output
x^(l) = θ(s^(l)); x^(0) is the input and the last layer's signal s^(L) is returned unsquashed
(the task's loss applies the output link: softmax, sigmoid, or nothing for regression).
"""

from __future__ import annotations

import torch
from torch import nn

from zoo.models.activations import activation as make_activation


def init_random(linear: nn.Linear, gain: float = 1.0) -> None:
    """Small random weights, never zeros (all-zero weights keep every hidden unit identical)."""
    nn.init.xavier_uniform_(linear.weight, gain=gain)
    nn.init.uniform_(linear.bias, -0.01, 0.01)


class Perceptron(nn.Module):
    """One unit (or `out_features` independent units): x ↦ θ(wᵀx + b).

    `activation` is θ: `sign` is Rosenblatt's threshold unit; `identity` returns the signal s,
    which is what a classifier's loss needs (it applies its own sigmoid/softmax link).
    """

    def __init__(self, in_features: int, out_features: int = 1, activation: str = "identity"):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)  # w = linear.weight, b = linear.bias (w0)
        self.theta = make_activation(activation)
        init_random(self.linear)

    def signal(self, x: torch.Tensor) -> torch.Tensor:
        """s = wᵀx + b."""
        return self.linear(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.theta(self.signal(x))


class MLP(nn.Module):
    """x^(0) → [Linear → (BatchNorm) → θ → (Dropout)] × len(hidden) → Linear → s^(L).

    `hidden` lists the width of each hidden layer (empty: a linear model); `batch_norm` normalises
    each hidden signal s^(l) before θ; `dropout` zeroes hidden outputs x^(l) with that probability.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        hidden: list[int] | tuple[int, ...] = (64,),
        activation: str = "relu",
        dropout: float = 0.0,
        batch_norm: bool = False,
    ):
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        widths = [in_features, *hidden]
        layers: list[nn.Module] = []
        for fan_in, fan_out in zip(widths[:-1], widths[1:], strict=True):
            linear = nn.Linear(fan_in, fan_out)
            init_random(linear, gain=nn.init.calculate_gain("relu") if activation == "relu" else 1.0)
            layers.append(linear)
            if batch_norm:
                layers.append(nn.BatchNorm1d(fan_out))
            layers.append(make_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        head = nn.Linear(widths[-1], out_features)
        init_random(head)
        layers.append(head)
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x.flatten(1))
