"""Rebuild a trained task and its data pipeline from a checkpoint file alone, for `zoo eval` (the
Lightning task and a data module a Trainer takes). Predicting builds less: zoo.predictor."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo.training.checkpoint import load_checkpoint, restored_datamodule, run_config


def restore(ckpt_path: str | Path, data_dir: str | None = None) -> tuple[Any, Any, dict[str, Any]]:
    """(task in eval mode, data module with its training-time state, the stored run config).

    The data module is built but not set up: nothing is read from disk unless it is asked for
    data."""
    from zoo.tasks import task_from_checkpoint

    checkpoint = load_checkpoint(ckpt_path)
    config = run_config(checkpoint)
    datamodule = restored_datamodule(checkpoint, config, data_dir, for_trainer=True)
    return task_from_checkpoint(checkpoint), datamodule, config
