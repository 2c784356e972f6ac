"""Greedy and beam-search decoding for any encoder-decoder with this interface:

    memory = net.encode(src, src_lengths)          tensors with the batch on dim 0
    state = net.init_state(memory)                 tuples of tensors, batch on dim 0
    logits, state, weights = net.step(token, state, memory)    one target step for (B,) tokens

Greedy decoding takes the most probable token at each step. Beam search keeps the k most
probable hypotheses per sentence: at each step every hypothesis is extended by every token, and
the k best of the k·V candidates (by the sum of log-probabilities) survive. All sentences and
beams advance together as one (B·k) batch; a finished hypothesis (it produced <eos>) is extended
only by <pad> at no cost, so it keeps its score. The best hypothesis is chosen by
score / length^α (α = length_penalty; 0 compares raw log-probabilities, 1 the mean per token).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch


@dataclass
class Hypotheses:
    tokens: torch.Tensor  # (B, L) generated tokens, <eos> included, <pad> after it
    log_prob: torch.Tensor  # (B,) Σ log p(token) over the generated tokens up to <eos>
    attention: torch.Tensor | None  # (B, L, S) the decoder's attention weights, if it has any


def map_batch(tree: Any, function: Any) -> Any:
    """Apply `function` to every tensor of a state or memory (tuples and dicts of tensors)."""
    if isinstance(tree, torch.Tensor):
        return function(tree)
    if isinstance(tree, dict):
        return {key: map_batch(value, function) for key, value in tree.items()}
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # a NamedTuple (a layer's cache)
        return type(tree)(*(map_batch(value, function) for value in tree))
    if isinstance(tree, tuple | list):
        return type(tree)(map_batch(value, function) for value in tree)
    return tree


def stack_attention(weights: list[torch.Tensor | None]) -> torch.Tensor | None:
    return None if not weights or weights[0] is None else torch.stack(weights, dim=1)


@torch.no_grad()
def greedy_decode(
    net: Any, src: torch.Tensor, src_lengths: torch.Tensor, max_length: int, bos: int, eos: int, pad: int = 0
) -> Hypotheses:
    memory = net.encode(src, src_lengths)
    state = net.init_state(memory)
    batch = src.shape[0]
    token = torch.full((batch,), bos, dtype=torch.long, device=src.device)
    finished = torch.zeros(batch, dtype=torch.bool, device=src.device)
    log_prob = torch.zeros(batch, device=src.device)
    tokens, weights = [], []
    for _ in range(max_length):
        logits, state, step_weights = net.step(token, state, memory)
        best, token = torch.log_softmax(logits.float(), dim=-1).max(dim=-1)
        token = token.masked_fill(finished, pad)
        log_prob += best.masked_fill(finished, 0.0)
        tokens.append(token)
        weights.append(step_weights)
        finished |= token == eos
        if finished.all():
            break
    return Hypotheses(torch.stack(tokens, dim=1), log_prob, stack_attention(weights))


@torch.no_grad()
def beam_search(
    net: Any,
    src: torch.Tensor,
    src_lengths: torch.Tensor,
    max_length: int,
    bos: int,
    eos: int,
    pad: int = 0,
    beam_size: int = 5,
    length_penalty: float = 0.0,
) -> Hypotheses:
    batch, k, device = src.shape[0], beam_size, src.device
    memory = map_batch(net.encode(src, src_lengths), lambda t: t.repeat_interleave(k, dim=0))
    state = net.init_state(memory)
    # Only the first beam is alive at the start: the others are copies and would repeat it.
    scores = torch.full((batch, k), float("-inf"), device=device)
    scores[:, 0] = 0.0
    finished = torch.zeros(batch, k, dtype=torch.bool, device=device)
    lengths = torch.zeros(batch, k, device=device)
    token = torch.full((batch * k,), bos, dtype=torch.long, device=device)
    history = torch.empty(batch * k, 0, dtype=torch.long, device=device)
    attention: torch.Tensor | None = None
    offsets = torch.arange(batch, device=device)[:, None] * k
    for _ in range(max_length):
        logits, state, weights = net.step(token, state, memory)
        log_p = torch.log_softmax(logits.float(), dim=-1).view(batch, k, -1)
        vocab = log_p.shape[-1]
        after_end = torch.full((vocab,), float("-inf"), device=device)
        after_end[pad] = 0.0
        log_p = torch.where(finished[..., None], after_end, log_p)
        scores, best = (scores[..., None] + log_p).view(batch, k * vocab).topk(k, dim=-1)
        beam, new_token = best // vocab, best % vocab
        rows = (beam + offsets).view(-1)  # which hypothesis each survivor extends
        history = torch.cat([history[rows], new_token.view(-1, 1)], dim=1)
        if weights is not None:
            attention = (
                weights[rows, None]
                if attention is None
                else torch.cat([attention[rows], weights[rows, None]], dim=1)
            )
        state = map_batch(state, lambda t, rows=rows: t[rows])
        was_finished = finished.gather(1, beam)
        lengths = lengths.gather(1, beam) + (~was_finished).float()
        finished = was_finished | (new_token == eos)
        token = new_token.view(-1)
        if finished.all():
            break
    normalised = scores / lengths.clamp_min(1).pow(length_penalty)
    chosen = normalised.argmax(dim=-1) + offsets[:, 0]
    return Hypotheses(
        history[chosen], scores.view(-1)[chosen], None if attention is None else attention[chosen]
    )
