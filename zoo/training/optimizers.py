"""The course's update rules as torch.optim.Optimizer subclasses (torch.optim is the fast path;
tests check the trajectories agree). Select them with optimizer=course_sgd, course_adam, ...

- SGD with momentum, the course's form: v_t = β v_{t-1} + η ∇E, θ ← θ - v_t (torch keeps
  b_t = β b_{t-1} + ∇E and steps η b_t: the same trajectory while η is constant).
- Adam: m_t = β1 m + (1-β1) g, v_t = β2 v + (1-β2) g², m̂ = m_t/(1-β1^t), v̂ = v_t/(1-β2^t),
  θ ← θ - η m̂ / (√v̂ + ε) as torch does, or θ ← θ - η m̂ / √(v̂ + ε) with `eps_inside_sqrt`
  (the course's formula; it differs from torch's where v̂ is comparable to ε).
- RMSprop: v_t = α v + (1-α) g², θ ← θ - η g / (√v_t + ε).
weight_decay adds λθ to the gradient (L2), as torch's non-decoupled optimizers do.
"""

from __future__ import annotations

import torch
from torch.optim import Optimizer


class CourseSGD(Optimizer):
    def __init__(self, params, lr: float = 0.01, momentum: float = 0.0, weight_decay: float = 0.0):
        super().__init__(params, {"lr": lr, "momentum": momentum, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = torch.enable_grad()(closure)() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                if group["momentum"]:
                    v = self.state[p].setdefault("velocity", torch.zeros_like(p))
                    v.mul_(group["momentum"]).add_(group["lr"] * g)  # v_t = β v_{t-1} + η ∇E
                    p.sub_(v)
                else:
                    p.sub_(group["lr"] * g)
        return loss


class CourseAdam(Optimizer):
    def __init__(
        self,
        params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        eps_inside_sqrt: bool = False,
    ):
        super().__init__(
            params,
            {
                "lr": lr,
                "betas": tuple(betas),
                "eps": eps,
                "weight_decay": weight_decay,
                "eps_inside_sqrt": eps_inside_sqrt,
            },
        )

    @torch.no_grad()
    def step(self, closure=None):
        loss = torch.enable_grad()(closure)() if closure is not None else None
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                state = self.state[p]
                if not state:
                    state.update(t=0, m=torch.zeros_like(p), v=torch.zeros_like(p))
                state["t"] += 1
                state["m"].mul_(beta1).add_((1 - beta1) * g)
                state["v"].mul_(beta2).add_((1 - beta2) * g * g)
                m_hat = state["m"] / (1 - beta1 ** state["t"])
                v_hat = state["v"] / (1 - beta2 ** state["t"])
                denominator = (
                    (v_hat + group["eps"]).sqrt() if group["eps_inside_sqrt"] else v_hat.sqrt() + group["eps"]
                )
                p.sub_(group["lr"] * m_hat / denominator)
        return loss


class CourseRMSprop(Optimizer):
    def __init__(
        self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8, weight_decay: float = 0.0
    ):
        super().__init__(params, {"lr": lr, "alpha": alpha, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):
        loss = torch.enable_grad()(closure)() if closure is not None else None
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                g = p.grad + group["weight_decay"] * p
                v = self.state[p].setdefault("square_avg", torch.zeros_like(p))
                v.mul_(group["alpha"]).add_((1 - group["alpha"]) * g * g)
                p.sub_(group["lr"] * g / (v.sqrt() + group["eps"]))
        return loss
