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
    first = next(chunks)
    if not ("class" in first[0] or "value" in first[0]):  # a text result: one per input
        print_results(first)
        return first
    output = config.get("output")
    if output is None and is_image_source(source) and Path(str(source)).is_dir():
        output = "predictions.csv"
    shown, count = [], 0
    with atomic_output(Path(output), newline="") if output else nullcontext() as file:
        writer = PredictionWriter(file) if file is not None else None
        for chunk in itertools.chain([first], chunks):
            if writer is not None:
                writer.write(chunk)
            shown += chunk[: MAX_PRINTED_ROWS + 1 - len(shown)]
            count += len(chunk)
    if count > MAX_PRINTED_ROWS:
        shown = shown[:SHOWN_ROWS]
    show(shown, count, output)
    if output:
        console.print(f"{count:,} predictions written to {output}", soft_wrap=True)
    return shown


def print_results(results: list[dict[str, Any]]) -> None:
    """Each kind of result as a person reads it: a table of classes or values, tagged words, a
    translation, a continuation, the fillers of each [MASK], the nearest words."""
    first = results[0]
    if "class" in first or "value" in first:
        show(results)
    elif "tags" in first:
        words = first["input"].split()
        console.print(" ".join(f"{w}/[bold]{t}[/bold]" for w, t in zip(words, first["tags"], strict=True)))
        if "entities" in first:
            from zoo.tasks.inference.tag import entities_text

            console.print(f"entities: {entities_text(first['entities'])}", highlight=False)
    elif "translation" in first:
        if first["unknown_tokens"]:
            console.print(
                f"note: {first['unknown_tokens']} input token(s) unknown to the tokenizer became <unk>"
            )
        console.print(f"[bold]{first['input']}[/bold] → {first['translation']}", highlight=False)
        if first.get("plot"):
            console.print(f"attention heatmap written to {first['plot']}")
    elif "generated" in first:
        if first["unknown_tokens"]:
            console.print(
                f"note: {first['unknown_tokens']} prompt token(s) unknown to the tokenizer became <unk>"
            )
        console.print(f"[bold]{first['prompt']}[/bold] {first['generated']}", highlight=False)
    elif "fillers" in first:
        for number, candidates in enumerate(first["fillers"], start=1):
            console.print(
                f"[bold][MASK] {number}[/bold]: " + ", ".join(f"{w} {p:.3f}" for w, p in candidates)
            )
    elif "nearest" in first:
        nearest = ", ".join(f"{word} {score:.3f}" for word, score in first["nearest"])
        console.print(f"[bold]{first['input']}[/bold] ≈ {nearest}")


def show(predictions: list[dict[str, Any]], count: int | None = None, output: str | None = None) -> None:
    """The predictions as a table; with `count` above the rows shown, a line says how many more."""
    table = Table(title="zoo predict", title_justify="left")
    if "class" in predictions[0]:
        for column in ("input", "class", "probability", "top classes"):
            table.add_column(column)
        for p in predictions:
            top = ", ".join(f"{name} {q:.3f}" for name, q in p["top"])
            table.add_row(str(p["input"]), p["class"], f"{p['probability']:.4f}", top)
    else:
        table.add_column("input")
        table.add_column("prediction")
        for p in predictions:
            table.add_row(str(p["input"]), ", ".join(f"{v:.4f}" for v in p["value"]))
    if count is not None and count > len(predictions):
        more = f"… {count - len(predictions):,} more rows ({count:,} in all)"
        table.caption = more + ("" if output else "; output=file.csv writes them all")
        table.caption_justify = "left"
    console.print(table)


class PredictionWriter:
    """Predictions as CSV rows, a chunk at a time: input, class, probability (classifiers) or
    input, prediction values (regressors)."""

    def __init__(self, file: TextIO):
        self.writer, self.started = csv.writer(file), False

    def write(self, predictions: list[dict[str, Any]]) -> None:
        classes = "class" in predictions[0]
        if not self.started:
            self.writer.writerow(["input", "class", "probability"] if classes else ["input", "prediction"])
            self.started = True
        if classes:
            self.writer.writerows([p["input"], p["class"], p["probability"]] for p in predictions)
        else:
            self.writer.writerows([p["input"], *p["value"]] for p in predictions)
