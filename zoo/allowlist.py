"""Resolve a config's `_target_` to a class, only within named module prefixes.

Configs and checkpoint hyperparameters name classes by dotted path; this is the one place that
turns such a string into a class, and it refuses anything outside the given prefixes, so stored
data can never make the zoo import or call an arbitrary function. Pure Python (models import it).
"""

from __future__ import annotations

import importlib
from typing import Any

from zoo.errors import ZooError

# Every `_target_` in a run config names a class under one of these (each builder then checks its
# own position: a net in zoo.models, an optimizer in torch.optim, a logger in Lightning's loggers)
LOGGER_PREFIXES = ("lightning.pytorch.loggers.",)
CONFIG_TARGET_PREFIXES = ("zoo.", "torch.optim.", *LOGGER_PREFIXES)
# Classes the running code has registered by defining them (a task class defined outside zoo/:
# zoo.tasks.base.Task.__init_subclass__); a stored file can name one but never add one
REGISTERED_CLASSES: set[str] = set()
# trainer.accelerator values the zoo's trainer configs are built for (Lightning's "tpu", "hpu" need
# plugins the zoo does not install)
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps")


def resolve_class(target: object, prefixes: tuple[str, ...], kind: str, base: type = object) -> type:
    """The class named by `target`; ValueError if it is outside `prefixes`, missing, or not a `base`."""
    if not isinstance(target, str) or not target.startswith(prefixes):
        raise ValueError(
            f"{kind} _target_ must name a class in {' or '.join(p + '*' for p in prefixes)}, got {target!r}"
        )
    module_name, _, name = target.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), name)
    except ModuleNotFoundError as error:
        if error.name is None or not module_name.startswith(error.name):
            raise  # a module of the zoo that fails to import is a bug to see, not an unknown name
        raise ValueError(f"unknown {kind} {target!r}") from None
    except AttributeError:
        raise ValueError(f"unknown {kind} {target!r}") from None
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ValueError(f"{target!r} is not a {base.__name__} class")
    return cls


def named_targets(node: Any, where: str = "") -> list[tuple[str, Any]]:
    """(dotted key, value) of every `_target_` in a plain config."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            path = f"{where}.{key}" if where else str(key)
            found += [(path, value)] if key == "_target_" else named_targets(value, path)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += named_targets(value, f"{where}[{index}]")
    return found


def check_targets(config: dict[str, Any]) -> None:
    """Every `_target_` of a run config names a class of the zoo or of the libraries the zoo
    builds from config (torch.optim, Lightning's loggers): checked before anything is built.
    (Each builder checks its own position again, with the class it must be.)"""
    for key, target in named_targets(config):
        if target in REGISTERED_CLASSES:
            continue
        if not isinstance(target, str) or not target.startswith(CONFIG_TARGET_PREFIXES):
            raise ZooError(
                f"{key}={target!r} is refused: a config may only name classes in "
                f"{', '.join(p + '*' for p in CONFIG_TARGET_PREFIXES)}"
            )
