"""Callbacks that draw what training shows, into <run>/plots and TensorBoard: gradient norms,
learning curves, attention maps after each validation, and each task's evaluation plots."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.loggers import TensorBoardLogger
from lightning.pytorch.utilities import grad_norm
from matplotlib.image import imread

from zoo.training.regularizers import penalised_weights
from zoo.viz.attention import attention_map
from zoo.viz.curves import gradient_norms, learning_curves
from zoo.viz.evaluation import weight_histogram


class GradientNorms(Callback):
    """Logs the 2-norm of each parameter's gradient (before clipping) every `every_n_steps` steps,
    as grad_2.0_norm/<parameter> columns in metrics.csv and TensorBoard: vanishing and exploding
    gradients made visible, layer by layer. With a `plot` path, the norms of the weight matrices
    are also drawn there at the end of training."""

    def __init__(self, every_n_steps: int = 50, plot: Path | None = None):
        self.every_n_steps, self.plot = every_n_steps, plot
        self.history: dict[str, list[float]] = {}

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: Any
    ) -> None:
        if trainer.global_step % self.every_n_steps == 0:
            norms = grad_norm(pl_module, norm_type=2)
            # written now, at this step: Lightning writes step values only at the steps that are
            # multiples of trainer.log_every_n_steps (and, under trainer.steps_per_batch, at the
            # end of a bundle), which would lose most of these
            pl_module.log_step_values(norms, step=trainer.global_step)
            weights = {name for name, p in pl_module.named_parameters() if p.ndim >= 2}
            for key, value in norms.items():
                name = key.partition("/")[2]
                if name in weights:
                    self.history.setdefault(name, []).append(float(value))

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.plot is not None and self.history and trainer.is_global_zero:
            gradient_norms(self.history, self.plot, title="gradient norm of each weight matrix")
            log_plot(trainer, "plots/gradient_norms", self.plot)


class LearningCurves(Callback):
    """Keeps the epoch-level train/ and val/ metrics and draws them at the end of training."""

    def __init__(self, plot: Path):
        self.plot = plot
        self.history: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        row = {"epoch": float(trainer.current_epoch + 1)}
        for key, value in trainer.callback_metrics.items():
            if key.startswith(("train/", "val/")) and not key.endswith("_step") and value.numel() == 1:
                row[key.removesuffix("_epoch")] = float(value)
        self.history.append(row)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.history and trainer.is_global_zero:
            learning_curves(self.history, self.plot)
            log_plot(trainer, "plots/learning_curves", self.plot)


class AttentionMaps(Callback):
    """After each validation, heatmaps of where the model looked for the first `count`
    validation examples (Task.attention_examples; none for models without attention):
    <folder>/epoch<E>_<i>.png."""

    def __init__(self, folder: Path, count: int = 3):
        self.folder, self.count = Path(folder), count

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero or trainer.datamodule is None:
            return

        examples = pl_module.attention_examples(trainer.datamodule, self.count)
        epoch = trainer.current_epoch
        for i, (weights, source, target) in enumerate(examples):
            path = attention_map(weights, source, target, self.folder / f"epoch{epoch:03d}_{i}.png",
                                 title=f"epoch {epoch}: validation example {i}")  # fmt: skip
            log_plot(trainer, f"plots/attention_{i}", path)


def log_plot(trainer: L.Trainer, tag: str, path: Path) -> None:
    """Show a saved PNG in TensorBoard too (under IMAGES), at the current step."""

    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            image = imread(path)[..., :3]  # RGBA floats in 0..1 -> RGB
            logger.experiment.add_image(tag, image, trainer.global_step, dataformats="HWC")


class EvaluationPlots(Callback):
    """At the end of training, what the model does, drawn into <run>/plots (and TensorBoard), as
    each kind of task draws it (Task.evaluation_plots): the confusion matrix and decision
    boundary of classifiers, the projected vectors of word embeddings, ..."""

    def __init__(self, folder: Path, weights: bool = False):
        self.folder, self.weights = Path(folder), weights  # weights: also plots/weights.png

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero or trainer.datamodule is None:
            return
        was_training = pl_module.training
        pl_module.eval()
        try:
            with torch.no_grad():
                plots = pl_module.evaluation_plots(trainer.datamodule, self.folder)
        finally:
            pl_module.train(was_training)
        if self.weights:
            weights = [w.detach().float().flatten().cpu() for w in penalised_weights(pl_module.net)]
            weights = torch.cat(weights)
            plots.append(("plots/weights", weight_histogram(weights.numpy(), self.folder / "weights.png")))
        for tag, path in plots:
            log_plot(trainer, tag, path)
