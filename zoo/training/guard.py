"""Stop training at a non-finite loss, name the step, and never write a checkpoint after it."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from zoo.errors import ZooError
from zoo.training.resume import LastCheckpoint


class NonFiniteLossGuard(L.Callback):
    """Watches the training loss on the device at every step (no host sync); the flag is read at
    the steps the logger writes anyway, at the end of each epoch and before any checkpoint is
    written, so the last checkpoint on disk is always one of finite weights."""

    def __init__(self) -> None:
        self.first_bad_step: torch.Tensor | None = None
        self.bad_value: torch.Tensor | None = None
        self.checked_interval = 0

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, *args: Any
    ) -> None:
        loss = outputs["loss"] if isinstance(outputs, dict) else outputs
        if loss is None:
            return
        losses = loss.detach().reshape(-1)  # one per optimizer step the batch took (a bundle: several)
        if losses.device.type == "cpu":
            self.record_on_host(losses, trainer.global_step - len(losses))
        else:
            self.record_on_device(losses, trainer.global_step - len(losses))
        interval = trainer.global_step // trainer.log_every_n_steps
        if interval != self.checked_interval:  # a logged step was taken: the host waits anyway
            self.checked_interval = interval
            self.check(trainer)

    def record_on_host(self, losses: torch.Tensor, first_step: int) -> None:
        """On a CPU reading the losses costs nothing: a few operations instead of the device path's
        dozen (a quarter of a millisecond per batch on a slow CPU)."""
        if self.first_bad_step is not None or bool(torch.isfinite(losses).all()):
            return
        first = int((~torch.isfinite(losses)).int().argmax())
        self.first_bad_step, self.bad_value = torch.tensor(first_step + first), losses[first].float()

    def record_on_device(self, losses: torch.Tensor, first_step: int) -> None:
        """The first non-finite loss's step and value, kept on the device: no host sync."""
        if self.first_bad_step is None:
            self.first_bad_step = torch.full((), -1, dtype=torch.long, device=losses.device)
            self.bad_value = torch.zeros((), device=losses.device)
        bad = ~torch.isfinite(losses)
        first = bad.int().argmax()  # the first non-finite loss of the batch (0 when none is)
        newly_bad = bad.any() & (self.first_bad_step < 0)
        self.first_bad_step = torch.where(newly_bad, first + first_step, self.first_bad_step)
        self.bad_value = torch.where(newly_bad, losses[first].float(), self.bad_value)

    def check(self, trainer: L.Trainer) -> None:
        if self.first_bad_step is None or int(self.first_bad_step) < 0:
            return
        last = next((c.path for c in trainer.callbacks if isinstance(c, LastCheckpoint) and c.path), None)
        kept = f"the last checkpoint before it: {last}" if last else "no checkpoint was written before it"
        raise ZooError(
            f"the training loss became {float(self.bad_value)} at step {int(self.first_bad_step)}; "
            f"training stopped ({kept}). Lower optimizer.lr or clip gradients (trainer.gradient_clip_val=1.0)"
        )

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.check(trainer)

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        self.check(trainer)  # raising here aborts the save: the file on disk stays the good one
