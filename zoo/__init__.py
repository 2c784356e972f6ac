"""zoo: a PyTorch reference-model zoo trained from one Hydra CLI, and its Python API.

    import lightning as L
    import zoo

    zoo.list_models()                                   # names from configs/model/
    task = zoo.create_model("mlp", data="digits")       # a LightningModule
    data = zoo.create_datamodule("digits")              # its LightningDataModule
    trainer = L.Trainer(max_epochs=5)
    trainer.fit(task, data)
    trainer.save_checkpoint("mlp.ckpt")
    predictor = zoo.load("mlp.ckpt")                    # or a run's best.ckpt, or a `zoo export` folder
    predictor.predict("digits.csv")                     # raw inputs, preprocessed as in training

Heavy libraries (torch, lightning) are imported only when a function needs them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__version__ = "0.2.0"
__all__ = ["list_models", "create_model", "create_datamodule", "load", "ZooError"]

from zoo.errors import ZooError

# The parts of the composed config a model, its data and its checkpoint need (the rest - paths,
# logger, callbacks, trainer - belongs to a `zoo train` run).
API_KEYS = ("model", "data", "optimizer", "scheduler", "regularizer", "seed")


def list_models() -> list[str]:
    """Names of the registered models (the files in configs/model/).

    >>> import zoo
    >>> {"mlp", "lenet5", "resnet20", "lstm_lm", "transformer_seq2seq"} <= set(zoo.list_models())
    True
    """
    # `import zoo` stays light: the registry (and Hydra) load when a model is listed or composed
    from zoo.registry import options

    return list(options("model"))


def _compose(model: str, data: str, overrides: list[str] | None, keys: tuple[str, ...] = API_KEYS) -> dict:
    # Hydra and OmegaConf load when a config is composed: `zoo --help` and `import zoo` stay without them
    from omegaconf import OmegaConf

    # `import zoo` stays light: the registry (and Hydra) load when a model is listed or composed
    from zoo.registry import compose, options, plain

    if model not in options("model"):
        raise ZooError(f"unknown model {model!r}; valid: {', '.join(options('model'))}")
    if data not in options("data"):
        raise ZooError(f"unknown data {data!r}; valid: {', '.join(options('data'))}")
    cfg = compose("train", [f"model={model}", f"data={data}", *(overrides or [])])
    return {key: plain(cfg[key]) if OmegaConf.is_config(cfg[key]) else cfg[key] for key in keys}


def create_model(name: str, data: str = "digits", overrides: list[str] | None = None) -> Any:
    """The task (a LightningModule) for model `name`, sized for dataset `data`, with the
    configured optimizer; `overrides` are the CLI's overrides, e.g. ["model.net.hidden=[32,32]",
    "optimizer=sgd"]. Checkpoints any Trainer writes of it load with `zoo.load`.

    >>> import zoo
    >>> task = zoo.create_model("mlp", data="xor", overrides=["model.net.hidden=[3]"])
    >>> type(task).__name__, sum(p.numel() for p in task.parameters())
    ('Classifier', 17)
    """
    # `import zoo` stays light: torch and the zoo's machinery load when first used
    from zoo.run import build_training_task

    config = _compose(name, data, overrides)
    task = build_training_task(config)
    task.run_config = config
    return task


def create_datamodule(name: str = "digits", overrides: list[str] | None = None) -> Any:
    """The LightningDataModule of dataset `name` (configs/data/), e.g. ["data.batch_size=64"].

    >>> import zoo
    >>> data = zoo.create_datamodule("xor")
    >>> data.setup(); len(data.datasets["train"]) > 0
    True
    """
    # `import zoo` stays light: torch and the zoo's machinery load when first used
    from zoo.data import build_datamodule

    return build_datamodule(_compose("mlp", name, overrides, keys=("data",))["data"], for_trainer=True)


def load(path: str | Path) -> Any:
    """A `zoo.predictor.Predictor` for a checkpoint (from `zoo train` or any Trainer fitting a
    zoo.create_model task) or a folder written by `zoo export`. Its `predict(inputs)` takes raw
    inputs - feature rows, image files or arrays, text - and applies the stored preprocessing or
    tokenizer. Loading reads tensors and plain data only (zoo.checkpoint, weights_only=True).
    """
    # `import zoo` stays light: torch and the zoo's machinery load when first used
    from zoo.predictor import Predictor

    return Predictor.from_checkpoint(path)
