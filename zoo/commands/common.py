"""Helpers the commands share: plain-dict configs, tables, JSON files written atomically."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.table import Table

console = Console()


def plain(config: DictConfig | dict | None) -> Any:
    """A resolved config as plain Python types (what checkpoints and builders accept)."""
    if config is None or isinstance(config, dict):
        return config
    return OmegaConf.to_container(config, resolve=True)


# trainer.* keys the zoo reads itself; the rest are lightning.Trainer's arguments
ZOO_TRAINER_KEYS = ("steps_per_batch",)


def lightning_trainer_options(trainer_config: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in trainer_config.items() if key not in ZOO_TRAINER_KEYS}


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to a temporary file beside `path` and rename it over `path` (never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            json.dump(data, file, indent=2)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


def format_value(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
