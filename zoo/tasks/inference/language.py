"""A trained language model's answers: a prompt continued by sampling, one token at a time,
carrying the net's state (a recurrent state or the Transformer's key/value cache)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch

from zoo.errors import ZooError
from zoo.models.language import sample_next
from zoo.tasks.inference.base import Inference
from zoo.vocabulary import EOS, UNK


class LanguageModelInference(Inference):
    def __init__(self, net: dict[str, Any], vocab_size: int, compile: bool = False, **training: Any):
        super().__init__()
        self.build_net({**net, "vocab_size": vocab_size}, compile)

    def forward(self, tokens: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        return self.net(tokens, state)

    @torch.no_grad()
    def generate(
        self,
        prompt: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Continue each row of `prompt` (B, T) by sampling max_new_tokens tokens."""
        logits, state = self(prompt)
        out = [prompt]
        for _ in range(max_new_tokens):
            token = sample_next(logits[:, -1], temperature, top_k, generator)[:, None]
            out.append(token)
            logits, state = self(token, state)
        return torch.cat(out, dim=1)

    def predict_raw(
        self, inputs: Any, datamodule: Any, options: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """Continue a prompt; an empty prompt starts a new sequence (after <eos>); words the
        tokenizer does not know become <unk>, as the tokenizer defines, and are counted."""
        if isinstance(inputs, list | tuple | dict) or inputs is None:
            raise ZooError('a language model\'s input is a text prompt: input="some words"')
        prompt, tokenizer = str(inputs), datamodule.tokenizer
        ids = tokenizer.encode(prompt).ids if prompt.strip() else []
        generator = torch.Generator().manual_seed(int(options.get("seed") or 0))
        max_new_tokens = int(options["max_new_tokens"]) if options.get("max_new_tokens") is not None else 50
        temperature = float(options["temperature"]) if options.get("temperature") is not None else 1.0
        tokens = self.generate(
            torch.tensor([[EOS, *ids]]), max_new_tokens, temperature, options.get("top_k"), generator
        )
        continuation = tokenizer.decode(tokens[0, len(ids) + 1 :].tolist(), skip_special_tokens=False)
        generated = continuation.replace("<eos>", "\n").strip()
        yield [{"prompt": prompt, "generated": generated, "unknown_tokens": sum(1 for t in ids if t == UNK)}]
