"""`zoo predict ckpt_path=... input=...`: predictions for raw inputs, prepared as in training.

Inputs for feature models: a .csv file (numeric rows, an optional header line), a .npy array,
or an inline list `input=[x1,x2,...]` (one row) / `input=[[...],[...]]` (several rows).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import numpy as np
from omegaconf import DictConfig
from rich.table import Table

from zoo.commands.common import console, plain
from zoo.commands.restore import restore
from zoo.errors import ZooError
from zoo.tasks import Classifier, Regressor


def read_csv_rows(path: Path) -> np.ndarray:
    try:
        with path.open(newline="", encoding="utf-8") as file:
            lines = [row for row in csv.reader(file) if row and any(cell.strip() for cell in row)]
    except UnicodeDecodeError:
        raise ZooError(f"{path} is not a UTF-8 text CSV file") from None
    rows = []
    for number, row in enumerate(lines, start=1):
        try:
            rows.append([float(cell) for cell in row])
        except ValueError:
            if number == 1:  # a header line
                continue
            raise ZooError(f"{path}, line {number}: not a row of numbers: {','.join(row)[:80]!r}") from None
    if not rows:
        raise ZooError(f"{path} holds no rows of numbers")
    if len({len(row) for row in rows}) > 1:
        raise ZooError(f"{path}: rows have different numbers of values")
    return np.asarray(rows, dtype=np.float64)


def read_rows(source: Any) -> np.ndarray:
    """Feature rows (N, F) from a path (.csv/.npy) or an inline list."""
    if isinstance(source, list | tuple):
        try:
            rows = np.asarray(source, dtype=np.float64)
        except (TypeError, ValueError):
            raise ZooError("input list must hold numbers (one row) or lists of numbers (rows)") from None
        rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
    else:
        path = Path(str(source))
        if not path.is_file():
            raise ZooError(f"input file not found: {path}")
        if path.suffix == ".npy":
            try:
                rows = np.load(path, allow_pickle=False).astype(np.float64)
            except (ValueError, OSError) as error:
                raise ZooError(f"cannot read {path} as a numeric .npy array: {error}") from None
            rows = rows.reshape(1, -1) if rows.ndim == 1 else rows
        elif path.suffix in (".csv", ".txt"):
            rows = read_csv_rows(path)
        else:
            raise ZooError(
                f"unsupported input {path.name}: give a .csv or .npy file of feature rows, or a list"
            )
    if rows.size == 0:
        raise ZooError("input is empty")
    if not np.isfinite(rows).all():
        raise ZooError("input holds NaN or infinite values")
    return rows


def predict(cfg: DictConfig) -> list[dict[str, Any]]:
    config = plain(cfg)
    task, datamodule, run = restore(config["ckpt_path"])
    x = datamodule.features(read_rows(config["input"]))
    if isinstance(task, Classifier):
        predictions = classify(task, x, datamodule.class_names, int(config.get("top_k") or 5))
    elif isinstance(task, Regressor):
        values = datamodule.target_values(task.predict_values(x))
        predictions = [{"row": i, "value": [float(v) for v in row]} for i, row in enumerate(values)]
    else:
        raise ZooError(f"predict does not support {type(task).__name__} yet")
    show(predictions)
    if config.get("output"):
        write_predictions(Path(config["output"]), predictions)
    return predictions


def classify(task: Classifier, x: Any, class_names: list[str], top_k: int) -> list[dict[str, Any]]:
    probabilities = task.predict_proba(x)
    k = min(top_k, probabilities.shape[1])
    top_p, top_index = probabilities.topk(k, dim=1)
    names = class_names or [str(c) for c in range(probabilities.shape[1])]
    return [
        {
            "row": i,
            "class": names[int(index[0])],
            "probability": float(p[0]),
            "top": [(names[int(c)], float(q)) for c, q in zip(index, p, strict=True)],
        }
        for i, (p, index) in enumerate(zip(top_p, top_index, strict=True))
    ]


def show(predictions: list[dict[str, Any]]) -> None:
    table = Table(title="zoo predict", title_justify="left")
    if "class" in predictions[0]:
        for column in ("row", "class", "probability", "top classes"):
            table.add_column(column)
        for p in predictions:
            top = ", ".join(f"{name} {q:.3f}" for name, q in p["top"])
            table.add_row(str(p["row"]), p["class"], f"{p['probability']:.4f}", top)
    else:
        table.add_column("row")
        table.add_column("prediction")
        for p in predictions:
            table.add_row(str(p["row"]), ", ".join(f"{v:.4f}" for v in p["value"]))
    console.print(table)


def write_predictions(path: Path, predictions: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        if "class" in predictions[0]:
            writer.writerow(["row", "class", "probability"])
            writer.writerows([p["row"], p["class"], p["probability"]] for p in predictions)
        else:
            writer.writerow(["row", "prediction"])
            writer.writerows([p["row"], *p["value"]] for p in predictions)
