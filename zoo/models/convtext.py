"""A convolutional sentence classifier (Kim 2014, "Convolutional Neural Networks for Sentence
Classification"): one layer of filters over the word vectors, max over time, a linear layer.

For a sentence of word vectors x_1 ... x_n (embed_dim each), a filter w of width h gives the
feature map c_i = f(w · x_{i:i+h-1} + b) for i = 1 ... n-h+1; max-over-time pooling keeps
ĉ = max_i c_i, the filter's strongest match anywhere in the sentence, whatever its length. With
`filters` maps for each width in `widths` (Kim: 100 each of 3, 4, 5), the pooled features
[ĉ_1 ... ĉ_m] go through dropout (0.5) to a linear layer: class signals (B, classes).

The word vectors start at U(-0.25, 0.25) (`embed_init`, Kim's range for words without a
pretrained vector); `embed_init=None` keeps PyTorch's N(0, 1).

Padding (id 0) must not win the max: positions whose window reaches past the sentence's end are
set to -inf before pooling, and a sentence shorter than a filter is padded to its width (its
one window then holds padding, as in Kim's zero-padded batches).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from zoo.models.embeddings import word_embedding


class ConvSentenceClassifier(nn.Module):
    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        embed_dim: int = 128,
        filters: int = 100,
        widths: list[int] | tuple[int, ...] = (3, 4, 5),
        dropout: float = 0.5,
        activation: str = "relu",
        embed_init: float | None = 0.25,
    ):
        super().__init__()
        if not widths or any(not isinstance(w, int) or w < 1 for w in widths):
            raise ValueError(f"widths must be positive integers, got {widths!r}")
        if activation not in ("relu", "tanh"):
            raise ValueError(f"activation must be 'relu' or 'tanh', got {activation!r}")
        self.widths, self.activation = tuple(widths), activation
        self.embedding = word_embedding(vocab_size, embed_dim, embed_init)
        # one Conv1d per width: in_channels = the word vector, a window of h words
        self.convolutions = nn.ModuleList(nn.Conv1d(embed_dim, filters, width) for width in self.widths)
        self.drop = nn.Dropout(dropout)
        self.output = nn.Linear(filters * len(self.widths), num_classes)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        longest = max(self.widths)
        if tokens.shape[1] < longest:  # every filter needs one whole window
            tokens = F.pad(tokens, (0, longest - tokens.shape[1]))
        x = self.embedding(tokens).transpose(1, 2)  # (B, embed_dim, T): channels first for Conv1d
        pooled = [self.max_over_time(convolution(x), lengths, width) for convolution, width in
                  zip(self.convolutions, self.widths, strict=True)]  # fmt: skip
        return self.output(self.drop(torch.cat(pooled, dim=1)))

    def max_over_time(self, maps: torch.Tensor, lengths: torch.Tensor, width: int) -> torch.Tensor:
        """ĉ = max_i f(c_i) over the windows inside the sentence (at least the first window)."""
        maps = torch.relu(maps) if self.activation == "relu" else torch.tanh(maps)  # (B, filters, T-h+1)
        windows = (lengths.to(maps.device) - width + 1).clamp_min(1)  # windows wholly inside
        inside = torch.arange(maps.shape[2], device=maps.device) < windows.unsqueeze(1)  # (B, T-h+1)
        return maps.masked_fill(~inside.unsqueeze(1), float("-inf")).amax(dim=2)
