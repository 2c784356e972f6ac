"""Callbacks every zoo run uses: checkpoints, progress display, and the run config in checkpoints."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import Callback, ModelCheckpoint, RichProgressBar

from zoo.errors import ZooError
from zoo.training.checkpoint import ZOO_KEY

log = logging.getLogger("zoo")


class StoreRunConfig(Callback):
    """Writes checkpoint["zoo"]: the task class and the composed run config (JSON), so that a
    checkpoint alone is enough for `zoo eval` and `zoo predict`."""

    def __init__(self, task_target: str, config: dict[str, Any]):
        self.payload = {"task": task_target, "config": json.dumps(config)}

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        checkpoint[ZOO_KEY] = dict(self.payload)


class EpochLines(Callback):
    """One plain log line per epoch (for logs and pipes, where a live progress bar is noise)."""

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        metrics = {
            key: float(value)
            for key, value in trainer.callback_metrics.items()
            if key.startswith(("train/", "val/"))
            and not key.endswith(("_step", "_epoch"))
            and value.numel() == 1
        }
        shown = "  ".join(f"{key} {value:.4f}" for key, value in sorted(metrics.items()))
        log.info("epoch %d/%d  %s", trainer.current_epoch + 1, trainer.max_epochs, shown)


PROGRESS_CHOICES = ("auto", "rich", "plain", "none")


def progress_callbacks(progress: str) -> tuple[list[Callback], bool]:
    """(callbacks, enable_progress_bar) for progress = auto | rich | plain | none."""
    if progress not in PROGRESS_CHOICES:
        raise ZooError(f"callbacks.progress must be one of {', '.join(PROGRESS_CHOICES)}, got {progress!r}")
    if progress == "auto":
        progress = "rich" if sys.stdout.isatty() else "plain"
    if progress == "rich":
        return [RichProgressBar(leave=True)], True
    if progress == "plain":
        return [EpochLines()], False
    return [], False


def build_callbacks(
    config: dict[str, Any], monitor: str, mode: str, checkpoint_dir: Path
) -> tuple[list[Callback], bool]:
    """Callbacks from the `callbacks` config group; returns (callbacks, enable_progress_bar)."""
    checkpoint = ModelCheckpoint(
        dirpath=checkpoint_dir,
        filename="best",
        monitor=config.get("monitor") or monitor,
        mode=config.get("mode") or mode,
        save_last=True,
        save_top_k=1,
        every_n_train_steps=config.get("every_n_train_steps"),
        enable_version_counter=False,
    )
    callbacks: list[Callback] = [checkpoint]
    early_stopping = config.get("early_stopping")
    if early_stopping:
        from lightning.pytorch.callbacks import EarlyStopping

        callbacks.append(
            EarlyStopping(
                monitor=config.get("monitor") or monitor, mode=config.get("mode") or mode, **early_stopping
            )
        )
    if config.get("gradient_norms"):
        callbacks.append(GradientNorms(int(config["gradient_norms"])))
    progress, enable_bar = progress_callbacks(config.get("progress", "auto"))
    return callbacks + progress, enable_bar


class GradientNorms(Callback):
    """Logs the 2-norm of each parameter's gradient (before clipping) every `every_n_steps` steps,
    as grad_2.0_norm/<parameter> columns in metrics.csv and TensorBoard: vanishing and exploding
    gradients made visible, layer by layer."""

    def __init__(self, every_n_steps: int = 50):
        self.every_n_steps = every_n_steps

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: Any
    ) -> None:
        if trainer.global_step % self.every_n_steps == 0:
            from lightning.pytorch.utilities import grad_norm

            pl_module.log_dict(grad_norm(pl_module, norm_type=2), on_step=True, on_epoch=False)
