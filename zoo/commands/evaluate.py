"""`zoo eval ckpt_path=...`: the test-split metrics of a checkpoint, with the config stored in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
from omegaconf import DictConfig

from zoo.checkpoint import restore
from zoo.commands.common import format_value, print_table, write_json_atomic
from zoo.errors import ZooError
from zoo.registry import plain
from zoo.run import lightning_trainer_options, quiet_lightning
from zoo.training.progress import progress_callbacks


def evaluate(cfg: DictConfig) -> dict[str, float]:

    quiet_lightning()
    config = plain(cfg)
    # the data folder of this invocation (data_dir=, else ZOO_DATA_DIR or ./data), never the one the
    # checkpoint names: a checkpoint is data, and must not choose where eval reads or downloads
    data_dir = config.get("data_dir") or config["paths"]["data_dir"]
    task, datamodule, run = restore(config["ckpt_path"], data_dir=data_dir, for_trainer=True)
    decoding = {key: config[key] for key in ("beam_size", "length_penalty") if config.get(key) is not None}
    for key, value in decoding.items():  # the test split decoded otherwise than in training
        if not hasattr(task, key):
            raise ZooError(f"{key} is for sequence-to-sequence models; this is a {type(task).__name__}")
        setattr(task, key, value)
    callbacks, enable_progress_bar = progress_callbacks("auto")
    try:
        trainer = L.Trainer(
            **lightning_trainer_options(config["trainer"]),
            callbacks=callbacks,
            enable_progress_bar=enable_progress_bar,
        )
    except (TypeError, ValueError) as error:
        raise ZooError(f"bad trainer option: {error}") from None
    results = trainer.test(task, datamodule=datamodule, verbose=False)
    metrics = {key: float(value) for key, value in results[0].items()}
    rows: list[tuple[str, Any]] = [(key, format_value(value)) for key, value in metrics.items()]
    rows += [(key, str(value)) for key, value in decoding.items()]
    rows.append(("checkpoint", str(config["ckpt_path"])))
    print_table(f"zoo eval: {run.get('name')}", rows)
    if config.get("output"):
        write_json_atomic(Path(config["output"]), metrics)
    return metrics
