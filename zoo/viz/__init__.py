"""Plots saved as PNG files (matplotlib's object API with the Agg canvas: no display, no global
pyplot state, safe in any process). Each file is written whole or not at all."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from zoo.errors import ZooError


def new_figure(width: float, height: float) -> Any:
    # matplotlib loads when a plot is drawn, not when the module is imported
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def save_figure(figure: Any, path: str | Path, dpi: int = 110) -> Path:
    """Write the figure to `path` through a temporary file beside it; a full disk or a folder that
    cannot be written is one ZooError line (the run's checkpoints are written before its plots)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.part")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(temporary, dpi=dpi, format=path.suffix.lstrip(".") or "png")
        os.replace(temporary, path)
    except OSError as error:
        raise ZooError(f"cannot write the plot {path}: {error.strerror or error}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return path
