"""zoo: a PyTorch reference-model zoo trained from one Hydra CLI.

    import zoo
    zoo.list_models()                                  # names from configs/model/
    task = zoo.create_model("mlp", data="digits")      # a LightningModule for any lightning.Trainer

Heavy libraries (torch, lightning) are imported only when a function needs them.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["list_models", "create_model", "ZooError"]

from zoo.errors import ZooError


def list_models() -> list[str]:
    """Names of the registered models (the files in configs/model/)."""
    from zoo.registry import options

    return list(options("model"))


def create_model(name: str, data: str = "digits", overrides: list[str] | None = None) -> Any:
    """The task (LightningModule) for model `name`, sized for dataset `data`, with the default
    optimizer; `overrides` are Hydra overrides such as ["model.net.hidden=[32,32]", "optimizer=sgd"].

    >>> import zoo
    >>> type(zoo.create_model("mlp", data="xor")).__name__
    'Classifier'
    """
    from zoo.commands.common import plain
    from zoo.commands.train import build_training_task
    from zoo.registry import compose

    if name not in list_models():
        raise ZooError(f"unknown model {name!r}; valid: {', '.join(list_models())}")
    cfg = compose("train", [f"model={name}", f"data={data}", *(overrides or [])])
    config = {key: plain(cfg[key]) for key in ("model", "optimizer", "scheduler", "regularizer")}
    return build_training_task(config)
