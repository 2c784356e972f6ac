"""The progress display: a rich bar on a terminal, one plain line per epoch in a pipe or a log."""

from __future__ import annotations

import logging
import sys

import lightning as L
from lightning.pytorch.callbacks import Callback, RichProgressBar

from zoo.errors import ZooError

log = logging.getLogger("zoo")


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
        of = f"/{trainer.max_epochs}" if trainer.max_epochs not in (None, -1) else ""
        log.info("epoch %d%s  %s", trainer.current_epoch + 1, of, shown)


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
