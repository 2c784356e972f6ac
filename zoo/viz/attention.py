"""Attention heatmaps: which source tokens (columns) each generated token (rows) looked at."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zoo.viz import new_figure, save_figure


def attention_map(
    weights: np.ndarray, source: list[str], target: list[str], path: str | Path, title: str = ""
) -> Path:
    """Save a (len(target) × len(source)) matrix of attention weights a_ij as a heatmap."""
    weights = np.asarray(weights, dtype=float)[: len(target), : len(source)]
    width = min(2.0 + 0.32 * len(source), 20.0)
    height = min(1.5 + 0.32 * len(target), 20.0)
    figure = new_figure(width, height)
    axes = figure.add_subplot()
    image = axes.imshow(weights, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
    axes.set_xticks(range(len(source)), [token.replace(" ", "␣") for token in source], rotation=90)
    axes.set_yticks(range(len(target)), [token.replace(" ", "␣") for token in target])
    axes.set_xlabel("source")
    axes.set_ylabel("generated")
    if title:
        axes.set_title(title, fontsize=9)
    figure.colorbar(image, ax=axes, shrink=0.8, label="attention weight")
    return save_figure(figure, path)
