"""Gradient checking: compare autograd's gradient with central differences
(E(w + ε e_j) - E(w - ε e_j)) / 2ε on a random sample of parameter coordinates (in float64).

The error reported is |g - ĝ| / max(|g|, |ĝ|, floor): the difference quotient is only accurate to
about 1e-16·|E|/ε ≈ 1e-11 in float64, so gradients smaller than `floor` (1e-4) are compared in
absolute terms rather than relative to their own tiny size."""

from __future__ import annotations

from collections.abc import Callable

import torch


def gradient_check(
    loss: Callable[[], torch.Tensor],
    parameters: list[torch.Tensor],
    num_samples: int = 30,
    eps: float = 1e-4,
    seed: int = 0,
    floor: float = 1e-4,
    gradient: Callable[[], list[torch.Tensor]] | None = None,
) -> dict[str, float]:
    """The worst error |g - ĝ| / max(|g|, |ĝ|, floor) over sampled coordinates, where g is
    `gradient()` (default: autograd of `loss()`) and ĝ the central difference."""
    if gradient is None:

        def gradient() -> list[torch.Tensor]:
            return list(torch.autograd.grad(loss(), parameters, allow_unused=True))

    analytic = [
        g if g is not None else torch.zeros_like(p) for g, p in zip(gradient(), parameters, strict=True)
    ]
    generator = torch.Generator().manual_seed(seed)
    sizes = torch.tensor([p.numel() for p in parameters], dtype=torch.float64)
    worst, checked = 0.0, 0
    for _ in range(num_samples):
        which = int(torch.multinomial(sizes, 1, generator=generator))
        parameter = parameters[which]
        j = int(torch.randint(parameter.numel(), (1,), generator=generator))
        flat = parameter.data.view(-1)
        original = flat[j].item()
        with torch.no_grad():
            flat[j] = original + eps
            plus = loss().item()
            flat[j] = original - eps
            minus = loss().item()
            flat[j] = original
        numeric = (plus - minus) / (2 * eps)
        value = analytic[which].reshape(-1)[j].item()
        worst = max(worst, abs(value - numeric) / max(abs(value), abs(numeric), floor))
        checked += 1
    return {"worst_relative_error": worst, "checked": checked}
