"""`zoo export ckpt_path=... format=safetensors`: the weights as safetensors plus a JSON file with
everything else a checkpoint holds for prediction (the task, its hyperparameters, the run config,
the data module's state such as the tokenizer). Neither file can hold code. `zoo predict` and
`zoo eval` accept the folder in place of a checkpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zoo.commands.common import print_table, write_json_atomic
from zoo.errors import ZooError
from zoo.training.checkpoint import ZOO_KEY, load_checkpoint

FORMATS = ("safetensors",)
WEIGHTS, CONFIG = "model.safetensors", "config.json"
LIGHTNING_ONLY = ("state_dict", "optimizer_states", "lr_schedulers", "loops", "callbacks", "zoo_resume")


def export(cfg: Any) -> dict[str, Any]:
    from safetensors.torch import save_file

    from zoo.commands.common import plain

    config = plain(cfg)
    if config["format"] not in FORMATS:
        raise ZooError(f"format must be one of {', '.join(FORMATS)}, got {config['format']!r}")
    checkpoint = load_checkpoint(config["ckpt_path"])
    output = Path(config.get("output") or Path(config["ckpt_path"]).with_suffix(""))
    output.mkdir(parents=True, exist_ok=True)
    # tied weights share storage: safetensors wants each tensor once, so every entry gets its own copy
    weights = {name: tensor.contiguous().clone() for name, tensor in checkpoint["state_dict"].items()}
    temporary = output / f".{WEIGHTS}.tmp"
    save_file(weights, str(temporary))
    temporary.replace(output / WEIGHTS)
    rest = {key: value for key, value in checkpoint.items() if key not in LIGHTNING_ONLY}
    try:
        write_json_atomic(output / CONFIG, rest)
    except TypeError as error:
        raise ZooError(f"this checkpoint holds something JSON cannot store ({error})") from None
    print_table("zoo export", [("weights", str(output / WEIGHTS)), ("config", str(output / CONFIG))])
    return {"output": str(output)}


def load_exported(folder: Path) -> dict[str, Any]:
    """An exported folder read back as the checkpoint dict that load_checkpoint returns."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        state_dict = load_file(str(folder / WEIGHTS))
        rest = json.loads((folder / CONFIG).read_text())
    except (OSError, SafetensorError, json.JSONDecodeError) as error:
        raise ZooError(f"cannot read the exported model in {folder}: {error}") from None
    if ZOO_KEY not in rest:
        raise ZooError(f"{folder / CONFIG} was not written by `zoo export`")
    return {**rest, "state_dict": state_dict}
