"""Optimizers and learning-rate schedulers built from plain config dicts.

An optimizer config is {"_target_": "torch.optim.SGD", "lr": 0.1, ...}; a scheduler config adds the
Lightning keys `interval` ("epoch" or "step"), `frequency` and `monitor`. Only classes from
torch.optim (and zoo.course.optimizers) can be named. Weight decay applies to weights only: biases and
normalisation parameters (the 1-D parameters) get none.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

import torch
from torch import nn

from zoo.allowlist import resolve_class
from zoo.errors import ZooError

OPTIMIZER_PREFIXES = ("torch.optim.", "zoo.course.optimizers.")
SCHEDULER_PREFIXES = ("torch.optim.lr_scheduler.", "zoo.training.schedules.")
LIGHTNING_SCHEDULER_KEYS = ("interval", "frequency", "monitor")


def is_decayed(name: str, param: nn.Parameter) -> bool:
    """True for weight matrices and kernels; False for biases and normalisation γ, β (1-D)."""
    return param.ndim >= 2


def _resolve(target: Any, prefixes: tuple[str, ...], kind: str) -> type:
    try:
        return resolve_class(target, prefixes, kind)
    except ValueError as error:
        raise ZooError(str(error)) from None


def parameter_groups(named_parameters: Iterable[tuple[str, nn.Parameter]], weight_decay: float) -> list[dict]:
    """Weights, decayed, then the 1-D parameters, not; one group of both (in that order) when
    nothing is decayed: each group is one more pass of the optimizer's update code per step
    (a fifth of a small MLP's step on a CPU)."""
    decay, no_decay = [], []
    for name, param in named_parameters:
        if param.requires_grad:
            (decay if is_decayed(name, param) else no_decay).append(param)
    if not weight_decay:
        return [{"params": decay + no_decay, "weight_decay": 0.0}]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return [group for group in groups if group["params"]]


# What a learning-rate scheduler's state keeps per parameter group
PER_GROUP_SCHEDULER_KEYS = ("base_lrs", "_last_lr", "min_lrs")


def merge_undecayed_groups(checkpoint: dict[str, Any], weight_decay: float) -> None:
    """A checkpoint written by zoo <= 0.2 without weight decay holds two parameter groups (weights,
    then the 1-D parameters), which parameter_groups now builds as one, in the same order: merge
    them so that the run resumes (each group had the same hyperparameters and learning rate)."""
    if weight_decay:
        return
    for optimizer_state in checkpoint.get("optimizer_states", []):
        groups = optimizer_state.get("param_groups", [])
        if len(groups) != 2 or any(group.get("weight_decay", 0.0) for group in groups):
            continue
        optimizer_state["param_groups"] = [{**groups[0], "params": groups[0]["params"] + groups[1]["params"]}]
        for scheduler_state in checkpoint.get("lr_schedulers", []):
            for key in PER_GROUP_SCHEDULER_KEYS:
                if isinstance(scheduler_state.get(key), list) and len(scheduler_state[key]) == 2:
                    scheduler_state[key] = scheduler_state[key][:1]


def build_optimizer(
    named_parameters: Iterable[tuple[str, nn.Parameter]],
    config: dict[str, Any],
    sparse: set[str] | None = None,
) -> torch.optim.Optimizer:
    """The optimizer of `config` over the parameters; `sparse` names those whose gradients are
    sparse (nn.Embedding(sparse=True)), which only SparseAdam and plain SGD update, and which are
    all SparseAdam updates: a mismatch is one line now, not a traceback at the first step."""
    kwargs = dict(config)
    cls = _resolve(kwargs.pop("_target_", None), OPTIMIZER_PREFIXES, "optimizer")
    named_parameters = list(named_parameters)
    trained = [name for name, param in named_parameters if param.requires_grad]
    check_sparse(cls, config, trained, sparse or set())
    lr = kwargs.get("lr")
    if lr is not None and not (isinstance(lr, int | float) and lr > 0):
        raise ZooError(f"optimizer.lr must be a positive number, got {lr!r}")
    weight_decay = kwargs.pop("weight_decay", 0.0) or 0.0
    groups = parameter_groups(named_parameters, weight_decay)
    try:
        return cls(groups, **kwargs)
    except (TypeError, ValueError) as error:
        raise ZooError(f"cannot build optimizer {cls.__name__}: {error}") from None


def check_sparse(cls: type, config: dict[str, Any], names: list[str], sparse: set[str]) -> None:
    dense = [name for name in names if name not in sparse]
    if cls is torch.optim.SparseAdam and dense:
        raise ZooError(
            f"optimizer=sparse_adam updates sparse gradients only, and {dense[0]} is dense (a skip-gram "
            "takes model.net.sparse=true)"
        )
    plain_sgd = cls is torch.optim.SGD and not config.get("momentum") and not config.get("weight_decay")
    if sparse and cls is not torch.optim.SparseAdam and not plain_sgd:
        raise ZooError(
            f"{sorted(sparse)[0]} has sparse gradients, which {cls.__name__} with these options cannot "
            "update: use optimizer=sparse_adam or optimizer=sgd without momentum and weight decay (or "
            "model.net.sparse=false)"
        )


def build_scheduler(
    optimizer: torch.optim.Optimizer, config: dict[str, Any] | None, total_steps: int | None = None
) -> dict[str, Any] | None:
    """A Lightning lr-scheduler dict, or None when the config is empty (scheduler=none)."""
    if not config:
        return None
    kwargs = dict(config)
    cls = _resolve(kwargs.pop("_target_", None), SCHEDULER_PREFIXES, "scheduler")
    lightning_keys = {key: kwargs.pop(key) for key in LIGHTNING_SCHEDULER_KEYS if key in kwargs}
    takes_total = "total_steps" in inspect.signature(cls).parameters  # OneCycleLR, WarmupCosine
    if takes_total and kwargs.get("total_steps") is None:
        kwargs["total_steps"] = total_steps
    try:
        scheduler = cls(optimizer, **kwargs)
    except (TypeError, ValueError) as error:
        raise ZooError(f"cannot build scheduler {cls.__name__}: {error}") from None
    return {"scheduler": scheduler, **lightning_keys}
