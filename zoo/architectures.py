"""`zoo.create_model`: an architecture as a plain `nn.Module`, the way timm and torchvision give one.

A model config (configs/model/<name>.yaml) sizes its net from the dataset (`${data.num_classes}`,
`${data.input_shape.0}`, `${data.vocab_size}`, ...). Without a dataset, those come from
STANDALONE_DATA - CIFAR-sized colour images, 10 classes (2 for a model with
one sigmoid output), 64 features, a 256-token vocabulary -
changed by `num_classes`, `in_chans` and `vocab_size`; an experiment preset's name
(`create_model("resnet20_fashion_mnist")`) takes its own dataset's sizes instead. Other keyword
arguments set the net's own (`model.net.<key>`). `pretrained` loads the trained weights of a preset
(zoo.weights); a `num_classes` or `in_chans` that differs from theirs starts those layers afresh.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

from torch import nn

from zoo.checkpoint import load_checkpoint, restore
from zoo.errors import ZooError
from zoo.registry import compose, options, plain
from zoo.tasks import inference_target
from zoo.tasks.inference.base import Inference, resolve_inference_class
from zoo.weights import preset_for

STANDALONE_DATA: dict[str, Any] = {
    "input_shape": [3, 32, 32],
    "num_classes": 10,
    "tags": [f"tag{index}" for index in range(10)],
    "num_features": 64,
    "vocab_size": 256,
}
SIZE_ARGS = ("num_classes", "in_chans", "vocab_size", "num_features")  # what sizes the data, not the net

log = logging.getLogger(__name__)


def create_model(
    name: str,
    pretrained: bool | str = False,
    num_classes: int | None = None,
    in_chans: int | None = None,
    **model_kwargs: Any,
) -> nn.Module:
    """The net of model (or experiment preset) `name` as an nn.Module, in train mode.

    >>> import torch, zoo
    >>> zoo.create_model("resnet18", num_classes=10)(torch.randn(2, 3, 32, 32)).shape
    torch.Size([2, 10])
    >>> zoo.create_model("mlp", num_features=4, num_classes=3, hidden=[8])
    MLP(...)
    """
    if pretrained:
        if model_kwargs:
            raise ZooError(
                f"pretrained weights fix the architecture: {', '.join(model_kwargs)} cannot change it "
                "(zoo.create_model(name) without pretrained builds any shape)"
            )
        return pretrained_net(name, pretrained, num_classes, in_chans)
    sizes = {"num_classes": num_classes, "in_chans": in_chans, **model_kwargs}
    return build_inference(model_config(name, sizes)).net.train()


def model_config(name: str, arguments: dict[str, Any]) -> dict[str, Any]:
    """The resolved model config of a model or preset name, with the size arguments applied to its
    data and the rest to its net; an argument it has no place for is one line naming the valid."""
    if name in options("model"):
        cfg = compose("train", [f"model={name}"])
        data = copy.deepcopy(STANDALONE_DATA)
        if cfg.model.get("output") == "sigmoid":  # one output unit: two classes (the perceptron)
            data["num_classes"] = 2
    elif name in options("experiment"):
        cfg = compose("train", [f"experiment={name}"])
        data = plain(cfg.data)
    else:
        raise ZooError(
            f"unknown model {name!r}; valid: {', '.join(options('model'))} or an experiment preset"
        )
    uses = str(plain_unresolved(cfg.model))
    sizes = {key: arguments.pop(key) for key in SIZE_ARGS if arguments.get(key) is not None}
    for key in SIZE_ARGS:
        arguments.pop(key, None)
    for key, value in sizes.items():
        apply_size(data, key, value, uses, name)
    net = plain_unresolved(cfg.model.net)
    unknown = [key for key in arguments if key not in net or key == "_target_"]
    if unknown:
        valid = [key for key, value in net.items() if key != "_target_" and "${" not in str(value)]
        raise ZooError(f"{name} has no argument {unknown[0]!r}; valid: {', '.join([*SIZE_ARGS, *valid])}")
    for key, value in arguments.items():
        cfg.model.net[key] = value
    cfg.data = data
    return plain(cfg.model)


def plain_unresolved(node: Any) -> Any:
    # OmegaConf comes with Hydra: the interpolations (${data...}) are read, not resolved
    from omegaconf import OmegaConf

    return OmegaConf.to_container(node, resolve=False)


def apply_size(data: dict[str, Any], key: str, value: int, uses: str, name: str) -> None:
    """Set one size argument in the data node, if the model reads it."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ZooError(f"{key} must be a positive integer, got {value!r}")
    if key == "in_chans":
        if "data.input_shape" not in uses:
            raise ZooError(f"in_chans is for image models; {name} does not read images")
        data["input_shape"] = [value, *data.get("input_shape", STANDALONE_DATA["input_shape"])[1:]]
    elif key == "num_classes":
        if "data.num_classes" in uses:
            data["num_classes"] = value
        elif "data.tags" in uses:
            data["tags"] = [f"tag{index}" for index in range(value)]
        else:
            raise ZooError(
                f"num_classes is not an argument of {name} (its outputs are its vocabulary: vocab_size=)"
            )
    else:
        if f"data.{key}" not in uses:
            raise ZooError(f"{key} is not an argument of {name}")
        data[key] = value


def build_inference(model: dict[str, Any]) -> Inference:
    """The task's Inference class (no Lightning) built from a resolved model config."""
    cls = resolve_inference_class(inference_target(model["_target_"]))
    kwargs = {key: value for key, value in model.items() if not key.startswith("_")}
    try:
        return cls(**kwargs)
    except (TypeError, ValueError, RuntimeError) as error:  # RuntimeError: a negative layer size
        raise ZooError(f"cannot build {model['net']['_target_']}: {error}") from None


def pretrained_net(
    name: str, pretrained: bool | str, num_classes: int | None, in_chans: int | None
) -> nn.Module:
    """The trained net of a preset; with another num_classes or in_chans, the layers whose shape
    changes start from their initialisation (logged), the rest keep the trained weights."""
    preset = preset_for(name, pretrained)
    model, _, _ = restore(preset)
    if num_classes is None and in_chans is None:
        return model.net.train()
    hyper = copy.deepcopy(load_checkpoint(preset)["hyper_parameters"])
    if num_classes is not None:
        if "num_classes" not in hyper:
            raise ZooError(f"num_classes is not an argument of {preset}")
        hyper["num_classes"] = num_classes
    if in_chans is not None:
        if "in_channels" not in hyper["net"]:
            raise ZooError(f"in_chans is for image models; {preset} does not read images")
        hyper["net"]["in_channels"] = in_chans
    adapted = type(model)(**hyper)
    own = adapted.net.state_dict()
    kept = {key: value for key, value in model.net.state_dict().items() if own[key].shape == value.shape}
    adapted.net.load_state_dict(kept, strict=False)
    fresh = [key for key in own if key not in kept]
    log.info(
        "%s: %d tensors trained, %d initialised afresh: %s", preset, len(kept), len(fresh), ", ".join(fresh)
    )
    return adapted.net.train()
