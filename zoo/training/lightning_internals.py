"""Every use of a Lightning private (an underscored name) in the zoo, in one file.

Lightning's public API does not cover five things the zoo does: several optimizer steps per
Lightning batch (zoo.training.steps), a last.ckpt written after every epoch and the last step
(zoo.training.resume.LastCheckpoint), reading whether a task is attached to a trainer without
Lightning raising, ending a W&B run between the jobs of a sweep, and checking a checkpoint's
loop layout before resuming from it (the layout is Lightning's, read here and nowhere else).
Each is a function here. An upgrade that removes or renames one of these privates is found by
`missing_privates()`, which the test suite runs (tests/training/test_lightning_internals.py) and
which names what is gone.
pyproject.toml pins Lightning to the minor series these were checked on.
"""

from __future__ import annotations

from typing import Any

import torch
from lightning import __version__
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.core.optimizer import LightningOptimizer
from lightning.pytorch.utilities.migration import utils as migration
from lightning.pytorch.utilities.migration.utils import _pl_migrate_checkpoint

from zoo.errors import ZooError


# --- trainer.steps_per_batch ------------------------------------------------------------------------
def count_extra_batches(trainer: Trainer, extra: int) -> None:
    """Lightning counts logged steps in batches: a bundle of n steps counts n - 1 batches more, so
    that the epoch's values are logged at the same step as with one batch per step."""
    trainer.fit_loop.epoch_loop._batches_that_stepped += extra


def step_counted(optimizer: LightningOptimizer, step: Any) -> None:
    """`step()` with Lightning's global-step count around it, as LightningOptimizer.step does,
    without its hooks (zoo.training.steps.BundledSteps.plain_optimizer_step)."""
    optimizer._on_before_step()
    step()
    optimizer._on_after_step()


# --- the latest checkpoint ---------------------------------------------------------------------------
def last_saved(callback: ModelCheckpoint) -> tuple[str, int]:
    """(the path, the global step) of the checkpoint `callback` wrote last ("", -1 before any)."""
    return callback._last_checkpoint_saved, callback._last_global_step_saved


def save_checkpoint_now(callback: ModelCheckpoint, trainer: Trainer, path: str) -> None:
    """Write `path` as `callback` writes its checkpoints (recording the step and notifying the
    loggers), outside its own schedule."""
    callback._save_checkpoint(trainer, path)


# --- modules and loggers -----------------------------------------------------------------------------
def attached_trainer(module: LightningModule) -> Trainer | None:
    """The trainer a module is attached to, or None (`module.trainer` raises when there is none)."""
    return module._trainer


def open_wandb_run(logger: Any) -> Any:
    """A WandbLogger's run if it has started one (its `experiment` property would start one)."""
    return getattr(logger, "_experiment", None)


# --- a checkpoint's training-loop layout, before resuming from it --------------------------------
def trained_epochs(checkpoint: dict[str, Any]) -> int:
    """How many epochs the checkpoint's run has finished (Lightning's fit-loop progress)."""
    loops = checkpoint.get("loops") or {}
    progress = ((loops.get("fit_loop") or {}).get("epoch_progress") or {}).get("current") or {}
    return int(progress.get("processed", 0))


def check_loop_layout(trainer: Trainer, checkpoint: dict[str, Any]) -> None:
    """The checkpoint's loop state (after Lightning's own migration from the version it names) has
    every entry this Lightning's fit loop reads: a checkpoint tagged with another version, or
    edited, is one ZooError line, not Lightning's KeyError halfway through restoring it."""

    written_by = checkpoint.get("pytorch-lightning_version", "?")
    cannot = (
        f"the checkpoint's training-loop state (written by Lightning {written_by}) cannot be resumed "
        f"by Lightning {__version__}"
    )
    try:
        migrated = _pl_migrate_checkpoint(checkpoint)
    except Exception as error:  # any failure of Lightning's migration code on this data
        raise ZooError(f"{cannot}: {type(error).__name__} {error}") from None
    stored = (migrated.get("loops") or {}).get("fit_loop")
    missing = missing_entries(trainer.fit_loop.state_dict(), stored)
    if missing:
        raise ZooError(f"{cannot}: it lacks {missing[0]} (zoo eval and zoo predict still read its weights)")


def missing_entries(expected: Any, stored: Any, where: str = "loops.fit_loop") -> list[str]:
    """The dotted names of `expected`'s nested entries that `stored` lacks (or holds as another
    kind: a dict where a number belongs)."""
    if not isinstance(expected, dict):
        return [] if not isinstance(stored, dict) else [where]
    if not isinstance(stored, dict):
        return [where]
    missing = []
    for key, value in expected.items():
        missing += (
            [f"{where}/{key}"] if key not in stored else missing_entries(value, stored[key], f"{where}/{key}")
        )
    return missing


# --- the check an upgrade must pass ------------------------------------------------------------------
def missing_privates() -> list[str]:
    """The privates above that this Lightning no longer has, by name (empty when all are there)."""

    trainer = Trainer(logger=False, enable_checkpointing=False, enable_progress_bar=False)
    checkpoint = ModelCheckpoint()
    optimizer = LightningOptimizer(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1))
    wanted = [
        (trainer.fit_loop.epoch_loop, "_batches_that_stepped", "fit_loop.epoch_loop._batches_that_stepped"),
        (optimizer, "_on_before_step", "LightningOptimizer._on_before_step"),
        (optimizer, "_on_after_step", "LightningOptimizer._on_after_step"),
        (checkpoint, "_last_checkpoint_saved", "ModelCheckpoint._last_checkpoint_saved"),
        (checkpoint, "_last_global_step_saved", "ModelCheckpoint._last_global_step_saved"),
        (checkpoint, "_save_checkpoint", "ModelCheckpoint._save_checkpoint"),
        (LightningModule(), "_trainer", "LightningModule._trainer"),
        (
            migration,
            "_pl_migrate_checkpoint",
            "lightning.pytorch.utilities.migration.utils._pl_migrate_checkpoint",
        ),
    ]
    return [name for owner, attribute, name in wanted if not hasattr(owner, attribute)]
