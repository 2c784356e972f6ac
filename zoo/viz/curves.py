"""Curves of a training run: learning curves (loss and metrics per epoch) and the gradient norm
of each layer's weights (vanishing and exploding gradients, layer by layer)."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import numpy as np

from zoo.viz import new_figure, save_figure


def learning_curves(history: list[dict[str, float]], path: str | Path, title: str = "") -> Path:
    """One row per epoch ({"epoch": e, "train/loss": ..., "val/acc": ...}): losses on the left
    (log scale), every other metric on the right; the losses alone for a task without metrics."""
    keys = sorted({key for row in history for key in row if key != "epoch"})
    has_metrics = any(not key.endswith("loss") for key in keys)
    figure = new_figure(10 if has_metrics else 5.5, 4)
    loss_axes, metric_axes = figure.subplots(1, 2) if has_metrics else (figure.subplots(), None)
    for key in keys:
        points = [(row["epoch"], row[key]) for row in history if key in row and np.isfinite(row[key])]
        if not points:
            continue
        epochs, values = zip(*points, strict=True)
        axes = loss_axes if key.endswith("loss") else metric_axes
        axes.plot(epochs, values, marker="o", markersize=3, label=key)
    loss_axes.set_yscale("log")
    loss_axes.set_title("loss")
    if metric_axes is not None:
        metric_axes.set_title("metrics")
    # matplotlib loads when a plot is drawn, not when the module is imported
    from matplotlib.ticker import MaxNLocator

    for axes in (loss_axes, metric_axes) if metric_axes is not None else (loss_axes,):
        axes.set_xlabel("epoch")
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.grid(alpha=0.3)
        if axes.lines:
            axes.legend(fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    return save_figure(figure, path)


def gradient_norms(norms: dict[str, list[float]], path: str | Path, title: str = "") -> Path:
    """`norms`: for each weight matrix, input side first, its gradient's 2-norm at each logged
    step. Left: the mean norm per layer (log scale); right: each layer's norm over the steps."""
    figure = new_figure(10, 4)
    by_layer, over_steps = figure.subplots(1, 2)
    names = list(norms)
    means = [float(np.mean(norms[name])) for name in names]
    by_layer.semilogy(range(len(names)), means, marker="o")
    by_layer.set_xticks(
        range(len(names)), [name.removesuffix(".weight") for name in names], rotation=60, fontsize=7
    )
    by_layer.set_xlabel("layer (input → output)")
    by_layer.set_ylabel("mean ‖∂E/∂W‖₂")
    by_layer.grid(alpha=0.3)
    colors = [f"C{i % 10}" for i in range(len(names))]
    for name, color in zip(names, colors, strict=True):
        over_steps.semilogy(norms[name], color=color, label=name.removesuffix(".weight"))
    over_steps.set_xlabel("logged step")
    over_steps.grid(alpha=0.3)
    over_steps.legend(fontsize=6, ncol=2)
    if title:
        figure.suptitle(title, fontsize=10)
    return save_figure(figure, path)


def compared_curves(
    runs: dict[str, list[tuple[float, float]]],
    metric: str,
    path: str | Path,
    title: str = "",
    x_label: str = "epoch",
) -> Path:
    """One metric per epoch (or step) for several runs on one axes ({label: [(x, value), ...]}):
    the two sides of a claim (ResNet against plain net, attention against a fixed context), or
    two implementations that must agree (drawn solid, then dashed, so a curve on top of another
    still shows both). Losses on a log scale."""
    figure = new_figure(6, 4)
    axes = figure.subplots()
    for index, (label, points) in enumerate(runs.items()):
        points = [(x, value) for x, value in points if np.isfinite(value)]
        if points:
            xs, values = zip(*points, strict=True)
            marker = "o" if len(points) <= 100 else None
            axes.plot(xs, values, marker=marker, markersize=3, linestyle=("-", "--")[index % 2], label=label)
    if metric.endswith("loss"):
        axes.set_yscale("log")
    axes.set_xlabel(x_label)
    axes.set_ylabel(metric)
    axes.grid(alpha=0.3)
    if axes.lines:
        axes.legend(fontsize=8)
    if title:
        axes.set_title("\n".join(textwrap.wrap(title, 70)), fontsize=9)
    return save_figure(figure, path)


def epoch_values(run_dir: Path, metric: str) -> list[tuple[float, float]]:
    """(epoch, value) of an epoch-level metric (train/... or val/...) from a run's metrics.csv,
    epochs counted from 1."""
    path = Path(run_dir) / "metrics.csv"
    if not path.is_file():
        return []
    with path.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    column = next((key for key in (f"{metric}_epoch", metric) if rows and key in rows[0]), None)
    return [(float(row["epoch"]) + 1, float(row[column])) for row in rows if column and row.get(column)]
