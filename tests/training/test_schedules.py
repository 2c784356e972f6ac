"""WarmupCosine gives, at every step, the learning rate of nanoGPT's get_lr (its formula written
out here), and the trainer supplies its total steps."""

import math

import pytest
import torch

from zoo.training.schedules import WarmupCosine


def nanogpt_lr(it: int, lr: float, warmup: int, decay: int, min_lr: float) -> float:
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it > decay:
        return min_lr
    ratio = (it - warmup) / (decay - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


def test_every_steps_rate_is_nanogpts():
    optimizer = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
    schedule = WarmupCosine(optimizer, warmup_steps=100, total_steps=2000, min_lr=1e-4)
    for it in range(2100):
        assert optimizer.param_groups[0]["lr"] == pytest.approx(
            nanogpt_lr(it, 1e-3, 100, 2000, 1e-4), abs=1e-12
        )
        optimizer.step()
        schedule.step()


def test_bad_lengths_are_refused():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="needs total_steps"):
        WarmupCosine(optimizer, warmup_steps=10)
    with pytest.raises(ValueError, match="warmup_steps must be from 0 to total_steps"):
        WarmupCosine(optimizer, warmup_steps=10, total_steps=5)


def test_the_trainer_supplies_the_runs_steps(train_run):
    summary = train_run(
        ["data=digits", "scheduler=warmup_cosine", "scheduler.warmup_steps=5", "trainer.max_epochs=2"]
    )
    assert summary["global_step"] == 40  # built with total_steps=40 (a missing total is an error, above)
