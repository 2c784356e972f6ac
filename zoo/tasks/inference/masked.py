"""A trained masked language model's answers: the most probable tokens for each [MASK]."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from zoo.errors import ZooError
from zoo.tasks.inference.base import Inference, token_inputs
from zoo.vocabulary import MASK, MASK_TOKEN

if TYPE_CHECKING:
    from zoo.data.base import DataModule


class MaskedLMInference(Inference):
    def __init__(self, net: dict[str, Any], vocab_size: int, compile: bool = False, **training: Any):
        super().__init__()
        self.build_net({**net, "vocab_size": vocab_size}, compile)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.net(tokens, lengths)

    @torch.no_grad()
    def fill_mask(self, tokens: torch.Tensor, top_k: int = 5) -> list[list[tuple[int, float]]]:
        """For each <mask> in one sentence (1, T): the top_k tokens with their probabilities."""
        probabilities = torch.softmax(self(tokens, torch.tensor([tokens.shape[1]])).float(), dim=-1)[0]
        result = []
        for position in (tokens[0] == MASK).nonzero().flatten().tolist():
            p, index = probabilities[position].topk(top_k)
            result.append([(int(i), float(q)) for i, q in zip(index, p, strict=True)])
        return result

    def onnx_inputs(self, datamodule: DataModule) -> dict[str, torch.Tensor] | None:
        return token_inputs(self.net, "tokens", "lengths")

    def describe(self, result: dict[str, Any]) -> list[str]:
        return [
            f"[bold][MASK] {number}[/bold]: " + ", ".join(f"{w} {p:.3f}" for w, p in candidates)
            for number, candidates in enumerate(result["fillers"], start=1)
        ]

    def predict_raw(
        self, inputs: Any, datamodule: DataModule, options: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """The most probable tokens for each [MASK] (or <mask>) of a sentence, with probabilities."""
        text, tokenizer = inputs, datamodule.tokenizer
        if not isinstance(text, str) or "[MASK]" not in text.replace(MASK_TOKEN, "[MASK]"):
            raise ZooError('a masked language model fills [MASK]: input="the river [MASK] five feet"')
        ids = tokenizer.encode(text.replace("[MASK]", MASK_TOKEN)).ids
        with torch.no_grad():
            fillers = self.fill_mask(torch.tensor([ids]), int(options.get("top_k") or 5))
        result = [[(tokenizer.id_to_token(i), p) for i, p in candidates] for candidates in fillers]
        yield [{"input": text, "fillers": result}]
