"""LightningDataModules and datasets. This package knows no model.

`build_datamodule` turns a plain config dict ({"_target_": "zoo.data.toy.ToyDataModule", ...})
into a data module; only classes inside zoo.data can be named (the config may come from a
checkpoint).
"""

from __future__ import annotations

from typing import Any

import lightning as L

from zoo.allowlist import resolve_class
from zoo.errors import ZooError

ALLOWED_PREFIX = "zoo.data."


def build_datamodule(config: dict[str, Any]) -> L.LightningDataModule:
    kwargs = dict(config)
    try:
        cls = resolve_class(kwargs.pop("_target_", None), (ALLOWED_PREFIX,), "data", L.LightningDataModule)
    except ValueError as error:
        raise ZooError(str(error)) from None
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as error:
        raise ZooError(f"cannot build data {cls.__name__}: {error}") from None
