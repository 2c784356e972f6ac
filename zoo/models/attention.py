"""Attention of a decoder over the encoder's states, in the course's notation:

    r_ij = score(h_{i-1}, s_j)          how well source position j fits the decoder's state
    a_ij = softmax_j(r_ij)              over the real source positions only (padding gets 0)
    c_i  = Σ_j a_ij s_j                 the context vector for target step i

Scores: "dot" h·s (the course's, default), "general" hᵀ W s (Luong et al., 2015) and "additive"
vᵀ tanh(W h + U s) (Bahdanau et al., 2015).
"""

from __future__ import annotations

import torch
from torch import nn

SCORES = ("dot", "general", "additive")


class Attention(nn.Module):
    def __init__(self, score: str, query_size: int, key_size: int, hidden: int | None = None):
        super().__init__()
        if score not in SCORES:
            raise ValueError(f"attention score must be one of {', '.join(SCORES)}, got {score!r}")
        if score == "dot" and query_size != key_size:
            raise ValueError(f"dot attention needs equal sizes, got query {query_size} and key {key_size}")
        self.score = score
        if score == "general":
            self.W = nn.Linear(key_size, query_size, bias=False)
        elif score == "additive":
            hidden = hidden or query_size
            self.W = nn.Linear(query_size, hidden, bias=False)
            self.U = nn.Linear(key_size, hidden)
            self.v = nn.Linear(hidden, 1, bias=False)

    def keys(self, s: torch.Tensor) -> torch.Tensor:
        """The part of the score that depends on the source only (W s, U s), computed once per
        sentence rather than at every target step."""
        if self.score == "general":
            return self.W(s)
        if self.score == "additive":
            return self.U(s)
        return s

    def scores(self, h: torch.Tensor, s: torch.Tensor, keys: torch.Tensor | None = None) -> torch.Tensor:
        """r (B, S) for a query h (B, Q) against the states s (B, S, K)."""
        keys = self.keys(s) if keys is None else keys
        if self.score == "additive":
            return self.v(torch.tanh(self.W(h)[:, None] + keys)).squeeze(-1)
        return (keys * h[:, None]).sum(-1)  # dot: h·s; general: hᵀ(W s)

    def forward(
        self, h: torch.Tensor, s: torch.Tensor, mask: torch.Tensor, keys: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(context c (B, K), weights a (B, S)); `mask` (B, S) is True at real source tokens;
        `keys` = self.keys(s) if already computed. Padding scores are -inf, so exp gives exactly 0
        weight there."""
        r = self.scores(h, s, keys).masked_fill(~mask, float("-inf"))
        a = torch.softmax(r, dim=-1)
        c = torch.bmm(a[:, None].to(s.dtype), s).squeeze(1)
        return c, a
