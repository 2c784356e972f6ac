"""Word embeddings: skip-gram with negative sampling (Mikolov et al. 2013), and pretrained vectors.

Skip-gram: each word w has an input vector v_w and an output vector u_w; for a centre word c and a
word o of its context window, with k noise words n_1..n_k drawn from the unigram distribution^¾,
    loss = -log σ(u_o · v_c) - Σ_i log σ(-u_{n_i} · v_c).
After training, the input vectors are the embeddings: nearest neighbours by cosine similarity,
analogies by vector arithmetic (v_king - v_man + v_woman ≈ v_queen).

A classifier's word vectors start at PyTorch's N(0, 1) unless `word_embedding` is given a range:
Kim (2014) draws unseen words from U(-0.25, 0.25), about the spread of trained word2vec vectors;
vectors of norm ~sqrt(d) instead let a small labelled set be memorised by the vectors themselves
(Kim's CNN on the 4,000 MR sentences, cnn_sentiment_mr: test accuracy 0.658 from N(0, 1),
0.718 from U(-0.25, 0.25); best validation accuracy 0.64 and 0.75).

Pretrained vectors in the GloVe ("word x1 x2 ...") or word2vec text format (a first line
"count dimension", then the same) load into any nn.Embedding by a vocabulary.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn


def word_embedding(
    vocab_size: int, dim: int, init_range: float | None = None, padding_idx: int = 0
) -> nn.Embedding:
    """An embedding table whose padding row is zero; with `init_range` r its vectors are drawn from
    U(-r, r) instead of N(0, 1)."""
    if init_range is not None and not init_range > 0:
        raise ValueError(f"embed_init must be positive, got {init_range}")
    embedding = nn.Embedding(vocab_size, dim, padding_idx=padding_idx)
    if init_range is not None:
        with torch.no_grad():
            nn.init.uniform_(embedding.weight, -init_range, init_range)
            embedding.weight[padding_idx].zero_()
    return embedding


class SkipGram(nn.Module):
    """Input vectors v_w and output vectors u_w; with `sparse`, a step's gradient holds only the rows
    of the words in its batch, and an optimizer for sparse gradients (optimizer=sparse_adam, or
    plain SGD as word2vec's) updates only those rows instead of every word's."""

    def __init__(self, vocab_size: int, embed_dim: int = 32, sparse: bool = False):
        super().__init__()
        self.input_vectors = nn.Embedding(vocab_size, embed_dim, sparse=sparse)  # v_w
        self.output_vectors = nn.Embedding(vocab_size, embed_dim, sparse=sparse)  # u_w
        nn.init.uniform_(self.input_vectors.weight, -0.5 / embed_dim, 0.5 / embed_dim)
        nn.init.zeros_(self.output_vectors.weight)

    def forward(self, centre: torch.Tensor, context: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """The mean negative-sampling loss over a batch: centre, context (B,), noise (B, k)."""
        v = self.input_vectors(centre)  # (B, d)
        positive = (self.output_vectors(context) * v).sum(-1)  # u_o · v_c
        negative = torch.bmm(self.output_vectors(noise), v.unsqueeze(-1)).squeeze(-1)  # u_n · v_c
        return -(F.logsigmoid(positive) + F.logsigmoid(-negative).sum(-1)).mean()

    def similar(
        self, query: torch.Tensor, k: int = 10, exclude: list[int] | None = None
    ) -> list[tuple[int, float]]:
        """The k words whose input vectors are closest to `query` by cosine similarity."""
        vectors = F.normalize(self.input_vectors.weight.detach(), dim=-1)
        scores = vectors @ F.normalize(query.detach(), dim=-1)
        if exclude:
            scores[exclude] = -2.0
        best = scores.topk(min(k, len(scores)))
        return list(zip(best.indices.tolist(), best.values.tolist(), strict=True))


def read_vectors(path: str | Path) -> dict[str, torch.Tensor]:
    """Word vectors from a GloVe or word2vec text file."""
    vectors: dict[str, torch.Tensor] = {}
    with Path(path).open(encoding="utf-8") as file:
        for number, line in enumerate(file):
            parts = line.rstrip().split(" ")
            if number == 0 and len(parts) == 2 and all(p.isdigit() for p in parts):
                continue  # word2vec header: count and dimension
            if len(parts) < 2:
                continue
            try:
                vectors[parts[0]] = torch.tensor([float(value) for value in parts[1:]])
            except ValueError:
                raise ValueError(f"{path}, line {number + 1}: not 'word x1 x2 ...'") from None
    if not vectors:
        raise ValueError(f"{path} holds no vectors")
    sizes = {len(v) for v in vectors.values()}
    if len(sizes) > 1:
        raise ValueError(f"{path}: vectors of different sizes {sorted(sizes)}")
    return vectors


def load_pretrained(
    embedding: nn.Embedding, vocabulary: dict[str, int], path: str | Path, freeze: bool = False
) -> int:
    """Set the rows of `embedding` for the words of `vocabulary` (word → row) found in the vector
    file; the other rows keep their values. Returns how many rows were set."""
    vectors = read_vectors(path)
    dimension = len(next(iter(vectors.values())))
    if dimension != embedding.embedding_dim:
        raise ValueError(
            f"{path} has {dimension}-dimensional vectors; the embedding has {embedding.embedding_dim}"
        )
    found = 0
    with torch.no_grad():
        for word, row in vocabulary.items():
            if word in vectors and row < embedding.num_embeddings:
                embedding.weight[row] = vectors[word]
                found += 1
    embedding.weight.requires_grad_(not freeze)
    return found
