"""Learning-rate schedules torch.optim.lr_scheduler does not have in one class.

WarmupCosine is GPT-3's and nanoGPT's: a linear warmup to the optimizer's lr over `warmup_steps`,
then a cosine from lr down to `min_lr` at `total_steps` (the run's optimizer steps, which the
trainer supplies), then `min_lr`. Step i (from 0) uses

    lr · (i + 1) / (warmup + 1)                                   i < warmup
    min_lr + ½ (1 + cos(π (i - warmup) / (total - warmup))) (lr - min_lr)   warmup ≤ i ≤ total
    min_lr                                                        i > total
"""

from __future__ import annotations

import math

import torch
from torch.optim.lr_scheduler import LRScheduler


class WarmupCosine(LRScheduler):
    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        warmup_steps: int,
        total_steps: int | None = None,
        min_lr: float = 0.0,
        last_epoch: int = -1,
    ):
        if total_steps is None or total_steps <= 0:
            raise ValueError("WarmupCosine needs total_steps (the trainer supplies the run's steps)")
        if not 0 <= warmup_steps <= total_steps:
            raise ValueError(
                f"warmup_steps must be from 0 to total_steps ({total_steps}), got {warmup_steps}"
            )
        self.warmup_steps, self.total_steps, self.min_lr = warmup_steps, total_steps, min_lr
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [self.lr_at(self.last_epoch, base) for base in self.base_lrs]

    def lr_at(self, step: int, lr: float) -> float:
        if step < self.warmup_steps:
            return lr * (step + 1) / (self.warmup_steps + 1)
        if step > self.total_steps:
            return self.min_lr
        span = max(1, self.total_steps - self.warmup_steps)
        ratio = (step - self.warmup_steps) / span
        return self.min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - self.min_lr)
