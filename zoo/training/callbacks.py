"""The callbacks of a run, from the `callbacks` config group: the best and last checkpoints, early
stopping, the plots and the progress display."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

from zoo.training.plots import AttentionMaps, EvaluationPlots, GradientNorms, LearningCurves
from zoo.training.progress import progress_callbacks
from zoo.training.resume import LastCheckpoint
from zoo.training.steps import stops_inside_epoch


class ValidateAtStepLimit(L.Callback):
    """A run that trainer.max_steps ends inside an epoch is validated there (Lightning validates
    only at the end of an epoch, so its last steps would go unmeasured, and the best checkpoint
    would be chosen without them): the step limit asks the loop to stop, and a stop request
    validates first."""

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if stops_inside_epoch(trainer, trainer.global_step):
            trainer.should_stop = True


def build_callbacks(
    config: dict[str, Any], monitor: str, mode: str, output_dir: Path
) -> tuple[list[Any], bool]:
    """Callbacks from the `callbacks` config group; returns (callbacks, enable_progress_bar)."""

    checkpoint = ModelCheckpoint(
        dirpath=output_dir / "checkpoints",
        filename="best",
        monitor=config.get("monitor") or monitor,
        mode=config.get("mode") or mode,
        save_top_k=1,
        enable_version_counter=False,
    )
    callbacks: list[Any] = [
        checkpoint,
        LastCheckpoint(output_dir / "checkpoints", config.get("every_n_train_steps")),
    ]
    early_stopping = config.get("early_stopping")
    if early_stopping:
        callbacks.append(
            EarlyStopping(
                monitor=config.get("monitor") or monitor, mode=config.get("mode") or mode, **early_stopping
            )
        )
    plots = output_dir / "plots"
    if config.get("gradient_norms"):
        callbacks.append(GradientNorms(int(config["gradient_norms"]), plots / "gradient_norms.png"))
    if config.get("learning_curves", True):
        callbacks.append(LearningCurves(plots / "learning_curves.png"))
    if config.get("attention_maps"):
        callbacks.append(AttentionMaps(plots / "attention", int(config["attention_maps"])))
    if config.get("evaluation_plots", True):
        callbacks.append(EvaluationPlots(plots, weights=bool(config.get("weight_histogram"))))
    callbacks.append(ValidateAtStepLimit())
    progress, enable_bar = progress_callbacks(
        config.get("progress", "auto"), config.get("progress_every", "30s")
    )
    return callbacks + progress, enable_bar
