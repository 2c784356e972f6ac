"""Task `MaskedLM`: BERT's pretraining objective. In every batch 15% of the real tokens are
selected; a selected token is replaced by <mask> 80% of the time, by a random token 10% of the
time and kept 10% of the time, and the model predicts the original token at the selected
positions only. Metrics: masked-token accuracy and perplexity (exp of the masked cross-entropy).
Validation and test draw the same masks every epoch (a fixed seed), so epochs are comparable."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection
from torchmetrics.text import Perplexity

from zoo.errors import ZooError
from zoo.tasks.base import Task
from zoo.tasks.inference.masked import MaskedLMInference
from zoo.tasks.metrics import Accuracy
from zoo.vocabulary import FIRST_WORD, IGNORE, MASK, MASK_TOKEN


def mask_tokens(
    tokens: torch.Tensor,
    lengths: torch.Tensor,
    vocab_size: int,
    generator: torch.Generator | None = None,
    rate: float = 0.15,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs with <mask>/random/kept tokens, targets: the original token where selected, else
    -100). Random numbers are drawn on the CPU from `generator`, then moved to the tokens' device."""
    shape = tokens.shape
    select, action = torch.rand(2, *shape, generator=generator).to(tokens.device)
    replacement = torch.randint(FIRST_WORD, vocab_size, shape, generator=generator).to(tokens.device)
    real = torch.arange(shape[1], device=tokens.device)[None] < lengths.to(tokens.device)[:, None]
    selected = (select < rate) & real
    # a short batch with nothing drawn would have no target (a NaN loss): then the real token with
    # the lowest draw is selected (no host sync: the choice is made on the device)
    lowest = (select == select.masked_fill(~real, 2.0).min()) & real
    selected = torch.where(selected.any(), selected, lowest)
    inputs = torch.where(selected & (action < 0.8), MASK, tokens)
    inputs = torch.where(selected & (action >= 0.8) & (action < 0.9), replacement, inputs)
    return inputs, tokens.masked_fill(~selected, IGNORE)


class MaskedLM(MaskedLMInference, Task):
    monitor = "val/acc"
    monitor_mode = "max"

    def __init__(
        self,
        net: dict[str, Any],
        vocab_size: int,
        mask_rate: float = 0.15,
        optimizer: dict[str, Any] | None = None,
        scheduler: dict[str, Any] | None = None,
        regularizer: dict[str, Any] | None = None,
        compile: bool = False,
    ):
        if not 0.0 < mask_rate < 1.0:
            raise ValueError(f"mask_rate must be in (0, 1), got {mask_rate}")
        super().__init__(net, vocab_size, compile)
        self.save_hyperparameters()
        self.setup_training()
        self.generators: dict[str, torch.Generator] = {}

    def make_metrics(self) -> MetricCollection:
        return MetricCollection({"acc": Accuracy(), "ppl": Perplexity(ignore_index=IGNORE)})

    def on_fit_start(self) -> None:
        tokenizer = getattr(self.trainer.datamodule, "tokenizer", None)
        if tokenizer is None or tokenizer.token_to_id(MASK_TOKEN) != MASK:
            raise ZooError(
                "a masked language model needs a tokenizer with <mask>: set data.tokenizer=wordpiece"
            )

    def generator(self, stage: str | None) -> torch.Generator:
        if stage not in self.generators:  # train: from the run's seed; val/test: the same each epoch
            seed = int(torch.randint(2**31, (1,))) if stage == "train" else 0
            self.generators[stage] = torch.Generator().manual_seed(seed)
        return self.generators[stage]

    def on_validation_epoch_start(self) -> None:
        self.generators.pop("val", None)

    def resume_state(self) -> dict[str, Any]:
        """Saved in checkpoints (zoo.training.resume): where the training masks' generator stands."""
        train = self.generators.get("train")
        return {"generator": None if train is None else train.get_state()}

    def load_resume_state(self, state: dict[str, Any]) -> None:
        if state["generator"] is not None:
            self.generators["train"] = torch.Generator()
            self.generators["train"].set_state(state["generator"])

    def on_test_epoch_start(self) -> None:
        self.generators.pop("test", None)

    def loss_and_outputs(
        self, batch: Any, stage: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Batches of sentences (tokens, lengths, labels) or of language-model windows
        (tokens, next tokens), whose every position is real."""
        tokens = batch[0]
        lengths = batch[1] if len(batch) == 3 else torch.full((tokens.shape[0],), tokens.shape[1])
        inputs, targets = mask_tokens(
            tokens, lengths, self.hparams.vocab_size, self.generator(stage), self.hparams.mask_rate
        )
        logits = self(inputs, lengths)
        loss = F.cross_entropy(logits.flatten(0, 1).float(), targets.flatten(), ignore_index=IGNORE)
        return loss, logits.detach().float(), targets

    def tokens_in(self, batch: Any) -> torch.Tensor | int:
        return batch[1].sum() if len(batch) == 3 else batch[0].numel()  # sentences, or LM windows
