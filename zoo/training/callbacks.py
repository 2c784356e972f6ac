"""The callbacks of a run, from the `callbacks` config group: the best and last checkpoints, early
stopping, the plots and the progress display."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import EarlyStopping, ModelCheckpoint

from zoo.training.plots import AttentionMaps, EvaluationPlots, GradientNorms, LearningCurves
from zoo.training.progress import progress_callbacks
from zoo.training.resume import LastCheckpoint


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
    progress, enable_bar = progress_callbacks(
        config.get("progress", "auto"), config.get("progress_every", "30s")
    )
    return callbacks + progress, enable_bar
