"""Recurrent networks over padded batches of token sequences (B, T) with their lengths (B,).

- RNNSequenceClassifier: embedding → (bi)RNN → one vector per sequence → linear → class signals.
  `pooling="last"`: the final hidden state h_T of each sequence (both directions when
  bidirectional); `"mean"`: the mean of h_t over the real tokens (the padding mask). `embed_init`
  r draws the word vectors from U(-r, r) (zoo.models.embeddings.word_embedding), not N(0, 1).
- RNNTagger: embedding → (bi)RNN → linear at every position → tag signals (B, T, tags); with
  `char_filters`, each word's embedding is joined by what a character CNN reads in its spelling
  (CharacterCNN), so a word never seen in training is still read by its letters.

Padding never reaches the recurrence on the fast path: sequences are packed
(pack_padded_sequence), so each one stops at its own length.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from zoo.errors import ZooError
from zoo.models.embeddings import word_embedding
from zoo.models.recurrent import recurrent_layer
from zoo.vocabulary import PAD

BYTE_IDS = 257  # a character input is a word's UTF-8 bytes + 1; 0 pads


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
        extra_features: int = 0,
        embed_init: float | None = None,
    ):
        super().__init__()
        self.embedding = word_embedding(vocab_size, embed_dim, embed_init, padding_idx=PAD)
        self.drop = nn.Dropout(dropout)
        inputs = embed_dim + extra_features
        self.rnn = recurrent_layer(mode, inputs, hidden, num_layers, bidirectional, dropout, nonlinearity)
        self.mode, self.directions = mode, 2 if bidirectional else 1
        self.output_size = hidden * self.directions

    def forward(
        self, tokens: torch.Tensor, lengths: torch.Tensor, extra: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(outputs h_t (B, T, directions·hidden), final states (B, directions·hidden)); `extra`
        (B, T, extra_features) is read beside each token's embedding."""
        x = self.embedding(tokens)
        x = self.drop(x if extra is None else torch.cat([x, extra], dim=-1))
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
        embed_init: float | None = None,
    ):
        super().__init__()
        if pooling not in ("last", "mean"):
            raise ValueError(f"pooling must be 'last' or 'mean', got {pooling!r}")
        self.pooling = pooling
        self.encoder = RecurrentEncoder(
            vocab_size, embed_dim, hidden, num_layers, mode, bidirectional, dropout, embed_init=embed_init
        )
        self.output = nn.Linear(self.encoder.output_size, num_classes)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        outputs, final = self.encoder(tokens, lengths)
        if self.pooling == "last":
            return self.output(final)
        mask = (tokens != 0).unsqueeze(-1).to(outputs.dtype)
        return self.output((outputs * mask).sum(1) / mask.sum(1).clamp_min(1))


class CharacterCNN(nn.Module):
    """A word's spelling as a vector (Ma & Hovy 2016; Lample et al. 2016 read it with a BiLSTM):
    its UTF-8 bytes (B, T, C; 0 pads) embedded, one convolution of width `width` along the bytes,
    tanh, and the largest value of each filter over the word's bytes: (B, T, filters)."""

    def __init__(self, filters: int, dim: int = 16, width: int = 3):
        super().__init__()
        self.embedding = nn.Embedding(BYTE_IDS, dim, padding_idx=0)
        self.conv = nn.Conv1d(dim, filters, width, padding="same")  # one output per byte, any width

    def forward(self, characters: torch.Tensor) -> torch.Tensor:
        batch, steps, width = characters.shape
        flat = characters.reshape(batch * steps, width)
        features = torch.tanh(self.conv(self.embedding(flat).transpose(1, 2)))  # (B·T, filters, C)
        features = features.masked_fill((flat == 0).unsqueeze(1), -1.0)  # a pad is never the largest
        return features.amax(dim=-1).reshape(batch, steps, -1)


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
        char_filters: int = 0,
        char_dim: int = 16,
        char_width: int = 3,
    ):
        super().__init__()
        self.encoder = RecurrentEncoder(
            vocab_size, embed_dim, hidden, num_layers, mode, bidirectional, dropout, nonlinearity,
            extra_features=char_filters,
        )  # fmt: skip
        self.characters = CharacterCNN(char_filters, char_dim, char_width) if char_filters else None
        self.output = nn.Linear(self.encoder.output_size, num_classes)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """Tag signals (B, T, tags) from word ids (B, T), or with characters from (B, T, 1 + C):
        each word's id, then its bytes (SequenceDataModule with data.characters=C)."""
        reads_characters = self.characters is not None
        if (tokens.ndim == 3) != reads_characters:
            raise ZooError(
                "the tagger reads each word's characters (model.net.char_filters) only with data that "
                "gives them (data.characters), and then both are needed"
            )
        if not reads_characters:
            outputs, _ = self.encoder(tokens, lengths)
        else:
            outputs, _ = self.encoder(tokens[..., 0], lengths, self.characters(tokens[..., 1:]))
        return self.output(outputs)
