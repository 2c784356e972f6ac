"""The run's loggers, built by the zoo (not by Hydra's instantiate): a logger config names one of
Lightning's logger classes and nothing inside it names another."""

from __future__ import annotations

from typing import Any

from lightning.pytorch.loggers import Logger

from zoo.allowlist import LOGGER_PREFIXES, named_targets, resolve_class
from zoo.errors import ZooError, first_lines


def start_logger(name: str, logger_config: dict[str, Any]) -> Any:
    """The configured Lightning logger. Its `_target_` must be one of Lightning's logger classes
    and nothing inside it may name another (a run folder's replayed overrides come from a file);
    a missing package or a refused setting is one line."""

    options = dict(logger_config)
    try:
        cls = resolve_class(options.pop("_target_", None), LOGGER_PREFIXES, f"logger.{name}", Logger)
    except ValueError as error:
        raise ZooError(str(error)) from None
    nested = named_targets(options, f"logger.{name}")
    if nested:
        raise ZooError(f"{nested[0][0]}={nested[0][1]!r} is refused: a logger's options name no class")
    try:
        return cls(**options)
    except (ImportError, ModuleNotFoundError, TypeError, ValueError) as error:
        raise ZooError(f"cannot start the {name} logger: {first_lines(error)}") from None
