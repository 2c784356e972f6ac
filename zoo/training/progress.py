"""The progress display, counted in optimizer steps - real batches, however many a Lightning batch
bundles (zoo.training.steps) - over the whole run, with its ETA; epochs counted from 1 everywhere.

- On a terminal (`rich`): one live bar for the run: epoch k/N, steps done/total, loss, steps/s,
  elapsed and remaining time; each epoch's line with its metrics stays above it.
- In a pipe, a log file or under SLURM (`plain`): a line every `progress_every` (seconds as "30s",
  or a number of steps) - step/total, epoch, loss, steps/s, ETA - and each epoch's line.
- Either way, a run that early stopping or max_time ends says so and why.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, EarlyStopping, Timer

from zoo.errors import ZooError

log = logging.getLogger("zoo")
PROGRESS_CHOICES = ("auto", "rich", "plain", "none")
LOSS_EVERY_S = 0.5  # the live bar reads the loss (a host sync on a GPU) at most this often


def parse_every(every: Any) -> tuple[int | None, float | None]:
    """progress_every as (steps, seconds): 500 -> every 500 steps, "30s" -> every 30 seconds."""
    if isinstance(every, int) and not isinstance(every, bool) and every > 0:
        return every, None
    if isinstance(every, str) and every.endswith("s"):
        try:
            seconds = float(every[:-1])
        except ValueError:
            seconds = 0.0
        if seconds > 0:
            return None, seconds
    raise ZooError(
        f"callbacks.progress_every must be a number of steps (500) or of seconds (30s), got {every!r}"
    )


def duration(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


class RunProgress(Callback):
    """Progress lines (plain) or a live bar (rich) in optimizer steps over the whole run."""

    def __init__(self, live: bool, every: Any = "30s"):
        self.live = live
        self.every_steps, self.every_seconds = parse_every(every)
        self.total: int | None = None
        self.bar: Any = None
        self.validated_epoch: int | None = None  # the epoch whose val/ values are the latest
        self.loss_shown_at = float("-inf")  # when the live bar last read the loss

    # --- the run's clock ----------------------------------------------------------------------
    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.total = self.total_steps(trainer, pl_module)
        self.first_step, self.started = trainer.global_step, time.monotonic()
        self.last_line_step, self.last_line_time = trainer.global_step, self.started
        if self.live and trainer.is_global_zero:
            self.bar = live_bar()
            self.bar.start()
            self.task = self.bar.add_task(
                "training", total=self.total, completed=trainer.global_step, loss=""
            )

    @staticmethod
    def total_steps(trainer: L.Trainer, pl_module: L.LightningModule) -> int | None:
        try:
            total = int(pl_module.total_optimizer_steps())
        except (AttributeError, TypeError, ValueError, RuntimeError):
            return None
        return total if 0 < total < 10**12 else None  # max_epochs=-1 and no max_steps: open-ended

    def rate(self, step: int) -> float:
        elapsed = time.monotonic() - self.started
        return (step - self.first_step) / elapsed if elapsed > 0 else 0.0

    # --- each bundle of steps -----------------------------------------------------------------
    def on_step_in_bundle(self, trainer: L.Trainer, step: int, loss: Any) -> None:
        """Each step inside a bundle (zoo.training.steps): a line can come between bundles' ends."""
        if self.bar is None and trainer.is_global_zero:
            self.report(trainer, step, loss)

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, *args: Any
    ) -> None:
        if not trainer.is_global_zero:
            return
        step = trainer.global_step
        if self.bar is None:
            self.report(trainer, step, outputs)
            return
        epoch = f"epoch {trainer.current_epoch + 1}/{trainer.max_epochs}" if self.total else "training"
        fields = {}
        now = time.monotonic()
        if now - self.loss_shown_at >= LOSS_EVERY_S:  # reading the loss is a host sync on a GPU
            self.loss_shown_at, fields["loss"] = now, loss_text(outputs)
        self.bar.update(self.task, completed=step, description=epoch, **fields)

    def report(self, trainer: L.Trainer, step: int, outputs: Any) -> None:
        """A plain line when one is due (every so many steps or seconds)."""
        now = time.monotonic()
        due = (self.every_steps and step - self.last_line_step >= self.every_steps) or (
            self.every_seconds and now - self.last_line_time >= self.every_seconds
        )
        if due:
            self.last_line_step, self.last_line_time = step, now
            log.info("%s", self.step_line(trainer, step, outputs))

    def step_line(self, trainer: L.Trainer, step: int, outputs: Any) -> str:
        rate = self.rate(step)
        of = f"/{self.total:,}" if self.total else ""
        percent = f" ({100 * step / self.total:.0f}%)" if self.total else ""
        epochs = f"/{trainer.max_epochs}" if trainer.max_epochs not in (None, -1) else ""
        parts = [f"step {step:,}{of}{percent}", f"epoch {trainer.current_epoch + 1}{epochs}"]
        if (loss := loss_text(outputs)) != "":
            parts.append(f"loss {loss}")
        parts.append(f"{rate:,.1f} steps/s")
        if self.total and rate > 0:
            parts.append(f"ETA {duration((self.total - step) / rate)}")
        return "  ".join(parts)

    # --- each epoch, and the end --------------------------------------------------------------
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
        line = f"epoch {trainer.current_epoch + 1}{of}  {shown}"
        if self.bar is not None:
            self.bar.console.print(line, highlight=False)
        else:
            log.info("%s", line)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.stop_bar()
        if trainer.is_global_zero and (reason := stop_reason(trainer, self.total)):
            log.info("%s", reason)

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        self.stop_bar()

    def stop_bar(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def live_bar() -> Any:
    # rich draws the live bar: imported where a terminal shows one
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    # (and its text): imported with the bar
    from rich.text import Text

    class Speed(ProgressColumn):
        def render(self, task: Any) -> Text:
            return Text(f"{task.speed or 0:,.1f} steps/s")

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps  loss {task.fields[loss]}"),
        Speed(),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        refresh_per_second=4,
    )


def loss_text(outputs: Any) -> str:
    """The training loss of the step (or the mean of a bundle's steps) the loop returned."""
    loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
    if not isinstance(loss, torch.Tensor) or loss.numel() == 0:
        return ""
    return f"{float(loss.detach().float().mean()):.4f}"


def stop_reason(trainer: L.Trainer, total: int | None) -> str | None:
    """Why a run ended before its last epoch, when a callback ended it: early stopping or max_time."""
    for callback in trainer.callbacks:
        if isinstance(callback, EarlyStopping) and callback.stopped_epoch > 0:
            best = float(callback.best_score) if callback.best_score is not None else float("nan")
            return (
                f"early stopping at epoch {callback.stopped_epoch + 1}: {callback.monitor} did not improve "
                f"for {callback.patience} epochs (best {best:.4f})"
            )
        if (
            isinstance(callback, Timer)
            and callback.time_remaining() is not None
            and callback.time_remaining() <= 0
        ):
            of = f" of {total:,}" if total else ""
            epoch = trainer.current_epoch + 1
            return f"max_time reached: stopped at step {trainer.global_step:,}{of}, epoch {epoch}"
    return None


def progress_callbacks(progress: str, every: Any = "30s") -> tuple[list[Callback], bool]:
    """(callbacks, enable Lightning's own progress bar) for progress = auto | rich | plain | none."""
    if progress not in PROGRESS_CHOICES:
        raise ZooError(f"callbacks.progress must be one of {', '.join(PROGRESS_CHOICES)}, got {progress!r}")
    if progress == "auto":
        progress = "rich" if sys.stdout.isatty() else "plain"
    if progress == "none":
        return [], False
    return [RunProgress(live=progress == "rich", every=every)], False
