"""zoo: a PyTorch reference-model zoo trained from one Hydra CLI, and its Python API.

    import torch, lightning as L, zoo

    zoo.list_models("resnet*")                          # names from configs/model/
    zoo.list_models(pretrained=True)                    # presets with trained weights
    net = zoo.create_model("resnet18", num_classes=10)  # an nn.Module, like timm's create_model
    net = zoo.create_model("lenet5", pretrained=True)   # with the trained weights of a preset
    predictor = zoo.load("lenet5_fashion_mnist")        # or a .ckpt, a run folder, an export folder
    predictor("shirt.png")                              # raw inputs, preprocessed as in training

    task = zoo.create_task("mlp", data="digits")        # the LightningModule (loss, metrics, optimizer)
    data = zoo.create_datamodule("digits")              # its LightningDataModule
    L.Trainer(max_epochs=5).fit(task, data)

Heavy libraries (torch, lightning) are imported only when a function needs them.
"""

from __future__ import annotations

from fnmatch import fnmatch
from pathlib import Path
from typing import Any

__version__ = "0.2.0"
__all__ = [
    "list_models",
    "list_weights",
    "create_model",
    "create_task",
    "create_datamodule",
    "load",
    "runs",
    "train",
    "ZooError",
]

from zoo import weights  # the manifest of trained weights: plain JSON, no torch
from zoo.errors import ZooError

# The parts of the composed config a model, its data and its checkpoint need (the rest - paths,
# logger, callbacks, trainer - belongs to a `zoo train` run).
API_KEYS = ("model", "data", "optimizer", "scheduler", "regularizer", "seed")


def list_models(pattern: str = "*", pretrained: bool = False) -> list[str]:
    """Names of the registered models (the files in configs/model/) that match `pattern` (fnmatch,
    as timm's); with pretrained=True, the experiment presets that have trained weights instead
    (each a name create_model and load take).

    >>> import zoo
    >>> zoo.list_models("resnet1*")
    ['resnet18']
    >>> "lenet5_fashion_mnist" in zoo.list_models("lenet5*", pretrained=True)
    True
    """
    if pretrained:
        return sorted(list_weights(pattern))
    # `import zoo` stays light: the registry (and Hydra) load when a model is listed or composed
    from zoo.registry import options

    return [name for name in options("model") if fnmatch(name, pattern)]


def list_weights(pattern: str = "*") -> dict[str, dict[str, Any]]:
    """{preset: what its trained weights are}: model, data, the test metric and value reached, the
    zoo version that trained them, sha256 of each file, and a url for weights not shipped."""
    return weights.list_weights(pattern)


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


def create_model(
    name: str,
    pretrained: bool | str = False,
    num_classes: int | None = None,
    in_chans: int | None = None,
    **model_kwargs: Any,
) -> Any:
    """The architecture `name` (a model of configs/model/ or an experiment preset) as a torch
    nn.Module. Without a dataset its sizes are CIFAR-like (3×32×32 images, 10 classes), changed by
    num_classes, in_chans and vocab_size/num_features; other keywords set the net's own arguments
    (`model.net.<key>`). pretrained=True (or a preset name) loads trained weights (zoo list weights).

    >>> import torch, zoo
    >>> zoo.create_model("resnet18", num_classes=10)(torch.randn(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    """
    # `import zoo` stays light: torch and the zoo's machinery load when first used
    from zoo.architectures import create_model as create

    return create(name, pretrained, num_classes, in_chans, **model_kwargs)


def create_task(name: str, data: str = "digits", overrides: list[str] | None = None) -> Any:
    """The task (a LightningModule: net, loss, metrics, optimizer) for model `name`, sized for
    dataset `data`; `overrides` are the CLI's overrides, e.g. ["model.net.hidden=[32,32]",
    "optimizer=sgd"]. Checkpoints any Trainer writes of it load with `zoo.load`.

    >>> import zoo
    >>> task = zoo.create_task("mlp", data="xor", overrides=["model.net.hidden=[3]"])
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
    zoo.create_task task), a run folder (its best checkpoint), a folder written by `zoo export`,
    or the name of a preset with trained weights (zoo.list_weights()). Call it (or its `predict`)
    on raw inputs - feature rows, image files, PIL images or arrays, text, or a list of them - and
    it applies the stored preprocessing or tokenizer. Loading reads tensors and plain data only
    (zoo.checkpoint, weights_only=True).
    """
    # `import zoo` stays light: torch and the zoo's machinery load when first used
    from zoo.predictor import Predictor

    return Predictor.from_checkpoint(path)


def runs(pattern: str = "*", roots: list[str | Path] | None = None) -> list[dict[str, Any]]:
    """The runs under runs/ and multirun/ (or `roots`) whose name matches `pattern`, newest first:
    dicts of name, folder, started (a time stamp), status (finished, stopped, failed, running),
    monitor and best_val, test_metric and test_value, wall_time_s and checkpoint - what `zoo runs`
    shows."""
    # zoo.commands.runs imports rich: loaded when runs are listed
    from zoo.commands.runs import find_runs

    return find_runs([Path(root) for root in roots] if roots else None, pattern)


def train(
    experiment: str | None = None, overrides: list[str] | None = None, output_dir: str | Path | None = None
) -> dict[str, Any]:
    """Train as `zoo train experiment=... <overrides>` does, from Python (a notebook, a script;
    any number of times in one process), and return the run's summary: its test and last-epoch
    training metrics, best_checkpoint and last_checkpoint, run_dir, wall time. The run folder is
    `output_dir`, else runs/<name>/<time> as on the command line; the same checks run first.

    >>> import zoo
    >>> summary = zoo.train("xor_mlp", ["trainer.max_epochs=2"])  # doctest: +SKIP
    >>> summary["test"]["test/acc"], zoo.load(summary["best_checkpoint"])  # doctest: +SKIP
    """
    # the training machinery (Hydra, Lightning) loads when a model is trained
    from zoo.commands.train import api_run_config
    from zoo.commands.train import train as run

    return run(api_run_config(experiment, list(overrides or []), output_dir))
