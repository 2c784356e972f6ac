"""An n-gram language model with interpolated Kneser-Ney smoothing: the count-based baseline that
neural language models are measured against (a character 5-gram on English text is about 2 nats a
character).

For history h (the n-1 previous tokens), with absolute discount d, c(h, w) the count of h
followed by w, c(h) = Σ_w c(h, w) and N1+(h •) the number of distinct tokens seen after h:

    P(w | h) = max(c(h, w) - d, 0) / c(h) + d · N1+(h •) / c(h) · P(w | h')

where h' drops the oldest token of h. Lower orders count how many distinct tokens precede h'w
(continuation counts N1+(• h' w)) instead of how often h'w occurs: a token seen after many
different contexts is a likely continuation of a new one. The lowest order interpolates with the
uniform distribution over the vocabulary, so no token has probability 0; a history never seen
gives all of its weight to the next lower order. Pure Python over token ids.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence


class KneserNeyLM:
    def __init__(self, order: int, vocab_size: int, discount: float = 0.75):
        if order < 1 or vocab_size < 1 or not 0 < discount < 1:
            raise ValueError("order and vocab_size must be positive and the discount in (0, 1)")
        self.order, self.vocab_size, self.discount = order, vocab_size, discount
        # counts[k][(h, w)] for histories h of length k: raw counts at the highest order,
        # continuation counts below it; totals[k][h] = Σ_w counts; types[k][h] = N1+(h •)
        self.counts: list[dict[tuple, int]] = [defaultdict(int) for _ in range(order)]
        self.totals: list[dict[tuple, int]] = [defaultdict(int) for _ in range(order)]
        self.types: list[dict[tuple, int]] = [defaultdict(int) for _ in range(order)]

    def fit(self, stream: Sequence[int]) -> KneserNeyLM:
        """Count every n-gram of the token stream (up to `order`), as continuation counts below the
        highest order."""
        top = self.order - 1
        seen: list[set[tuple]] = [set() for _ in range(self.order)]
        for end in range(1, len(stream) + 1):
            for k in range(min(top, end - 1) + 1):  # history lengths 0..top
                gram = tuple(stream[end - 1 - k : end])
                if k == top or end - 1 - k == 0:
                    # the highest order counts occurrences; a gram at the start of the stream has no
                    # left neighbour to count, so it is counted as an occurrence too
                    self.add(k, gram)
                else:
                    extended = tuple(stream[end - 2 - k : end])
                    if extended not in seen[k + 1]:  # a new left extension of this gram
                        seen[k + 1].add(extended)
                        self.add(k, gram)
        return self

    def add(self, k: int, gram: tuple) -> None:
        history = gram[:-1]
        if self.counts[k][gram] == 0:
            self.types[k][history] += 1
        self.counts[k][gram] += 1
        self.totals[k][history] += 1

    def probability(self, token: int, history: Sequence[int]) -> float:
        """P(token | the last order-1 tokens of history)."""
        history = tuple(history[len(history) - (self.order - 1) :]) if self.order > 1 else ()
        probability = 1.0 / self.vocab_size  # the uniform floor below the unigrams
        for k in range(0, len(history) + 1):
            context = history[len(history) - k :] if k else ()
            total = self.totals[k].get(context, 0)
            if total == 0:
                break  # an unseen history: the lower orders' estimate stands
            count = self.counts[k].get((*context, token), 0)
            weight = self.discount * self.types[k][context] / total
            probability = max(count - self.discount, 0) / total + weight * probability
        return probability

    def cross_entropy(self, stream: Sequence[int]) -> float:
        """Mean -ln P(token | the tokens before it) over the stream's tokens after the first: nats
        per token."""
        total = 0.0
        for position in range(1, len(stream)):
            total -= math.log(
                self.probability(stream[position], stream[max(0, position - self.order + 1) : position])
            )
        return total / max(len(stream) - 1, 1)
