"""Task `LanguageModel`: next-token cross-entropy over token streams, perplexity = exp(loss).

With a stateful net (RNN, window model) the state is carried from one batch to the next within
an epoch and detached at each batch boundary: truncated backpropagation through time (gradients
flow back at most `bptt` steps). The Transformer's state is not carried: it is a key/value cache
for generation, and each training window is read on its own. Gradient clipping is the trainer's
`gradient_clip_val`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection

from zoo.errors import ZooError
from zoo.models.language import sample_next
from zoo.models.recurrent import detach_state
from zoo.tasks.base import Task
from zoo.tasks.metrics import PerplexityOfLoss
from zoo.vocabulary import EOS, UNK


class LanguageModel(Task):
    monitor: ClassVar[str] = "val/ppl"
    monitor_mode: ClassVar[str] = "min"

    def __init__(
        self,
        net: dict[str, Any],
        vocab_size: int,
        optimizer: dict[str, Any] | None = None,
        scheduler: dict[str, Any] | None = None,
        regularizer: dict[str, Any] | None = None,
        compile: bool = False,
    ):
        super().__init__()
        self.save_hyperparameters()
        self.setup_task({**net, "vocab_size": vocab_size}, compile)
        self.carried: dict[str, Any] = {}  # per stage: the state at the end of the previous batch

    def make_metrics(self) -> MetricCollection:
        return MetricCollection({"ppl": PerplexityOfLoss()})

    def forward(self, tokens: torch.Tensor, state: Any = None) -> tuple[torch.Tensor, Any]:
        return self.net(tokens, state)

    def loss_and_outputs(
        self, batch: Any, stage: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        tokens, targets = batch
        logits, state = self(tokens, self.carried.get(stage))
        if stage is not None and getattr(
            self.net, "carries_state", True
        ):  # a Transformer reads windows alone
            self.carried[stage] = detach_state(state)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        return loss, loss.detach(), targets  # perplexity = exp(loss): no second pass over the logits

    def on_train_epoch_start(self) -> None:  # (Lightning skips it when resuming mid-epoch)
        self.carried.pop("train", None)

    def resume_state(self) -> dict[str, Any]:
        """Saved in checkpoints (zoo.training.resume): the state carried into the next batch."""
        carried = self.carried.get("train")
        if carried is None or self.trainer.is_last_batch:  # a new epoch starts from no state
            return {"carried": None}
        parts = list(carried) if isinstance(carried, tuple) else [carried]
        return {"carried": {"parts": parts, "tuple": isinstance(carried, tuple)}}

    def load_resume_state(self, state: dict[str, Any]) -> None:
        carry = state["carried"]
        if carry is not None:  # resuming mid-epoch: the state the killed run carried
            parts = [part.to(self.device) for part in carry["parts"]]
            self.carried["train"] = tuple(parts) if carry["tuple"] else parts[0]

    def on_validation_epoch_start(self) -> None:
        self.carried.pop("val", None)

    def on_test_epoch_start(self) -> None:
        self.carried.pop("test", None)

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
