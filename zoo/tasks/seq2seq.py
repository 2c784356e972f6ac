"""Task `Seq2Seq`: an encoder-decoder trained on (source, target) pairs, for any net with the
interface of zoo.models.decoding (the RNN encoder-decoder, the Transformer).

Training: cross-entropy of each target token given the source and the previous target tokens,
optionally with label smoothing. With teacher_forcing = 1 the decoder always reads the true
previous token; below 1, each step reads the model's own previous prediction with probability
1 - teacher_forcing (scheduled sampling), which is closer to how it will be used.
Validation and test decode (greedy, or beam search with beam_size > 1) and score the output:
token accuracy and exact match for synthetic tasks, and BLEU for natural language (bleu: true),
computed with sacreBLEU's algorithm over the target tokens (tokenize="none": tokenized BLEU); an
<unk> in a translation never matches the reference's <unk>, since an unknown word is not a right one.
The zoo's tokenizers put <pad> <unk> <bos> <eos> at ids 0..3.
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
import torch.nn.functional as F
from torchmetrics import Metric, MetricCollection
from torchmetrics.text import SacreBLEUScore

from zoo.tasks.base import Task
from zoo.tasks.inference.seq2seq import Seq2SeqInference, attention_of
from zoo.tasks.metrics import Share
from zoo.viz.evaluation import score_by_length
from zoo.vocabulary import EOS, IGNORE, PAD, UNK

if TYPE_CHECKING:
    from zoo.data.base import DataModule


def align(predictions: torch.Tensor, length: int) -> torch.Tensor:
    """Generated tokens (B, L) cut or padded with <pad> to `length` columns."""
    if predictions.shape[1] >= length:
        return predictions[:, :length]
    return F.pad(predictions, (0, length - predictions.shape[1]), value=PAD)


class TokenAccuracy(Share):
    """Share of target tokens (<eos> included) whose position holds the same generated token."""

    def counts(self, predictions: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        real = targets != IGNORE
        return ((predictions == targets) & real).sum(), real.sum()


class ExactMatch(Share):
    """Share of sentences generated exactly, up to and including <eos>."""

    def counts(self, predictions: torch.Tensor, targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        exact = ((predictions == targets) | (targets == IGNORE)).all(dim=1)
        return exact.sum(), torch.tensor(targets.shape[0], device=targets.device)


def token_strings(rows: torch.Tensor, unknown: str = str(UNK)) -> list[str]:
    """Each row of ids up to <eos> (or the target's end) as a string of ids, for BLEU; <unk> is
    written as `unknown`."""
    strings = []
    for row in rows.tolist():
        row = row[: row.index(EOS)] if EOS in row else row
        words = (unknown if token == UNK else str(token) for token in row if token not in (PAD, IGNORE))
        strings.append(" ".join(words))
    return strings


class TokenBLEU(SacreBLEUScore):
    """Corpus BLEU-4 (sacreBLEU's algorithm) over target token ids: equal to BLEU over the words
    of a word-level tokenizer."""

    def __init__(self) -> None:
        super().__init__(tokenize="none")

    def update(self, predictions: torch.Tensor, targets: torch.Tensor) -> None:  # type: ignore[override]
        hypotheses = token_strings(predictions, unknown="unk-in-translation")  # matches no reference word
        super().update(hypotheses, [[reference] for reference in token_strings(targets)])


class Seq2Seq(Seq2SeqInference, Task):
    def __init__(
        self,
        net: dict[str, Any],
        src_vocab_size: int,
        tgt_vocab_size: int,
        teacher_forcing: float = 1.0,
        label_smoothing: float = 0.0,
        bleu: bool = False,
        beam_size: int = 1,
        length_penalty: float = 0.0,
        max_length: int | None = None,
        optimizer: dict[str, Any] | None = None,
        scheduler: dict[str, Any] | None = None,
        regularizer: dict[str, Any] | None = None,
        compile: bool = False,
    ):
        if not 0.0 <= teacher_forcing <= 1.0:
            raise ValueError(f"teacher_forcing must be in [0, 1], got {teacher_forcing}")
        super().__init__(net, src_vocab_size, tgt_vocab_size, beam_size, length_penalty, max_length, compile)
        self.save_hyperparameters()
        self.monitor = "val/bleu" if bleu else "val/acc"
        self.monitor_mode = "max"
        self.setup_training()
        self.train_metrics = MetricCollection({"acc": TokenAccuracy()}, prefix="train/")  # teacher-forced

    def make_metrics(self) -> MetricCollection:
        metrics: dict[str, Metric] = {"acc": TokenAccuracy(), "exact": ExactMatch()}
        if self.hparams.bleu:
            metrics["bleu"] = TokenBLEU()
        return MetricCollection(metrics)

    def scheduled_sampling(
        self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor
    ) -> torch.Tensor:
        """Logits (B, T, V) when each step reads the true previous token with probability
        `teacher_forcing` and otherwise the model's own previous prediction."""
        memory = self.net.encode(src, src_lengths)
        state = self.net.init_state(memory)
        token, logits = tgt_in[:, 0], []
        for i in range(tgt_in.shape[1]):
            step_logits, state, _ = self.net.step(token, state, memory)
            logits.append(step_logits)
            if i + 1 < tgt_in.shape[1]:
                own = random.random() >= self.hparams.teacher_forcing
                token = step_logits.argmax(-1).detach() if own else tgt_in[:, i + 1]
        return torch.stack(logits, dim=1)

    def loss_and_outputs(
        self, batch: Any, stage: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        src, src_lengths, tgt = batch
        tgt_in, tgt_out = tgt[:, :-1], tgt[:, 1:]
        if stage == "train" and self.hparams.teacher_forcing < 1.0:
            logits = self.scheduled_sampling(src, src_lengths, tgt_in)
        else:
            logits, _ = self(src, src_lengths, tgt_in)
        loss = F.cross_entropy(
            logits.flatten(0, 1).float(),
            tgt_out.flatten(),
            ignore_index=PAD,
            label_smoothing=self.hparams.label_smoothing,
        )
        targets = tgt_out.masked_fill(tgt_out == PAD, IGNORE)
        if stage in ("val", "test"):
            predictions = self.translate(src, src_lengths).tokens
        else:
            predictions = logits.detach().argmax(-1)
        return loss, align(predictions, targets.shape[1]), targets

    def tokens_in(self, batch: Any) -> torch.Tensor:
        """The source's tokens and the target's after <bos>: what the model reads and predicts."""
        src, src_lengths, tgt = batch
        return src_lengths.sum() + (tgt[:, 1:] != PAD).sum()

    def evaluation_plots(self, datamodule: DataModule, folder: Path) -> list[tuple[str, Path]]:
        """BLEU of the greedy translations of the validation split by source length: where a
        fixed context vector runs out of room, attention does not (Bahdanau et al.'s figure)."""

        lengths, scores = bleu_by_source_length(self, datamodule)
        if not lengths:
            return []
        path = score_by_length(lengths, {"greedy": scores}, "BLEU", folder / "bleu_by_length.png",
                               title="greedy translations of the validation split")  # fmt: skip
        return [("plots/bleu_by_length", path)]

    def attention_examples(
        self, datamodule: DataModule, count: int
    ) -> list[tuple[Any, list[str], list[str]]]:
        """Greedy translations of the first `count` validation sentences and where they looked."""
        examples = datamodule.datasets["val"][:count]
        src, lengths, _ = datamodule.collate(examples)
        result = self.translate(src.to(self.device), lengths.to(self.device), beam_size=1)
        if result.attention is None:
            return []
        return [attention_of(result, i, source_ids, datamodule) for i, (source_ids, _) in enumerate(examples)]


def bleu_by_source_length(
    task: Seq2SeqInference, datamodule: DataModule, buckets: int = 6, batch_size: int = 128
) -> tuple[list[str], list[float]]:
    """(a label per bucket of source lengths, e.g. "7-9", the corpus BLEU of its greedy
    translations): the validation sentences sorted by length and cut into `buckets` equal parts."""
    examples = sorted(datamodule.datasets["val"], key=lambda example: len(example[0]))
    if len(examples) < buckets:
        return [], []
    labels, scores = [], []
    size = math.ceil(len(examples) / buckets)
    for start in range(0, len(examples), size):
        bucket, bleu = examples[start : start + size], TokenBLEU()
        for first in range(0, len(bucket), batch_size):
            src, lengths, tgt = datamodule.collate(bucket[first : first + batch_size])
            tokens = task.translate(src.to(task.device), lengths.to(task.device), beam_size=1).tokens.cpu()
            bleu.update(tokens, tgt[:, 1:].masked_fill(tgt[:, 1:] == PAD, IGNORE))
        shortest, longest = len(bucket[0][0]), len(bucket[-1][0])
        labels.append(f"{shortest}-{longest}" if longest > shortest else str(shortest))
        scores.append(float(bleu.compute()))
    return labels, scores
