"""Several optimizer steps per Lightning batch (`trainer.steps_per_batch`), for every task.

The training loader hands over a bundle of batches (zoo.data.base.Bundles) and the task takes the
steps itself under Lightning's manual optimisation: for each batch what the automatic loop does
(loss, zero_grad, backward, clip, step, step-interval schedulers), then the metrics and logs once
for the bundle, as one step per batch logs them. Lightning's own work per batch - its loops, hooks
and callbacks, 1-2 ms on a small CPU - is then paid once per bundle. Mixed into
zoo.tasks.base.Task, whose `loss_and_outputs`, `penalty`, `update_metrics` and `train_loss` it uses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import lightning as L
import torch
from lightning.pytorch.plugins.precision import MixedPrecision, Precision
from lightning.pytorch.strategies import SingleDeviceStrategy

from zoo.data.base import TensorDataModule
from zoo.errors import ZooError
from zoo.training.lightning_internals import count_extra_batches, step_counted

if TYPE_CHECKING:
    from zoo.data.base import DataModule


def stops_inside_epoch(trainer: L.Trainer, steps_done: int) -> bool:
    """Whether trainer.max_steps ends the run at `steps_done`, inside an epoch: the loop is asked to
    stop there (zoo.training.callbacks.ValidateAtStepLimit), which validates, and Lightning's logger
    then writes that step's values - its loss is logged there, in bundles or not, so that no stale
    value is written at a new step."""
    at_limit = 0 <= trainer.max_steps <= steps_done
    return at_limit and not trainer.fit_loop.epoch_loop.batch_progress.is_last_batch


class BundledSteps:
    """Task methods for trainer.steps_per_batch. With 1 step per batch Lightning's automatic
    optimisation takes the steps; `log_step_values` and `total_optimizer_steps` serve both."""

    def take_steps_per_batch(
        self, steps: int, gradient_clip_val: float | None = None, gradient_clip_algorithm: str = "norm"
    ) -> None:
        """Train on bundles of `steps` batches (zoo.data.base.Bundles) with one optimizer step per
        batch: the same steps as Lightning's automatic optimisation, taken here (manual
        optimisation), so that Lightning's per-batch work is paid once per bundle. Gradient
        clipping then happens in `on_before_optimizer_step` (Lightning refuses its own clipping
        under manual optimisation)."""
        self.steps_per_batch = steps
        self.automatic_optimization = steps == 1
        self.gradient_clipping = (gradient_clip_val, gradient_clip_algorithm)

    def bundle_step(self, bundle: list[Any], bundle_idx: int) -> torch.Tensor | None:
        """For each batch of the bundle what the automatic loop does for one: loss, zero_grad,
        backward, clip, optimizer step, step-interval schedulers; then the metrics, the epoch's
        mean loss and the loss of every `log_every_n_steps`-th step, exactly as one step per batch
        logs them. Returns the bundle's losses (NonFiniteLossGuard reads them)."""
        trainer, optimizer = self.trainer, self.optimizers()
        plain_steps = self.can_step_plainly()
        max_steps, log_every = trainer.max_steps, trainer.log_every_n_steps
        losses, sizes, predictions, targets = [], [], [], []
        logged_steps = []  # the steps whose loss the logger writes (every log_every_n_steps-th)
        step = self.global_step  # counted here: Lightning's count is a chain of properties
        # callbacks that follow each step inside a bundle (progress lines): on_step_in_bundle(trainer,
        # step, loss). A bundle is not cut short: resuming counts whole bundles (a SIGTERM waits)
        listeners = [callback for callback in trainer.callbacks if hasattr(callback, "on_step_in_bundle")]
        for index, batch in enumerate(bundle):
            if 0 <= max_steps <= step:
                break  # Lightning stops after this bundle: no step past max_steps
            loss, prediction, target = self.loss_and_outputs(batch, "train")
            objective = loss if self.regularizer is None else loss + self.penalty(target.shape[0])
            if plain_steps:
                self.plain_optimizer_step(optimizer, objective)
            else:
                optimizer.zero_grad(set_to_none=True)
                self.manual_backward(objective)  # scales the loss, prepares DDP's gradient sync
                optimizer.step()  # calls the on_before_optimizer_step hooks, counts global_step
            step += 1
            if trainer.lr_scheduler_configs:
                self.step_schedulers("step", batch_in_epoch=bundle_idx * self.steps_per_batch + index)
            losses.append(loss.detach())
            sizes.append(target.shape[0])
            predictions.append(prediction)
            targets.append(target)
            if step % log_every == 0:
                logged_steps.append(len(losses) - 1)
            for listener in listeners:
                listener.on_step_in_bundle(trainer, step, loss)
        if not losses:
            return None
        if stops_inside_epoch(trainer, step) and len(losses) - 1 not in logged_steps:
            logged_steps.append(len(losses) - 1)  # the step a stop comes at is logged (as one step)
        values = torch.stack(losses)
        if logged_steps:  # written after the bundle: one host sync for all, not one per logged step
            first_step = step - len(losses)
            for index, value in zip(logged_steps, values[logged_steps].tolist(), strict=True):
                self.write_step_row({"train/loss_step": value}, step=first_step + index)
        self.update_metrics("train", predictions, targets)
        self.train_loss.update(values, sizes)
        if self.train_loss.update_count == 1:
            self.log("train/loss", self.train_loss, on_step=False, on_epoch=True, prog_bar=True)
        if bundle_idx + 1 == trainer.num_training_batches:
            self.step_schedulers("epoch")  # where the automatic loop steps them: before validation
        # Lightning counts logged steps in batches: count this bundle's steps, so that the epoch's
        # values are logged at the same step as with one batch per step.
        count_extra_batches(trainer, len(losses) - 1)
        return values

    def can_step_plainly(self) -> bool:
        """Whether a step may skip Lightning's wrappers (plain_optimizer_step): one process, no
        loss scaling, and no callback or subclass with a hook around backward or the step."""
        trainer = self.trainer
        plugin = trainer.precision_plugin
        one_process = isinstance(trainer.strategy, SingleDeviceStrategy)
        # 16-mixed scales the loss (a GradScaler); 32-bit and bf16 do not
        unscaled = type(plugin) in (Precision, MixedPrecision) and getattr(plugin, "scaler", None) is None
        hooks = ("on_before_backward", "on_after_backward", "on_before_optimizer_step")
        hooked = any(
            getattr(type(c), h) is not getattr(L.Callback, h) for c in trainer.callbacks for h in hooks
        )
        own = type(self)
        own_hooks_plain = (
            own.on_before_backward is L.LightningModule.on_before_backward
            and own.on_after_backward is L.LightningModule.on_after_backward
            and own.on_before_optimizer_step is BundledSteps.on_before_optimizer_step
        )
        return one_process and unscaled and not hooked and own_hooks_plain

    def plain_optimizer_step(self, optimizer: Any, objective: torch.Tensor) -> None:
        """zero_grad, backward, clip, step: what manual_backward and LightningOptimizer.step do
        in this case, without dispatching hooks nobody has (half a millisecond a step on a slow
        CPU: most of what a small model's step costs beyond a hand-written loop's)."""
        plain = optimizer.optimizer
        plain.zero_grad(set_to_none=True)
        objective.backward()
        self.on_before_optimizer_step(plain)  # gradient clipping
        step_counted(optimizer, plain.step)  # Lightning's step count (global_step) around the step

    def log_step_values(self, values: dict[str, torch.Tensor], step: int) -> None:
        """Write one step's values to the loggers now, at that step (what Lightning's logger
        connector does at the end of a batch, for a step inside a bundle)."""
        numbers = torch.stack([value.detach().float() for value in values.values()]).tolist()  # one read
        self.write_step_row(dict(zip(values, numbers, strict=True)), step)

    def write_step_row(self, row: dict[str, float], step: int) -> None:
        for logger in self.loggers:
            logger.log_metrics(row, step=step)

    def step_schedulers(self, interval: str, batch_in_epoch: int = 0, plateau: bool = False) -> None:
        """Under manual optimisation, the learning-rate schedulers are stepped here, at the points
        and with the frequencies Lightning's automatic loop uses."""
        for config in self.trainer.lr_scheduler_configs:
            on_plateau = isinstance(config.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
            if config.interval != interval or on_plateau != plateau:
                continue
            count = batch_in_epoch + 1 if interval == "step" else self.current_epoch + 1
            if count % config.frequency:
                continue
            if on_plateau:
                value = self.trainer.callback_metrics.get(self.plateau_monitor)
                if value is None:
                    raise ZooError(
                        f"the scheduler monitors {self.plateau_monitor}, which this run does not log"
                    )
                config.scheduler.step(value)
            else:
                config.scheduler.step()

    def on_train_epoch_end(self) -> None:
        if not self.automatic_optimization:
            self.step_schedulers("epoch", plateau=True)  # after validation, as Lightning does

    def on_before_optimizer_step(self, optimizer: Any) -> None:
        """Manual optimisation: clip here, after Lightning has unscaled mixed-precision gradients."""
        value, algorithm = getattr(self, "gradient_clipping", (None, "norm"))
        if not self.automatic_optimization and value:
            self.configure_gradient_clipping(optimizer, value, algorithm)

    def total_optimizer_steps(self) -> int:
        """The optimizer steps this fit takes (OneCycleLR's total): Lightning's estimate, which
        counts batches - under trainer.steps_per_batch, bundles - turned into steps."""
        estimate = self.trainer.estimated_stepping_batches  # sets up the training loader if needed
        trainer = self.trainer
        if self.automatic_optimization or trainer.max_epochs in (None, -1):
            return int(estimate)  # counts steps when max_steps alone decides
        batches_per_epoch = trainer.train_dataloader.num_batches  # zoo.data.base's bundling loaders
        total = batches_per_epoch * trainer.max_epochs
        return min(total, trainer.max_steps) if trainer.max_steps >= 0 else total


# trainer.steps_per_batch=auto: bundles of this many batches where the data is held in memory
AUTO_STEPS_PER_BATCH = 32
# Lightning options counted in its batches, which a bundle of several steps would change
COUNTED_IN_BATCHES = ("accumulate_grad_batches", "val_check_interval", "limit_train_batches")


def resolve_steps_per_batch(config: dict[str, Any], datamodule: DataModule) -> int:
    """trainer.steps_per_batch as a number: `auto` bundles batches when the data module can
    (zoo.data.base.TensorDataModule: the splits are in memory) and nothing counts Lightning
    batches; an explicit number > 1 that cannot work is one clear line."""
    trainer = config["trainer"]
    value = trainer.get("steps_per_batch", 1)
    conflicts = [f"trainer.{key}" for key in COUNTED_IN_BATCHES if trainer.get(key) not in (None, 1, 1.0)]
    if (config.get("callbacks") or {}).get("every_n_train_steps"):
        conflicts.append("callbacks.every_n_train_steps")
    can_bundle = isinstance(datamodule, TensorDataModule)
    if value == "auto":
        return AUTO_STEPS_PER_BATCH if can_bundle and not conflicts else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ZooError(f"trainer.steps_per_batch must be a positive integer or auto, got {value!r}")
    if value > 1 and not can_bundle:
        raise ZooError(
            f"trainer.steps_per_batch={value}: {type(datamodule).__name__} yields one batch at a "
            "time (it does not hold its data in memory); use trainer.steps_per_batch=1"
        )
    if value > 1 and conflicts:
        raise ZooError(
            f"trainer.steps_per_batch={value} cannot be combined with {', '.join(conflicts)}, which "
            "count Lightning batches; use trainer.steps_per_batch=1"
        )
    return value


def use_bundled_steps(
    task: Any, datamodule: DataModule, config: dict[str, Any], trainer_options: dict[str, Any]
) -> int:
    """trainer.steps_per_batch, enabled in the one place it is: the data module hands over
    bundles and the task steps through them (taking over gradient clipping from Lightning, which
    clips only under its automatic optimisation). Returns the steps per batch (1: off)."""
    steps = resolve_steps_per_batch(config, datamodule)
    if steps > 1:
        datamodule.steps_per_batch = steps
        task.take_steps_per_batch(
            steps,
            trainer_options.pop("gradient_clip_val", None),
            trainer_options.pop("gradient_clip_algorithm", None) or "norm",
        )
    return steps
