"""The Kneser-Ney n-gram baseline: a distribution for every history, and real smoothing."""

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from zoo.course.ngram import KneserNeyLM


@settings(max_examples=40, deadline=None)
@given(
    stream=st.lists(st.integers(0, 5), min_size=1, max_size=200),
    history=st.lists(st.integers(0, 6), max_size=4),
    order=st.integers(1, 4),
)
def test_every_history_gets_a_distribution_over_the_vocabulary(stream, history, order):
    lm = KneserNeyLM(order, vocab_size=7).fit(stream)
    probabilities = [lm.probability(token, history) for token in range(7)]
    assert all(p > 0 for p in probabilities)  # token 6 never occurs: still possible
    assert math.isclose(sum(probabilities), 1.0, rel_tol=1e-9)


def test_context_is_learnt_and_a_new_history_backs_off():
    stream = [0, 1, 2, 3] * 200  # each token fixes the next
    trigram, unigram = KneserNeyLM(3, 4).fit(stream), KneserNeyLM(1, 4).fit(stream)
    assert trigram.cross_entropy(stream) < 0.05 < math.log(4) - 0.01 < unigram.cross_entropy(stream)
    # the history (3, 3) never occurred: its estimate is the lower orders' (what follows 3: 0)
    after = [trigram.probability(token, [3, 3]) for token in range(4)]
    assert max(after) == after[0] > 0.5
    # continuation counts: 2 follows one context only, so it is a poor guess after an unseen one
    assert trigram.probability(2, [0, 0]) < trigram.probability(2, [0, 1])
