"""The part every task shares: building the net, the train/val/test step, metrics, logging,
regularisation and the optimizer. A task subclass says only how to compute its loss and outputs.

Metrics and logging are written once here for all three stages: a subclass returns
(loss, metric_input, target) from `loss_and_outputs`, and `make_metrics` builds one torchmetrics
collection that is cloned per stage.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import lightning as L
import torch
from lightning.pytorch.plugins.precision import MixedPrecision, Precision
from lightning.pytorch.strategies import SingleDeviceStrategy
from torchmetrics import MeanMetric, MetricCollection

from zoo.errors import ZooError
from zoo.models import build_net
from zoo.training.checkpoint import ZOO_KEY
from zoo.training.optim import build_optimizer, build_scheduler
from zoo.training.regularizers import build_regularizer

STAGES = ("train", "val", "test")


class Task(L.LightningModule):
    """Base LightningModule. Subclasses call `self.save_hyperparameters()` first in __init__
    (all arguments are plain Python types, so checkpoints load with weights_only=True), then
    `self.setup_task(net_spec)`."""

    monitor: ClassVar[str] = "val/loss"
    monitor_mode: ClassVar[str] = "min"

    def setup_task(
        self, net_spec: dict[str, Any], compile: bool = False, channels_last: bool = False
    ) -> None:
        """Build the net. `channels_last` stores conv weights and inputs as NHWC (tensor cores);
        `compile` compiles the net in place (nn.Module.compile), which keeps state-dict keys
        unchanged, so compiled and uncompiled checkpoints are interchangeable."""
        self.net = build_net(net_spec)
        self.channels_last = channels_last
        if channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)
        if compile:
            self.net.compile()
        self.regularizer = build_regularizer(self.hparams.get("regularizer"))
        metrics = self.make_metrics()
        # Attribute names, not a ModuleDict keyed by stage: "train" is a reserved Module attribute.
        for stage in STAGES:
            setattr(self, f"{stage}_metrics", metrics.clone(prefix=f"{stage}/"))
        # nan_strategy="disable": a non-finite loss shows in the mean, and no step waits on a check
        self.train_loss = MeanMetric(nan_strategy="disable")
        self.num_train_examples = 1
        self.run_config: dict[str, Any] | None = None  # set by `zoo train` and zoo.create_model
        self.take_steps_per_batch(1)

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """checkpoint["zoo"]: the task class and the composed run config (JSON), so that a
        checkpoint alone is enough for `zoo eval`, `zoo predict` and zoo.load, whichever
        Trainer wrote it."""
        if self.run_config is not None:
            checkpoint[ZOO_KEY] = {
                "task": self.run_config["model"]["_target_"],
                "config": json.dumps(self.run_config),
            }

    # --- what a subclass provides -------------------------------------------------------------
    def make_metrics(self) -> MetricCollection:
        raise NotImplementedError

    def loss_and_outputs(
        self, batch: Any, stage: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(mean loss over the batch, what the metrics take as predictions, the target); `stage`
        is "train"/"val"/"test" inside the loops, None for a one-off call."""
        raise NotImplementedError

    # --- shared machinery ---------------------------------------------------------------------
    def forward(self, x: torch.Tensor, *more: torch.Tensor) -> torch.Tensor:
        if self.channels_last and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.net(x, *more)

    def on_train_start(self) -> None:
        dataset = getattr(self.trainer.train_dataloader, "dataset", None)
        self.num_train_examples = len(dataset) if dataset is not None else 1

    def shared_step(self, batch: Any, stage: str) -> torch.Tensor:
        loss, predictions, target = self.loss_and_outputs(batch, stage)
        self.update_metrics(stage, [predictions], [target])
        batch_size = target.shape[0]
        if stage != "train":  # averaged across devices, once per epoch
            self.log(
                f"{stage}/loss", loss, on_epoch=True, prog_bar=True, batch_size=batch_size, sync_dist=True
            )
            return loss
        self.log_training_loss(loss, batch_size)
        return loss if self.regularizer is None else loss + self.penalty(batch_size)

    def update_metrics(
        self, stage: str, predictions: list[torch.Tensor], targets: list[torch.Tensor]
    ) -> None:
        """One update with the batches' outputs together when they fit side by side (a bundle's),
        else one per batch: every metric the zoo uses sums over examples, so both count the same."""
        metrics = getattr(self, f"{stage}_metrics")
        if not len(metrics):  # a task whose only measure is its loss has none
            return
        if len(predictions) > 1 and all(p.shape[1:] == predictions[0].shape[1:] for p in predictions):
            predictions, targets = [torch.cat(predictions)], [torch.cat(targets)]
        for prediction, target in zip(predictions, targets, strict=True):
            metrics.update(prediction, target)
        if max(metric.update_count for metric in metrics.values()) == len(predictions):
            # Metric objects are logged once per epoch, after their first update: Lightning then
            # computes and resets them at the epoch's end. Logging them at every step costs more than
            # a small model's whole step (Lightning moves each logged object to the device again).
            batch_size = targets[0].shape[0]
            self.log_dict(metrics, on_step=False, on_epoch=True, prog_bar=True, batch_size=batch_size)

    def penalty(self, batch_size: int) -> torch.Tensor:
        """The regulariser's term of this step's objective, logged as the epoch's mean."""
        penalty = self.regularizer(self.net, self.num_train_examples)
        self.log("train/penalty", penalty, on_step=False, on_epoch=True, batch_size=batch_size)
        return penalty

    def log_training_loss(self, loss: torch.Tensor, batch_size: int) -> None:
        """train/loss: the epoch's mean, accumulated on the device at every step; train/loss_step:
        the loss of every `trainer.log_every_n_steps`-th step, logged only at the steps the logger
        writes (a log call per step, and on a GPU a host sync, for values nobody sees)."""
        self.train_loss.update(loss.detach(), batch_size)
        if self.train_loss.update_count == 1:
            self.log("train/loss", self.train_loss, on_step=False, on_epoch=True, prog_bar=True)
        every = self.trainer.log_every_n_steps if self._trainer is not None else 1
        if (self.global_step + 1) % every == 0:
            self.log("train/loss_step", loss, on_step=True, on_epoch=False, prog_bar=True)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor | None:
        if not self.automatic_optimization:
            return self.bundle_step(batch, batch_idx)
        return self.shared_step(batch, "train")

    # --- several optimizer steps per Lightning batch (trainer.steps_per_batch) ----------------
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
        step = self.global_step  # counted here: Lightning's count is a chain of properties
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
                self.log_step_values({"train/loss_step": loss}, step=step - 1)
        if not losses:
            return None
        self.update_metrics("train", predictions, targets)
        values = torch.stack(losses)
        self.train_loss.update(values, torch.tensor(sizes, device=values.device, dtype=values.dtype))
        if self.train_loss.update_count == 1:
            self.log("train/loss", self.train_loss, on_step=False, on_epoch=True, prog_bar=True)
        if bundle_idx + 1 == trainer.num_training_batches:
            self.step_schedulers("epoch")  # where the automatic loop steps them: before validation
        # Lightning counts logged steps in batches: count this bundle's steps, so that the epoch's
        # values are logged at the same step as with one batch per step.
        trainer.fit_loop.epoch_loop._batches_that_stepped += len(losses) - 1
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
            and own.on_before_optimizer_step is Task.on_before_optimizer_step
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
        optimizer._on_before_step()  # Lightning's step count (global_step), as LightningOptimizer.step
        plain.step()
        optimizer._on_after_step()

    def log_step_values(self, values: dict[str, torch.Tensor], step: int) -> None:
        """Write one step's values to the loggers now, at that step (what Lightning's logger
        connector does at the end of a batch, for a step inside a bundle)."""
        row = {key: float(value.detach()) for key, value in values.items()}
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

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self.shared_step(batch, "val")

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self.shared_step(batch, "test")

    def configure_gradient_clipping(
        self,
        optimizer: Any,
        gradient_clip_val: float | None = None,
        gradient_clip_algorithm: str | None = None,
    ) -> None:
        """Lightning refuses to clip for optimizers that unscale gradients in their own step (fused
        Adam/AdamW) under mixed precision, though bf16 has no loss scale to undo: clip directly there."""
        fused = getattr(optimizer, "_step_supports_amp_scaling", False)
        if gradient_clip_val and fused and self.trainer.precision == "bf16-mixed":
            parameters = [p for group in optimizer.param_groups for p in group["params"]]
            if gradient_clip_algorithm == "value":
                torch.nn.utils.clip_grad_value_(parameters, gradient_clip_val)
            else:
                torch.nn.utils.clip_grad_norm_(parameters, gradient_clip_val)
            return
        super().configure_gradient_clipping(optimizer, gradient_clip_val, gradient_clip_algorithm)

    def total_optimizer_steps(self) -> int:
        """The optimizer steps this fit takes (OneCycleLR's total): Lightning's estimate, which
        counts batches - under trainer.steps_per_batch, bundles - turned into steps."""
        estimate = self.trainer.estimated_stepping_batches  # sets up the training loader if needed
        trainer = self.trainer
        if self.automatic_optimization or trainer.max_epochs in (None, -1):
            return int(estimate)  # counts steps when max_steps alone decides
        batches_per_epoch = len(trainer.train_dataloader.loader)  # zoo.data.base.Bundles
        total = batches_per_epoch * trainer.max_epochs
        return min(total, trainer.max_steps) if trainer.max_steps >= 0 else total

    def configure_optimizers(self) -> Any:
        optimizer_config = self.hparams.get("optimizer") or {"_target_": "torch.optim.Adam", "lr": 1e-3}
        optimizer = build_optimizer(self.named_parameters(), optimizer_config)
        total_steps = self.total_optimizer_steps() if self._trainer is not None else None
        scheduler = build_scheduler(optimizer, self.hparams.get("scheduler"), total_steps)
        if scheduler is None:
            return optimizer
        if not self.automatic_optimization:  # Lightning ignores (and warns of) the monitor then
            self.plateau_monitor = scheduler.pop("monitor", "val/loss")
        return {"optimizer": optimizer, "lr_scheduler": scheduler}
