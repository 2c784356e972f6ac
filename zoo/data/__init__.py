"""LightningDataModules and datasets. This package knows no model.

`build_datamodule` turns a plain config dict ({"_target_": "zoo.data.toy.ToyDataModule", ...})
into a data module; only classes inside zoo.data can be named (the config may come from a
checkpoint).
"""

from __future__ import annotations

import importlib
from typing import Any

import lightning as L

from zoo.errors import ZooError

ALLOWED_PREFIX = "zoo.data."


def build_datamodule(config: dict[str, Any]) -> L.LightningDataModule:
    kwargs = dict(config)
    target = kwargs.pop("_target_", None)
    if not isinstance(target, str) or not target.startswith(ALLOWED_PREFIX):
        raise ZooError(f"data _target_ must name a class in {ALLOWED_PREFIX}*, got {target!r}")
    module_name, _, name = target.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except (ImportError, AttributeError):
        raise ZooError(f"unknown data module {target!r}") from None
    if not (isinstance(cls, type) and issubclass(cls, L.LightningDataModule)):
        raise ZooError(f"{target!r} is not a LightningDataModule")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise ZooError(f"cannot build data {name}: {error}") from None
