"""Data modules and datasets. This package knows no model.

`build_datamodule` turns a plain config dict ({"_target_": "zoo.data.toy.ToyDataModule", ...})
into a data module; only classes inside zoo.data can be named (the config may come from a
checkpoint). The classes are plain (zoo.data.base.DataModule): predicting needs their
preprocessing, not a training framework. For a Lightning Trainer, `for_trainer=True` builds the
same class with LightningDataModule mixed in (`trainer_class`): an instance of both, whose
checkpoint entry is keyed by the same class name.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from zoo.allowlist import resolve_class
from zoo.errors import ZooError

if TYPE_CHECKING:  # the package itself imports no torch: `zoo list` and `zoo data` read zoo.data.packages
    from zoo.data.base import DataModule

ALLOWED_PREFIX = "zoo.data."


def build_datamodule(config: dict[str, Any], for_trainer: bool = False) -> DataModule:
    # zoo.data.base imports torch: loaded when a data module is built, not on `import zoo.data`
    from zoo.data.base import DataModule

    kwargs = dict(config)
    try:
        cls = resolve_class(kwargs.pop("_target_", None), (ALLOWED_PREFIX,), "data", DataModule)
    except ValueError as error:
        raise ZooError(str(error)) from None
    try:
        return (trainer_class(cls) if for_trainer else cls)(**kwargs)
    except (TypeError, ValueError) as error:
        raise ZooError(f"cannot build data {cls.__name__}: {error}") from None


@functools.cache
def trainer_class(cls: type[DataModule]) -> type:
    """`cls` with LightningDataModule mixed in after it: `cls`'s hooks come first, Lightning's
    fill the rest (and Trainer's isinstance checks pass). Same name and qualname, so Lightning
    stores its state_dict in checkpoints under the key a plain `cls` reads back."""
    # Lightning loads only where a Trainer is built: predicting and `zoo --help` never import it
    import lightning as L

    return type(
        cls.__name__,
        (cls, L.LightningDataModule),
        {"__qualname__": cls.__qualname__, "__module__": cls.__module__, "__reduce__": _reduce},
    )


def _reduce(datamodule: DataModule) -> tuple[Any, ...]:
    """Pickle a trainer-class instance by its plain class (a DataLoader worker started by spawn
    pickles a bound collate method with its data module); the class itself is made anew."""
    # as in build_datamodule: zoo.data.base (torch) loads when it is used
    from zoo.data.base import DataModule

    plain_class = next(c for c in type(datamodule).__mro__[1:] if issubclass(c, DataModule))
    return _trainer_instance, (plain_class,), datamodule.__dict__


def _trainer_instance(cls: type[DataModule]) -> DataModule:
    trainer_cls = trainer_class(cls)
    return trainer_cls.__new__(trainer_cls)
