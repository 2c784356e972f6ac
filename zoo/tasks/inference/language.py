"""A trained language model's answers: a prompt continued by sampling, one token at a time,
carrying the net's state (a recurrent state or the Transformer's key/value cache)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from zoo.errors import ZooError
from zoo.models.language import sample_next
from zoo.tasks.inference.base import Inference, token_inputs, unknown_note
from zoo.vocabulary import EOS, UNK

if TYPE_CHECKING:
    from zoo.data.base import DataModule

PROMPT_CHUNK = 256  # prompt tokens read per forward pass
MAX_PROMPT_CHARS = 1_000_000  # a prompt longer than this is refused in one line
MAX_NEW_TOKENS = 100_000  # so is a longer generation


def check_generation_size(prompt: str, max_new_tokens: int) -> None:
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ZooError(f"the prompt has {len(prompt):,} characters; at most {MAX_PROMPT_CHARS:,} are read")
    if not 0 <= max_new_tokens <= MAX_NEW_TOKENS:
        raise ZooError(f"max_new_tokens must be between 0 and {MAX_NEW_TOKENS:,}, got {max_new_tokens:,}")


class LanguageModelInference(Inference):
    def __init__(self, net: dict[str, Any], vocab_size: int, compile: bool = False, **training: Any):
        super().__init__()
        self.build_net({**net, "vocab_size": vocab_size}, compile)

    def forward(self, tokens: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        return self.net(tokens, state)

    @torch.no_grad()
    def read_prompt(self, prompt: torch.Tensor) -> tuple[torch.Tensor, Any]:
        """The next-token logits (B, V) and the net's state after reading `prompt` (B, T), read
        PROMPT_CHUNK tokens at a time: memory is that of one chunk, however long the prompt. A
        net that reads at most `context` tokens (a Transformer) sees only the prompt's last
        `context` tokens, as its sliding window would."""
        if getattr(self.net, "carries_state", True) is False and getattr(self.net, "context", None):
            prompt = prompt[:, -self.net.context :]
        chunk = min(PROMPT_CHUNK, getattr(self.net, "context", None) or PROMPT_CHUNK)
        logits, state = None, None
        for start in range(0, prompt.shape[1], chunk):
            logits, state = self(prompt[:, start : start + chunk], state)
        return logits[:, -1], state

    @torch.no_grad()
    def generate(self, prompt: torch.Tensor, max_new_tokens: int, **sampling: Any) -> torch.Tensor:
        """Continue each row of `prompt` (B, T) by sampling max_new_tokens tokens (`continuation`'s
        temperature, top_k, generator): (B, T + new)."""
        return torch.cat([prompt, self.continuation(prompt, max_new_tokens, **sampling)], dim=1)

    @torch.no_grad()
    def continuation(
        self,
        prompt: torch.Tensor,
        max_new_tokens: int,
        temperature: float = 1.0,
        top_k: int | None = None,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """The max_new_tokens tokens (B, new) sampled after `prompt` (B, T)."""
        logits, state = self.read_prompt(prompt)
        new = []
        for _ in range(max_new_tokens):
            token = sample_next(logits, temperature, top_k, generator)[:, None]
            new.append(token)
            logits, state = self(token, state)
            logits = logits[:, -1]
        return torch.cat(new, dim=1) if new else prompt[:, :0]

    def onnx_inputs(self, datamodule: DataModule) -> dict[str, torch.Tensor] | None:
        return token_inputs(self.net, "tokens")

    def describe(self, result: dict[str, Any]) -> list[str]:
        note = unknown_note(result["unknown_tokens"], "prompt")
        return [line for line in (note, f"[bold]{result['prompt']}[/bold] {result['generated']}") if line]

    def predict_raw(
        self, inputs: Any, datamodule: DataModule, options: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """Continue a prompt; an empty prompt starts a new sequence (after <eos>); words the
        tokenizer does not know become <unk>, as the tokenizer defines, and are counted."""
        if isinstance(inputs, list | tuple | dict) or inputs is None:
            raise ZooError('a language model\'s input is a text prompt: input="some words"')
        prompt, tokenizer = str(inputs), datamodule.tokenizer
        max_new_tokens = int(options["max_new_tokens"]) if options.get("max_new_tokens") is not None else 50
        check_generation_size(prompt, max_new_tokens)
        ids = tokenizer.encode(prompt).ids if prompt.strip() else []
        generator = torch.Generator().manual_seed(int(options.get("seed") or 0))
        temperature = float(options["temperature"]) if options.get("temperature") is not None else 1.0
        new = self.continuation(
            torch.tensor([[EOS, *ids]]), max_new_tokens, temperature, options.get("top_k"), generator
        )
        continuation = tokenizer.decode(new[0].tolist(), skip_special_tokens=False)
        generated = continuation.replace("<eos>", "\n").strip()
        yield [{"prompt": prompt, "generated": generated, "unknown_tokens": sum(1 for t in ids if t == UNK)}]
