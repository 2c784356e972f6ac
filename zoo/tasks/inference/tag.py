"""A trained tagger's answers: a tag per word of a sentence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from zoo.tasks.inference.base import Inference, encode_sentence, with_output_size


class TaggerInference(Inference):
    def __init__(self, net: dict[str, Any], tags: list[str], compile: bool = False, **training: Any):
        super().__init__()
        if not tags:
            raise ValueError("model.tags is empty: the tagger needs the list of tags (data.tags)")
        self.tags = list(tags)
        self.build_net(with_output_size(net, len(self.tags)), compile)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.net(tokens, lengths)

    def predict_raw(
        self, inputs: Any, datamodule: Any, options: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """A tag per word of one sentence."""
        tokens, lengths = encode_sentence(datamodule, inputs)
        with torch.no_grad():
            scores = self(tokens, lengths)
        yield [{"input": inputs, "tags": [datamodule.tags[i] for i in scores[0].argmax(-1).tolist()]}]
