"""What a trained model does, drawn: the confusion matrix of a classifier, the decision boundary
of a classifier of 2-D points (with the line of each hidden unit: how a one-hidden-layer net
approximates a curved boundary by a polygon), word vectors projected to 2-D with labels, and the
histogram of a net's weights (what a regulariser did to them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from zoo.viz import new_figure, save_figure


def confusion_matrix(matrix: np.ndarray, class_names: list[str], path: str | Path, title: str = "") -> Path:
    """matrix[i, j]: how many examples of true class i were predicted as class j. Cells show the
    share of the true class (row-normalised) and are labelled with the counts when few enough."""
    matrix = np.asarray(matrix, dtype=np.float64)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(4.0, 0.45 * len(class_names) + 2)
    figure = new_figure(size + 1, size)
    axes = figure.subplots()
    image = axes.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    figure.colorbar(image, ax=axes, label="share of the true class")
    ticks = range(len(class_names))
    axes.set_xticks(ticks, class_names, rotation=60 if len(class_names) > 6 else 0, fontsize=8)
    axes.set_yticks(ticks, class_names, fontsize=8)
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    if len(class_names) <= 20:
        for i in ticks:
            for j in ticks:
                color = "white" if shares[i, j] > 0.5 else "black"
                axes.text(j, i, f"{int(matrix[i, j])}", ha="center", va="center", fontsize=7, color=color)
    accuracy = np.trace(matrix) / max(matrix.sum(), 1)
    axes.set_title(f"{title + ': ' if title else ''}accuracy {accuracy:.3f} on {int(matrix.sum())} examples")
    return save_figure(figure, path)


def decision_boundary(
    probability: Callable[[np.ndarray], np.ndarray],
    points: np.ndarray,
    labels: np.ndarray,
    path: str | Path,
    hidden_lines: tuple[np.ndarray, np.ndarray] | None = None,
    title: str = "",
) -> Path:
    """`probability(grid (N, 2)) -> (N, C)`: the class probabilities over the plane. Coloured
    regions: the predicted class; the black curve: where the top class changes (p = 0.5 for two
    classes). `hidden_lines` = (W (H, 2), b (H,)) of a first hidden layer: unit h switches on
    across the line W_h · x + b_h = 0, and the boundary is pieced together from these lines."""
    low, high = points.min(axis=0), points.max(axis=0)
    margin = 0.15 * (high - low)
    low, high = low - margin, high + margin
    xs, ys = np.linspace(low[0], high[0], 200), np.linspace(low[1], high[1], 200)
    grid_x, grid_y = np.meshgrid(xs, ys)
    grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1)
    probabilities = probability(grid)
    predicted = probabilities.argmax(axis=1).reshape(grid_x.shape)
    classes = probabilities.shape[1]
    figure = new_figure(6, 5.5)
    axes = figure.subplots()
    axes.contourf(grid_x, grid_y, predicted, levels=np.arange(classes + 1) - 0.5, cmap="coolwarm", alpha=0.35)
    axes.contour(grid_x, grid_y, predicted, levels=np.arange(classes) + 0.5, colors="black", linewidths=1.5)
    axes.scatter(points[:, 0], points[:, 1], c=labels, cmap="coolwarm", s=10, edgecolors="k", linewidths=0.3)
    if hidden_lines is not None:
        weights, biases = hidden_lines
        for w, b in zip(weights, biases, strict=True):  # w·x + b = 0
            if abs(w[1]) > abs(w[0]):
                axes.plot(xs, -(w[0] * xs + b) / w[1], color="grey", linewidth=0.8, linestyle="--")
            elif abs(w[0]) > 0:
                axes.plot(-(w[1] * ys + b) / w[0], ys, color="grey", linewidth=0.8, linestyle="--")
        axes.plot([], [], color="grey", linestyle="--", label=f"the {len(biases)} hidden units' lines")
        axes.legend(loc="upper right", fontsize=8)
    axes.set_xlim(low[0], high[0])
    axes.set_ylim(low[1], high[1])
    axes.set_xlabel("x₁ (model input)")
    axes.set_ylabel("x₂ (model input)")
    if title:
        axes.set_title(title)
    return save_figure(figure, path)


def embedding_projection(
    vectors: np.ndarray, words: list[str], path: str | Path, labels: list[str] | None = None, title: str = ""
) -> Path:
    """Word vectors projected on their first two principal components, each point named by its
    word and coloured by its label (e.g. part of speech): words used alike should cluster."""
    centred = vectors - vectors.mean(axis=0)
    _, singular, directions = np.linalg.svd(centred, full_matrices=False)
    projected = centred @ directions[:2].T
    explained = singular[:2] ** 2 / max(float((singular**2).sum()), 1e-12)
    figure = new_figure(8, 7)
    axes = figure.subplots()
    kinds = sorted(set(labels)) if labels else [""]
    for number, kind in enumerate(kinds):
        chosen = [i for i in range(len(words)) if not labels or labels[i] == kind]
        axes.scatter(
            projected[chosen, 0], projected[chosen, 1], s=18, color=f"C{number % 10}", label=kind or None
        )
    for (x, y), word in zip(projected, words, strict=True):
        axes.annotate(word, (x, y), fontsize=7, xytext=(2, 2), textcoords="offset points")
    if labels:
        axes.legend(fontsize=8, loc="best")
    axes.set_xlabel(f"principal component 1 ({explained[0]:.0%} of the variance)")
    axes.set_ylabel(f"principal component 2 ({explained[1]:.0%} of the variance)")
    axes.grid(alpha=0.3)
    if title:
        axes.set_title(title)
    return save_figure(figure, path)


def weight_histogram(weights: np.ndarray, path: str | Path, title: str = "") -> Path:
    """The magnitudes |w| of the weights on a logarithmic axis, with the share below 10⁻³: weight
    elimination piles small weights up near zero and leaves the large ones; L2 shrinks them all."""
    magnitudes = np.abs(weights.ravel())
    lowest = max(float(magnitudes.min()), 1e-8)
    bins = np.logspace(np.log10(lowest), np.log10(max(float(magnitudes.max()), lowest * 10)), 60)
    figure = new_figure(7, 4)
    axes = figure.subplots()
    axes.hist(np.clip(magnitudes, lowest, None), bins=bins, color="C0")
    axes.set_xscale("log")
    axes.set_xlabel("|w|")
    axes.set_ylabel("weights")
    small = float((magnitudes < 1e-3).mean())
    axes.set_title(f"{title}{': ' if title else ''}{len(magnitudes):,} weights, {small:.0%} below 1e-3")
    axes.grid(alpha=0.3)
    return save_figure(figure, path)


def score_by_length(
    labels: list[str], curves: dict[str, list[float]], metric: str, path: str | Path, title: str = ""
) -> Path:
    """A score per bucket of input lengths (e.g. BLEU by source length), shortest first: one line
    per model in `curves` ({name: a score per bucket}), named in a legend when there are several."""
    figure = new_figure(7, 4)
    axes = figure.subplots()
    for name, scores in curves.items():
        axes.plot(range(len(scores)), scores, marker="o", label=name)
    axes.set_xticks(range(len(labels)), labels)
    axes.set_xlabel("source length (tokens)")
    axes.set_ylabel(metric)
    axes.set_ylim(0, 1.05)
    axes.grid(alpha=0.3)
    if len(curves) > 1:
        axes.legend()
    if title:
        axes.set_title(title)
    return save_figure(figure, path)
