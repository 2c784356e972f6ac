"""Rebuild a trained task and its data pipeline from a checkpoint file alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo.data import build_datamodule
from zoo.tasks import Task, task_from_checkpoint
from zoo.training.checkpoint import load_checkpoint, run_config


def restore(ckpt_path: str | Path, data_dir: str | None = None) -> tuple[Task, Any, dict[str, Any]]:
    """(task in eval mode, data module with its training-time state, the stored run config).

    The data module is built but not set up: nothing is read from disk unless it is asked for
    data, so predicting needs only the checkpoint.
    """
    checkpoint = load_checkpoint(ckpt_path)
    config = run_config(checkpoint)
    data_config = dict(config["data"])
    if data_dir is not None and "data_dir" in data_config:
        data_config["data_dir"] = data_dir
    datamodule = build_datamodule(data_config)
    state = checkpoint.get(type(datamodule).__qualname__)
    if state:
        datamodule.load_state_dict(state)
    return task_from_checkpoint(checkpoint), datamodule, config
