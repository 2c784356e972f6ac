"""The zoo's checkpoint format, read in one place (the ground floor: torch and plain data, no
Lightning). Every checkpoint the zoo opens goes through `load_checkpoint`, which uses
torch.load(weights_only=True): tensors and plain Python types only, so a checkpoint cannot run
code; `restore` rebuilds what eval, predict, export and `zoo.load` need from it, checking the
stored weights against the hyperparameters (on the meta device) before anything is allocated.

Besides Lightning's keys, a zoo checkpoint holds checkpoint["zoo"] = {"task": <task class path>,
"config": <the composed run config as a JSON string>}, enough to rebuild the task and its data
pipeline with no other file.
"""

from __future__ import annotations

import json
import pickle
import re
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from zoo.data import build_datamodule
from zoo.errors import ZooError
from zoo.tasks import resolve_task_class
from zoo.tasks.inference.base import resolve_inference_class
from zoo.weights import checkpoint_path

ZOO_KEY = "zoo"
WEIGHTS, CONFIG = "model.safetensors", "config.json"  # a folder written by `zoo export`


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """A checkpoint file, a folder written by `zoo export`, a run folder (its best checkpoint) or a
    preset name with trained weights (zoo.weights.checkpoint_path) as a checkpoint dict."""
    path = checkpoint_path(path)
    if path.is_dir():
        return load_exported(path)
    if not path.is_file():
        raise ZooError(f"checkpoint not found: {path}")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        refused = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(error))
        what = f" (it names {refused.group(1)})" if refused else ""
        raise ZooError(
            f"refused to load {path}: it holds more than weights and plain data{what}; the zoo never "
            "runs code from a checkpoint"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError):
        raise ZooError(f"cannot read checkpoint {path}: it is corrupt or truncated") from None
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint:
        raise ZooError(f"{path} is not a Lightning checkpoint (no state_dict)")
    return checkpoint


def check_weights(expected: dict[str, Any], stored: dict[str, Any]) -> None:
    """The stored weights against the state dict a model built from the stored hyperparameters
    has (tensors, possibly on the meta device): the same keys, shapes, and every floating value
    finite. One ZooError line naming the first difference."""
    for key, tensor in stored.items():
        if not isinstance(tensor, torch.Tensor):
            raise ZooError(f"checkpoint does not match its model: {key} is not a tensor")
        if key in expected and tuple(tensor.shape) != tuple(expected[key].shape):
            raise ZooError(
                f"checkpoint does not match its model: {key} is {tuple(tensor.shape)} in the file, "
                f"{tuple(expected[key].shape)} in the model its hyperparameters build"
            )
    missing = [key for key in expected if key not in stored]
    unexpected = [key for key in stored if key not in expected]
    if missing or unexpected:
        what = f"missing {missing[0]}" if missing else f"unexpected {unexpected[0]}"
        raise ZooError(
            f"checkpoint does not match its model: {what} ({len(missing)} missing, "
            f"{len(unexpected)} unexpected weights)"
        )
    for key, tensor in stored.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise ZooError(f"the checkpoint's weights are not finite: {key} holds NaN or infinity")


def run_config(checkpoint: dict[str, Any]) -> dict[str, Any]:
    """The composed run config stored by the zoo at training time: a dict whose `data` and
    `model` are dicts (an export's config.json is someone else's file: checked, not trusted)."""
    try:
        config = json.loads(checkpoint[ZOO_KEY]["config"])
    except (KeyError, TypeError, json.JSONDecodeError, RecursionError):
        raise ZooError("this checkpoint was not written by `zoo train` (no stored run config)") from None
    if not isinstance(config, dict):
        raise ZooError(f"the stored run config is a {type(config).__name__}, not a dict of settings")
    for part in ("data", "model"):
        if not isinstance(config.get(part), dict):
            raise ZooError(
                f"the stored run config has no {part} settings (its {part!r} is {config.get(part)!r})"
            )
    return config


def task_target(checkpoint: dict[str, Any]) -> str:
    try:
        return checkpoint[ZOO_KEY]["task"]
    except (KeyError, TypeError):
        raise ZooError("this checkpoint was not written by `zoo train` (no task name)") from None


def load_exported(folder: Path) -> dict[str, Any]:
    """A folder written by `zoo export` (safetensors weights + JSON) as a checkpoint dict."""

    try:
        state_dict = load_file(str(folder / WEIGHTS))
        rest = json.loads((folder / CONFIG).read_text())
    except (OSError, SafetensorError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ZooError(f"cannot read the exported model in {folder}: {error}") from None
    except RecursionError:
        raise ZooError(f"cannot read the exported model in {folder}: {CONFIG} is nested too deeply") from None
    if not isinstance(rest, dict) or ZOO_KEY not in rest:
        raise ZooError(f"{folder / CONFIG} was not written by `zoo export`")
    return {**rest, "state_dict": state_dict}


def trained(cls: type, checkpoint: dict[str, Any]) -> Any:
    """An instance of `cls` (a task or an Inference class) built from the checkpoint's
    hyperparameters, holding its weights, in eval mode. The stored weights are checked first:
    each finite, and each the shape the hyperparameters make, which is learnt by building the
    model on the meta device (no memory): hyperparameters edited to ask for a huge model are
    refused before anything is allocated."""
    hyper_parameters, state_dict = checkpoint.get("hyper_parameters"), checkpoint.get("state_dict")
    if not isinstance(hyper_parameters, dict) or not isinstance(state_dict, dict):
        raise ZooError("checkpoint does not match its model: no hyperparameters or weights")
    try:
        with torch.device("meta"):
            skeleton = cls(**hyper_parameters)
        check_weights(skeleton.state_dict(), state_dict)
        model = cls(**hyper_parameters)
        model.load_state_dict(state_dict)
    except (TypeError, ValueError, RuntimeError, KeyError, NotImplementedError) as error:
        lines = [line.strip() for line in str(error).splitlines() if line.strip()]
        raise ZooError(
            f"checkpoint does not match its model: {lines[0] if lines else type(error).__name__}"
        ) from None
    return model.eval()


def task_from_checkpoint(checkpoint: dict[str, Any]) -> Any:
    """The trained Lightning task the checkpoint names (what `zoo eval` runs a Trainer on)."""
    return trained(resolve_task_class(task_target(checkpoint)), checkpoint)


def restore(
    path: str | Path, data_dir: str | None = None, for_trainer: bool = False
) -> tuple[Any, Any, dict[str, Any]]:
    """(trained model in eval mode, data module with its training-time state, the stored run
    config) from a checkpoint file or a `zoo export` folder: the one way eval, predict, export and
    `zoo.load` rebuild a run.

    Predicting (`for_trainer=False`) builds the task's Inference class the checkpoint names
    (zoo.tasks.inference: no Lightning, no torchmetrics), or the whole task for a checkpoint
    written before there were any; evaluating (`for_trainer=True`) builds the Lightning task and a
    data module a Trainer takes. The data module is built, not set up: nothing is read from disk
    until it is asked for data. `data_dir` replaces the stored data folder."""
    checkpoint = load_checkpoint(path)
    config = run_config(checkpoint)
    inference = checkpoint[ZOO_KEY].get("inference")
    if for_trainer or inference is None:
        model = task_from_checkpoint(checkpoint)
    else:
        model = trained(resolve_inference_class(inference), checkpoint)
    return model, restored_datamodule(checkpoint, config, data_dir, for_trainer), config


def restored_datamodule(
    checkpoint: dict[str, Any], config: dict[str, Any], data_dir: str | None = None, for_trainer: bool = False
) -> Any:
    """The run's data module (built, not set up) with the state the checkpoint keeps: the
    standardisation, tokenizer or class names its inputs are prepared with. `data_dir` replaces
    the stored one (data moved since training)."""

    data_config = dict(config["data"])
    if data_dir is not None and "data_dir" in data_config:
        data_config["data_dir"] = data_dir
    datamodule = build_datamodule(data_config, for_trainer)
    state = checkpoint.get(type(datamodule).__qualname__)
    if state:
        try:
            datamodule.load_state_dict(state)
        except ZooError:
            raise
        except Exception as error:  # a tokenizer's own parser raises plain Exception on bad JSON
            raise ZooError(
                f"the stored state of {type(datamodule).__name__} cannot be read ({type(error).__name__}: "
                f"{str(error)[:100]})"
            ) from None
    return datamodule
