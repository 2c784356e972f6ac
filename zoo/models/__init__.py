"""Architectures as plain torch nn.Modules (this package imports only torch).

`build_net` turns a plain config dict such as {"_target_": "zoo.models.feedforward.MLP", ...} into a
module. Only classes defined inside `zoo.models` can be named, so a checkpoint's hyperparameters
can never make the zoo call an arbitrary function.
"""

from __future__ import annotations

import importlib
from typing import Any

from torch import nn

ALLOWED_PREFIX = "zoo.models."


def resolve_net_class(target: str) -> type[nn.Module]:
    """The nn.Module class named by `target`, which must live inside zoo.models."""
    if not isinstance(target, str) or not target.startswith(ALLOWED_PREFIX):
        raise ValueError(f"net _target_ must name a class in {ALLOWED_PREFIX}*, got {target!r}")
    module_name, _, class_name = target.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError):
        raise ValueError(f"no model class {target!r}") from None
    if not (isinstance(cls, type) and issubclass(cls, nn.Module)):
        raise ValueError(f"{target!r} is not an nn.Module class")
    return cls


def build_net(spec: dict[str, Any]) -> nn.Module:
    """Build the net described by a plain dict with a `_target_` key and constructor arguments."""
    kwargs = dict(spec)
    cls = resolve_net_class(kwargs.pop("_target_", None))
    return cls(**kwargs)
