"""Backpropagation for the MLP, written out (autograd is the fast path; tests check agreement).

Forward: x^(0) = x; s^(l) = W^(l) x^(l-1) + b^(l); x^(l) = θ(s^(l)) for hidden layers, and the
output layer's signal s^(L) is returned as is (the loss applies its link).
Backward, for a batch: δ^(L) = ∂e/∂s^(L) (for the mean cross-entropy after a softmax:
(softmax(s^(L)) - one_hot(y)) / N; for the course's binary cost, the mean cross-entropy
-[y ln σ(s) + (1 - y) ln(1 - σ(s))] of one sigmoid output: (σ(s^(L)) - y) / N, since
σ'(s) = σ(s)(1 - σ(s)) cancels the cost's denominators; for the mean squared error:
2 (s^(L) - y) / N), then
δ^(l) = θ'(s^(l)) ⊙ (W^(l+1))ᵀ δ^(l+1), and ∂e/∂w_ij^(l) = x_i^(l-1) δ_j^(l) summed over the batch.
"""

from __future__ import annotations

import torch
from torch import nn

from zoo.models.feedforward import MLP

DERIVATIVES = {
    "tanh": lambda s: 1 - torch.tanh(s) ** 2,
    "sigmoid": lambda s: torch.sigmoid(s) * (1 - torch.sigmoid(s)),
    "relu": lambda s: (s > 0).to(s.dtype),
    "identity": lambda s: torch.ones_like(s),
}
ACTIVATIONS = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda s: s}


def linear_layers(net: MLP) -> list[nn.Linear]:
    layers = [m for m in net.layers if isinstance(m, nn.Linear)]
    if len(layers) != sum(1 for m in net.modules() if isinstance(m, nn.Linear)) or any(
        isinstance(m, nn.BatchNorm1d | nn.Dropout) for m in net.modules()
    ):
        raise ValueError("written-out backprop covers MLPs without batch norm or dropout")
    return layers


def forward(net: MLP, x: torch.Tensor, activation: str) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """(x^(0..L-1), s^(1..L)): every layer's input and signal, kept for the backward pass."""
    xs, ss = [x.flatten(1)], []
    layers = linear_layers(net)
    for index, layer in enumerate(layers):
        s = xs[-1] @ layer.weight.T + layer.bias
        ss.append(s)
        if index < len(layers) - 1:
            xs.append(ACTIVATIONS[activation](s))
    return xs, ss


def output_delta(s_out: torch.Tensor, target: torch.Tensor, loss: str) -> torch.Tensor:
    """δ^(L) = ∂e/∂s^(L) for the mean loss over the batch."""
    n = s_out.shape[0]
    if loss == "cross_entropy":
        one_hot = torch.nn.functional.one_hot(target, s_out.shape[1]).to(s_out.dtype)
        return (torch.softmax(s_out, dim=1) - one_hot) / n
    if loss == "binary_cross_entropy":  # one sigmoid output, y in {0, 1}
        return (torch.sigmoid(s_out) - target.reshape(s_out.shape).to(s_out.dtype)) / n
    if loss == "mse":
        return 2 * (s_out - target.reshape(s_out.shape)) / s_out.numel()
    raise ValueError(f"loss must be cross_entropy, binary_cross_entropy or mse, got {loss!r}")


def backward(
    net: MLP, xs: list[torch.Tensor], ss: list[torch.Tensor], delta: torch.Tensor, activation: str
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """[(∂e/∂W^(l), ∂e/∂b^(l)) for l = 1..L] from δ^(L)."""
    layers = linear_layers(net)
    grads = []
    for index in range(len(layers) - 1, -1, -1):
        grads.append((delta.T @ xs[index], delta.sum(dim=0)))  # x_i^(l-1) δ_j^(l), summed over the batch
        if index > 0:
            delta = DERIVATIVES[activation](ss[index - 1]) * (delta @ layers[index].weight)
    return grads[::-1]


def gradients(
    net: MLP, x: torch.Tensor, target: torch.Tensor, activation: str, loss: str = "cross_entropy"
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    with torch.no_grad():
        xs, ss = forward(net, x, activation)
        return backward(net, xs, ss, output_delta(ss[-1], target, loss), activation)


def gradient_descent(
    net: MLP,
    x: torch.Tensor,
    target: torch.Tensor,
    activation: str,
    lr: float,
    epochs: int,
    batch_size: int | None = None,
    loss: str = "cross_entropy",
    seed: int = 0,
) -> list[float]:
    """Train with the written-out gradients: batch_size=1 is per-example SGD, None (all N) full-batch
    gradient descent, anything between mini-batch SGD. Returns the full-data loss after each epoch."""
    generator = torch.Generator().manual_seed(seed)
    n = x.shape[0]
    size = batch_size or n
    history = []
    for _ in range(epochs):
        order = torch.randperm(n, generator=generator) if size < n else torch.arange(n)
        for start in range(0, n, size):
            index = order[start : start + size]
            with torch.no_grad():
                for layer, (dw, db) in zip(
                    linear_layers(net), gradients(net, x[index], target[index], activation, loss), strict=True
                ):
                    layer.weight -= lr * dw
                    layer.bias -= lr * db
        with torch.no_grad():
            history.append(loss_value(forward(net, x, activation)[1][-1], target, loss).item())
    return history


def loss_value(s_out: torch.Tensor, target: torch.Tensor, loss: str) -> torch.Tensor:
    """The mean loss whose δ^(L) output_delta gives."""
    functional = torch.nn.functional
    if loss == "cross_entropy":
        return functional.cross_entropy(s_out, target)
    if loss == "binary_cross_entropy":
        return functional.binary_cross_entropy_with_logits(s_out, target.reshape(s_out.shape).to(s_out.dtype))
    return functional.mse_loss(s_out, target.reshape(s_out.shape))
