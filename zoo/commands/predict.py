"""`zoo predict ckpt_path=... input=...`: predictions for raw inputs, prepared as in training
(zoo.predictor.Predictor, which also lists the inputs each kind of model reads), printed.

Inline rows: `input=[x1,x2,...]` (one row) / `input=[[...],[...]]` (several rows). The predictions
for a folder of images are also written to a CSV (`output`, by default predictions.csv).
"""

from __future__ import annotations

import csv
import itertools
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TextIO

from omegaconf import DictConfig
from rich.table import Table

from zoo.commands.common import atomic_output, console
from zoo.data.inputs import is_image_source
from zoo.predictor import Predictor
from zoo.registry import plain

# Rows of a table printed in full; past this, the first SHOWN_ROWS and a count
MAX_PRINTED_ROWS = 20
SHOWN_ROWS = 10


def predict(cfg: DictConfig) -> list[dict[str, Any]]:
    """Print (and with `output=`, write as CSV) the predictions; returns the printed ones. Rows
    and images are predicted a chunk at a time and written as they come, so a million-row input
    takes the memory of one chunk; the terminal then gets the first rows and the count."""
    config = plain(cfg)
    predictor = Predictor.from_checkpoint(config["ckpt_path"])
    source = config["input"]
    options = {
        key: config.get(key)
        for key in ("top_k", "batch_size", "beam_size", "max_new_tokens", "temperature", "seed")
    }
    if config.get("plot"):
        options["plot"] = "attention.png" if config["plot"] is True else str(config["plot"])
    chunks = predictor.predict_chunks(
        source, **{key: value for key, value in options.items() if value is not None}
    )
    task = predictor.task
    first = next(chunks)
    if task.table_columns is None:  # results each kind of task describes in lines
        for result in first:
            for line in task.describe(result):
                console.print(line, highlight=False)
        return first
    output = config.get("output")
    if output is None and is_image_source(source) and Path(str(source)).is_dir():
        output = unused_name(Path("predictions.csv"))  # never over an earlier one
    shown, count = [], 0
    with atomic_output(Path(output), newline="") if output else nullcontext() as file:
        writer = PredictionWriter(file, task) if file is not None else None
        for chunk in itertools.chain([first], chunks):
            if writer is not None:
                writer.write(chunk)
            shown += chunk[: MAX_PRINTED_ROWS + 1 - len(shown)]
            count += len(chunk)
    if count > MAX_PRINTED_ROWS:
        shown = shown[:SHOWN_ROWS]
    show(task, shown, count, output)
    if output:
        console.print(f"{count:,} predictions written to {output}", soft_wrap=True)
    return shown


def unused_name(path: Path) -> str:
    """`path`, or path-2, path-3, ... : the first name no file has."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return str(candidate)


def show(
    task: Any, predictions: list[dict[str, Any]], count: int | None = None, output: str | None = None
) -> None:
    """A tabular kind's predictions as a table (its `table_columns`, one `table_row` each); with
    `count` above the rows shown, a line says how many more."""
    table = Table(title="zoo predict", title_justify="left")
    for column in task.table_columns:
        table.add_column(column)
    for prediction in predictions:
        table.add_row(*(format_cell(cell) for cell in task.table_row(prediction)))
    if count is not None and count > len(predictions):
        more = f"… {count - len(predictions):,} more rows ({count:,} in all)"
        table.caption = more + ("" if output else "; output=file.csv writes them all")
        table.caption_justify = "left"
    console.print(table)


def format_cell(cell: Any) -> str:
    return f"{cell:.4f}" if isinstance(cell, float) else str(cell)


class PredictionWriter:
    """Predictions as CSV rows, a chunk at a time, in the columns their kind of task names
    (`csv_columns`, `csv_row`: input, class, probability and the other top_k classes for
    classifiers; input, values for regressors)."""

    def __init__(self, file: TextIO, task: Any):
        self.writer, self.task, self.started = csv.writer(file), task, False

    def write(self, predictions: list[dict[str, Any]]) -> None:
        if not self.started:
            self.writer.writerow(self.task.csv_columns(predictions[0]))
            self.started = True
        self.writer.writerows(self.task.csv_row(p) for p in predictions)
