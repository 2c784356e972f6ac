"""What a trained task does with raw input, without the training machinery.

An `Inference` class is a plain torch module: it builds the same `net` from the same
hyperparameters as its task (so it loads the task's state dict) and answers `predict_raw`. Each
task class inherits its kind's Inference class (`Classifier(ClassifierInference, Task)`), so a task
in training predicts the same way; `zoo.load` builds the Inference class alone, which imports
neither Lightning nor torchmetrics. A checkpoint names its Inference class (checkpoint["zoo"]
["inference"]); only classes some running code defined, or the zoo's own, can be named.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import nn

from zoo.errors import ZooError
from zoo.models import build_net, resolve_net_class

if TYPE_CHECKING:
    from zoo.data.base import DataModule

# Every Inference class by the dotted path a checkpoint names it with (filled as each is defined)
INFERENCE: dict[str, type[Inference]] = {}
ZOO_INFERENCE_PREFIX = "zoo.tasks.inference."
OUTPUT_SIZE_ARGS = ("out_features", "num_classes")


class Inference(nn.Module):
    """A trained net and the answers its kind of task gives for raw inputs. Subclasses build the
    net in __init__ (from the task's hyperparameters; training-only ones arrive in **training and
    are ignored) and answer `predict_raw`."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        INFERENCE[f"{cls.__module__}.{cls.__qualname__}"] = cls

    def build_net(self, net_spec: dict[str, Any], compile: bool = False, channels_last: bool = False) -> None:
        """Build the net. `channels_last` stores conv weights and inputs as NHWC (tensor cores);
        `compile` compiles the net in place (nn.Module.compile), which keeps state-dict keys
        unchanged, so compiled and uncompiled checkpoints are interchangeable."""
        self.net = build_net(net_spec)
        self.channels_last = channels_last
        if channels_last:
            self.net = self.net.to(memory_format=torch.channels_last)
        if compile:
            self.net.compile()

    @property
    def device(self) -> torch.device:
        """Where the net's parameters are (a Lightning task's device too)."""
        return next(self.parameters()).device

    def forward(self, x: torch.Tensor, *more: torch.Tensor) -> torch.Tensor:
        if getattr(self, "channels_last", False) and x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)
        return self.net(x, *more)

    # --- what differs by kind of task: each Inference class answers (these are the defaults) -----
    def predict_raw(
        self, inputs: Any, datamodule: DataModule, options: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """Predictions for raw inputs (rows, images or text, as zoo.predictor describes), prepared
        by `datamodule` as in training, a chunk at a time: one result dict per input. Options:
        top_k, batch_size, beam_size, max_new_tokens, temperature, seed, plot."""
        raise ZooError(f"predict does not support {type(self).__name__} yet")

    def onnx_inputs(self, datamodule: DataModule) -> dict[str, torch.Tensor] | None:
        """Example inputs of `end_to_end` by the exported graph's input names (raw rows or pixels,
        or token ids and lengths), or None: this kind exports no graph."""
        return None

    def end_to_end(self, datamodule: DataModule) -> nn.Module:
        """One module from raw input tensors to answers, the data module's preprocessing inside
        (zoo.data.preprocessing), where that is tensor arithmetic: feature rows and pixel values.
        Other kinds (token ids in) answer with themselves: their input is already the prepared one."""
        return self

    # --- how `zoo predict` shows a result (each kind of task says; these are the defaults) -------
    # A tabular kind (classes, values) is printed as a table and written as CSV rows by `zoo
    # predict` (`table_columns`, `table_row`); any other kind describes each result in lines.
    table_columns: ClassVar[tuple[str, ...] | None] = None

    def table_row(self, result: dict[str, Any]) -> list[Any]:
        """A result as the cells under `table_columns` (tabular kinds only)."""
        raise NotImplementedError

    def csv_columns(self, first: dict[str, Any]) -> tuple[str, ...]:
        """The header of `zoo predict output=...` (tabular kinds), given the first result: the
        table's columns, unless a kind says."""
        return self.table_columns or ()

    def csv_row(self, result: dict[str, Any]) -> list[Any]:
        return self.table_row(result)

    def describe(self, result: dict[str, Any]) -> list[str]:
        """A result as the lines a person reads (rich markup allowed): by default each key and
        value, so that a new kind of task's results print without a line of the CLI changing."""
        return [", ".join(f"{key}: {value}" for key, value in result.items())]


class FirstOutput(nn.Module):
    """A module's first output alone (a language model's logits without its state): what an
    exported graph returns."""

    def __init__(self, module: nn.Module):
        super().__init__()
        self.module = module

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        output = self.module(*inputs)
        return output[0] if isinstance(output, tuple) else output


def token_inputs(net: nn.Module, *names: str) -> dict[str, torch.Tensor]:
    """Example token ids (2, 7) for each name ending in `tokens`, `src` or `tgt_in` (ids from the
    net's first embedding table, past the special tokens) and lengths (7, 5) for the others."""
    vocab = next(module for module in net.modules() if isinstance(module, nn.Embedding)).num_embeddings
    generator = torch.Generator().manual_seed(0)
    lengths = torch.tensor([7, 5])
    return {
        name: lengths if "lengths" in name else torch.randint(4, vocab, (2, 7), generator=generator)
        for name in names
    }


def resolve_inference_class(target: Any) -> type[Inference]:
    """The Inference class a checkpoint names: one defined by running code, or the zoo's own
    (whose module is imported by name; nothing outside zoo.tasks.inference is)."""
    if isinstance(target, str) and target not in INFERENCE and target.startswith(ZOO_INFERENCE_PREFIX):
        with contextlib.suppress(ImportError):  # then unknown, below
            importlib.import_module(target.rpartition(".")[0])
    if not isinstance(target, str) or target not in INFERENCE:
        raise ZooError(f"unknown inference class {target!r} in the checkpoint")
    return INFERENCE[target]


def with_output_size(net: dict[str, Any], size: int) -> dict[str, Any]:
    """The net spec with its output-size argument (out_features or num_classes) set to `size`."""
    parameters = inspect.signature(resolve_net_class(net["_target_"])).parameters
    name = next((arg for arg in OUTPUT_SIZE_ARGS if arg in parameters), None)
    if name is None:
        raise ValueError(f"{net['_target_']} takes none of {OUTPUT_SIZE_ARGS}")
    return {**net, name: size}


def in_batches(
    function: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, batch_size: int, device: Any
) -> torch.Tensor:
    """function(x) computed `batch_size` rows at a time on `device`, concatenated on the CPU: a
    folder of many images or a large array never needs one forward pass over all."""
    parts = [
        function(x[start : start + batch_size].to(device)).cpu() for start in range(0, len(x), batch_size)
    ]
    return torch.cat(parts)


def encode_sentence(datamodule: DataModule, text: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """A sentence as the token ids (1, T) and length (1,) its sequence data module makes."""
    if not isinstance(text, str) or not text.split():
        raise ZooError('this model reads a sentence: input="the dog runs"')
    words = text.split()
    ids, _ = datamodule.encode(words, [None] * len(words) if datamodule.target == "tags" else 0)
    return torch.tensor([ids]), torch.tensor([len(ids)])


def unknown_note(count: int, where: str) -> str:
    """The line that says how many tokens of the input or prompt the tokenizer did not know."""
    return f"note: {count} {where} token(s) unknown to the tokenizer became <unk>" if count else ""
