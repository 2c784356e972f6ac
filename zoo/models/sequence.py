"""Recurrent networks over padded batches of token sequences (B, T) with their lengths (B,).

- RNNSequenceClassifier: embedding → (bi)RNN → one vector per sequence → linear → class signals.
  `pooling="last"`: the final hidden state h_T of each sequence (both directions when
  bidirectional); `"mean"`: the mean of h_t over the real tokens (the padding mask).
- RNNTagger: embedding → (bi)RNN → linear at every position → tag signals (B, T, tags).

Padding never reaches the recurrence on the fast path: sequences are packed
(pack_padded_sequence), so each one stops at its own length.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from zoo.models.recurrent import recurrent_layer
from zoo.vocabulary import PAD


class RecurrentEncoder(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden: int,
        num_layers: int,
        mode: str,
        bidirectional: bool,
        dropout: float,
        nonlinearity: str = "tanh",
    ):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embed_dim, padding_idx=PAD)
        self.drop = nn.Dropout(dropout)
        self.rnn = recurrent_layer(mode, embed_dim, hidden, num_layers, bidirectional, dropout, nonlinearity)
        self.mode, self.directions = mode, 2 if bidirectional else 1
        self.output_size = hidden * self.directions

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(outputs h_t (B, T, directions·hidden), final states (B, directions·hidden))."""
        x = self.drop(self.embedding(tokens))
        packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        outputs, _ = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, batch_first=True, total_length=tokens.shape[1])
        return self.drop(outputs), self.drop(final_states(outputs, lengths, self.directions))


def final_states(outputs: torch.Tensor, lengths: torch.Tensor, directions: int) -> torch.Tensor:
    """The last layer's final states (B, directions·hidden) read from its outputs (B, T, ...): the
    forward direction's at each sequence's last token, the backward direction's at the first. The
    same numbers as the RNN's returned state, and the form an ONNX export can trace."""
    hidden = outputs.shape[2] // directions
    last = (lengths.to(outputs.device) - 1).clamp_min(0)
    forward = outputs[torch.arange(outputs.shape[0], device=outputs.device), last, :hidden]
    if directions == 1:
        return forward
    return torch.cat([forward, outputs[:, 0, hidden:]], dim=1)


class RNNSequenceClassifier(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        embed_dim: int = 64,
        hidden: int = 64,
        num_layers: int = 1,
        mode: str = "lstm",
        bidirectional: bool = True,
        pooling: str = "last",
        dropout: float = 0.0,
    ):
        super().__init__()
        if pooling not in ("last", "mean"):
            raise ValueError(f"pooling must be 'last' or 'mean', got {pooling!r}")
        self.pooling = pooling
        self.encoder = RecurrentEncoder(
            vocab_size, embed_dim, hidden, num_layers, mode, bidirectional, dropout
        )
        self.output = nn.Linear(self.encoder.output_size, num_classes)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        outputs, final = self.encoder(tokens, lengths)
        if self.pooling == "last":
            return self.output(final)
        mask = (tokens != 0).unsqueeze(-1).to(outputs.dtype)
        return self.output((outputs * mask).sum(1) / mask.sum(1).clamp_min(1))


class RNNTagger(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        embed_dim: int = 64,
        hidden: int = 64,
        num_layers: int = 1,
        mode: str = "lstm",
        bidirectional: bool = True,
        dropout: float = 0.0,
        nonlinearity: str = "tanh",
    ):
        super().__init__()
        self.encoder = RecurrentEncoder(
            vocab_size, embed_dim, hidden, num_layers, mode, bidirectional, dropout, nonlinearity
        )
        self.output = nn.Linear(self.encoder.output_size, num_classes)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        outputs, _ = self.encoder(tokens, lengths)
        return self.output(outputs)
