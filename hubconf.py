"""torch.hub entry points, one per zoo model and per preset with trained weights:

    torch.hub.load("path/to/zoo", "lenet5", source="local", pretrained=True)
    torch.hub.load("path/to/zoo", "resnet18", source="local", num_classes=10)

Each is `zoo.create_model(name, pretrained=..., **kwargs)`: an nn.Module.
"""

from collections.abc import Callable

import zoo

dependencies = ["torch", "hydra", "omegaconf", "safetensors"]


def _entry_point(name: str) -> Callable[..., object]:
    def entry_point(pretrained: bool | str = False, **kwargs: object) -> object:
        return zoo.create_model(name, pretrained=pretrained, **kwargs)

    entry_point.__name__ = name
    entry_point.__doc__ = f"zoo.create_model({name!r}, pretrained=..., **kwargs)"
    return entry_point


for _name in [*zoo.list_models(), *zoo.list_models(pretrained=True)]:
    globals()[_name] = _entry_point(_name)
