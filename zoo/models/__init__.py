"""Architectures as plain torch nn.Modules (this package imports only torch).

`build_net` turns a plain config dict such as {"_target_": "zoo.models.feedforward.MLP", ...} into a
module. Only classes defined inside `zoo.models` can be named, so a checkpoint's hyperparameters
can never make the zoo call an arbitrary function.
"""

from __future__ import annotations

from typing import Any

from torch import nn

from zoo.allowlist import resolve_class

ALLOWED_PREFIX = "zoo.models."


def resolve_net_class(target: str) -> type[nn.Module]:
    """The nn.Module class named by `target`, which must live inside zoo.models."""
    return resolve_class(target, (ALLOWED_PREFIX,), "net", nn.Module)


def build_net(spec: dict[str, Any]) -> nn.Module:
    """Build the net described by a plain dict with a `_target_` key and constructor arguments."""
    kwargs = dict(spec)
    cls = resolve_net_class(kwargs.pop("_target_", None))
    return cls(**kwargs)
