"""`zoo predict ckpt_path=... input=...`: predictions for raw inputs, prepared as in training
(zoo.predictor.Predictor, which also lists the inputs each kind of model reads), printed.

Inline rows: `input=[x1,x2,...]` (one row) / `input=[[...],[...]]` (several rows). The predictions
for a folder of images are also written to a CSV (`output`, by default predictions.csv).
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from omegaconf import DictConfig
from rich.table import Table

from zoo.commands.common import console, plain
from zoo.commands.restore import restore
from zoo.predictor import Predictor, is_image_source


def predict(cfg: DictConfig) -> list[dict[str, Any]]:
    config = plain(cfg)
    predictor = Predictor(*restore(config["ckpt_path"]))
    source = config["input"]
    options = {
        key: config.get(key)
        for key in ("top_k", "batch_size", "beam_size", "max_new_tokens", "temperature", "seed")
    }
    if config.get("plot"):
        options["plot"] = "attention.png" if config["plot"] is True else str(config["plot"])
    predictions = predictor.predict(
        source, **{key: value for key, value in options.items() if value is not None}
    )
    print_results(predictions)
    if config.get("output") is None and is_image_source(source) and Path(str(source)).is_dir():
        config["output"] = "predictions.csv"
    if config.get("output") and ("class" in predictions[0] or "value" in predictions[0]):
        write_predictions(Path(config["output"]), predictions)
        console.print(f"predictions written to {config['output']}")
    return predictions


def print_results(results: list[dict[str, Any]]) -> None:
    """Each kind of result as a person reads it: a table of classes or values, tagged words, a
    translation, a continuation, the fillers of each [MASK], the nearest words."""
    first = results[0]
    if "class" in first or "value" in first:
        show(results)
    elif "tags" in first:
        words = first["input"].split()
        console.print(" ".join(f"{w}/[bold]{t}[/bold]" for w, t in zip(words, first["tags"], strict=True)))
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


def show(predictions: list[dict[str, Any]]) -> None:
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
    console.print(table)


def write_predictions(path: Path, predictions: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        if "class" in predictions[0]:
            writer.writerow(["input", "class", "probability"])
            writer.writerows([p["input"], p["class"], p["probability"]] for p in predictions)
        else:
            writer.writerow(["input", "prediction"])
            writer.writerows([p["input"], *p["value"]] for p in predictions)
