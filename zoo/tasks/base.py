"""The part every task shares in training: the train/val/test step, metrics, logging,
regularisation and the optimizer. A task subclass says only how to compute its loss and outputs;
its kind's Inference class (zoo.tasks.inference), which it inherits first, builds the net and
says how it predicts from raw input.

Metrics and logging are written once here for all three stages: a subclass returns
(loss, metric_input, target) from `loss_and_outputs`, and `make_metrics` builds one torchmetrics
collection that is cloned per stage.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import lightning as L
import torch
from torch import nn
from torchmetrics import MetricCollection

from zoo.allowlist import REGISTERED_CLASSES
from zoo.checkpoint import ZOO_KEY
from zoo.errors import ZooError
from zoo.tasks.inference.base import Inference
from zoo.tasks.metrics import WeightedMean
from zoo.training.lightning_internals import attached_trainer
from zoo.training.optim import build_optimizer, build_scheduler, merge_undecayed_groups
from zoo.training.regularizers import build_regularizer
from zoo.training.steps import BundledSteps, stops_inside_epoch

if TYPE_CHECKING:
    from zoo.data.base import DataModule

STAGES = ("train", "val", "test")
# Every task class, by the dotted path a config or checkpoint names it with: filled as each class
# is defined (Task.__init_subclass__). A checkpoint can only name a class some running code
# defined; the zoo's own are also known as zoo.tasks.<Name>.
TASKS: dict[str, type[Task]] = {}


class Task(Inference, BundledSteps, L.LightningModule):
    """Base LightningModule. A zoo task is `Kind(KindInference, Task)`: its __init__ calls
    super().__init__ with the arguments the Inference class takes (which builds the net), then
    `self.save_hyperparameters()` (all arguments are plain Python types, so checkpoints load with
    weights_only=True) and `self.setup_training()`. A task without an Inference class of its own
    calls `self.save_hyperparameters()` then `self.setup_task(net_spec)`, and defines predict_raw
    itself (zoo.load then builds the whole task)."""

    monitor: ClassVar[str] = "val/loss"
    monitor_mode: ClassVar[str] = "min"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)

        names = [f"{cls.__module__}.{cls.__qualname__}"]
        if cls.__module__.startswith("zoo.tasks."):
            names.append(f"zoo.tasks.{cls.__name__}")
        for name in names:
            TASKS[name] = cls
            REGISTERED_CLASSES.add(name)

    def setup_task(
        self, net_spec: dict[str, Any], compile: bool = False, channels_last: bool = False
    ) -> None:
        """Build the net (Inference.build_net) and what training needs."""
        self.build_net(net_spec, compile, channels_last)
        self.setup_training()

    def setup_training(self) -> None:
        """The regulariser, the metrics of each stage and the training loss's running mean."""
        self.regularizer = build_regularizer(self.hparams.get("regularizer"))
        metrics = self.make_metrics()
        # Attribute names, not a ModuleDict keyed by stage: "train" is a reserved Module attribute.
        for stage in STAGES:
            setattr(self, f"{stage}_metrics", metrics.clone(prefix=f"{stage}/"))
        self.train_loss = WeightedMean()
        self.num_train_examples = 1
        self.run_config: dict[str, Any] | None = None  # set by `zoo train` and zoo.create_task
        self.take_steps_per_batch(1)

    # --- what differs by kind of task in training (predict_raw, onnx_example: Inference) ---------
    def evaluation_plots(self, datamodule: DataModule, folder: Path) -> list[tuple[str, Path]]:
        """After training: the plots that show what this kind of model does, as (name, file)."""
        return []

    def attention_examples(
        self, datamodule: DataModule, count: int
    ) -> list[tuple[Any, list[str], list[str]]]:
        """Where the model looks, for the first `count` validation examples: (weights (target,
        source), source tokens, output tokens) each; none for a model without attention."""
        return []

    def input_converter(self) -> Callable[[Any], Any] | None:
        """The trainer's conversion of input batches (float64 under trainer.precision=64), for
        work done outside Lightning's loops; None when no trainer is attached."""
        trainer = attached_trainer(self)
        return trainer.precision_plugin.convert_input if trainer is not None else None

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """checkpoint["zoo"]: the task class and the composed run config (JSON), so that a
        checkpoint alone is enough for `zoo eval`, `zoo predict` and zoo.load, whichever
        Trainer wrote it."""
        if self.run_config is not None:
            checkpoint[ZOO_KEY] = {
                "task": self.run_config["model"]["_target_"],
                "config": json.dumps(self.run_config),
            }
            inference = inference_class(type(self))
            if inference is not None:  # zoo.load builds it alone, without Lightning
                checkpoint[ZOO_KEY]["inference"] = f"{inference.__module__}.{inference.__qualname__}"

    # --- what a subclass provides -------------------------------------------------------------
    def make_metrics(self) -> MetricCollection:
        raise NotImplementedError

    def loss_and_outputs(
        self, batch: Any, stage: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(mean loss over the batch, what the metrics take as predictions, the target); `stage`
        is "train"/"val"/"test" inside the loops, None for a one-off call."""
        raise NotImplementedError

    def tokens_in(self, batch: Any) -> torch.Tensor | int | None:
        """The real tokens (not padding) a training batch holds, for the run's tokens/s
        (zoo.training.speed); None for a task whose examples are not sequences."""
        return None

    # --- shared machinery ---------------------------------------------------------------------
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
        trainer = attached_trainer(self)
        every = trainer.log_every_n_steps if trainer is not None else 1
        stop = trainer is not None and stops_inside_epoch(trainer, self.global_step + 1)
        if (self.global_step + 1) % every == 0 or stop:
            self.log("train/loss_step", loss, on_step=True, on_epoch=False, prog_bar=True)

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor | None:
        if not self.automatic_optimization:
            return self.bundle_step(batch, batch_idx)
        return self.shared_step(batch, "train")

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

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        optimizer_config = self.hparams.get("optimizer") or {}
        merge_undecayed_groups(checkpoint, optimizer_config.get("weight_decay", 0.0) or 0.0)

    def configure_optimizers(self) -> Any:
        optimizer_config = self.hparams.get("optimizer")
        if not optimizer_config:  # the defaults live in configs/optimizer/, not here
            raise ZooError(
                f"this {type(self).__name__} has no optimizer config: build it with zoo.create_task "
                "(or give optimizer={_target_: torch.optim.Adam, lr: 0.001})"
            )
        sparse = {
            f"{module_name}.weight" if module_name else "weight"
            for module_name, module in self.named_modules()
            if isinstance(module, nn.Embedding) and module.sparse
        }
        optimizer = build_optimizer(self.named_parameters(), optimizer_config, sparse)
        total_steps = self.total_optimizer_steps() if attached_trainer(self) is not None else None
        scheduler = build_scheduler(optimizer, self.hparams.get("scheduler"), total_steps)
        if scheduler is None:
            return optimizer
        if not self.automatic_optimization:  # Lightning ignores (and warns of) the monitor then
            self.plateau_monitor = scheduler.pop("monitor", "val/loss")
        return {"optimizer": optimizer, "lr_scheduler": scheduler}


def inference_class(task_class: type[Task]) -> type[Inference] | None:
    """The task's own Inference class (the first in its bases that is not a Task), or None for a
    task that predicts through its Lightning class only."""
    for cls in task_class.__mro__:
        if issubclass(cls, Inference) and not issubclass(cls, Task) and cls is not Inference:
            return cls
    return None
