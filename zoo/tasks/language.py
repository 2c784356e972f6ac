"""Task `LanguageModel`: next-token cross-entropy over token streams, perplexity = exp(loss).

With a stateful net (RNN, window model) the state is carried from one batch to the next within
an epoch and detached at each batch boundary: truncated backpropagation through time (gradients
flow back at most `bptt` steps). The Transformer's state is not carried: it is a key/value cache
for generation, and each training window is read on its own. Gradient clipping is the trainer's
`gradient_clip_val`.
"""

from __future__ import annotations

from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection

from zoo.models.recurrent import detach_state
from zoo.tasks.base import Task
from zoo.tasks.inference.language import LanguageModelInference
from zoo.tasks.metrics import PerplexityOfLoss


class LanguageModel(LanguageModelInference, Task):
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
        super().__init__(net, vocab_size, compile)
        self.save_hyperparameters()
        self.setup_training()
        self.carried: dict[str, Any] = {}  # per stage: the state at the end of the previous batch

    def make_metrics(self) -> MetricCollection:
        return MetricCollection({"ppl": PerplexityOfLoss()})

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

    def tokens_in(self, batch: Any) -> int:
        return batch[0].numel()  # windows of real text: every position is a token

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
