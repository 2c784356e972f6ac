"""Word vectors scored on the outside test sets, as the papers score them:

- similarity (WordSim353, SimLex-999): Spearman's rank correlation between the cosine of each
  pair's vectors and the human score, over the pairs whose two words are in the vocabulary; the
  coverage is the share of pairs scored.
- analogy (Mikolov et al. 2013, "a : b :: c : ?"): the answer is the word whose vector is nearest
  by cosine to b - a + c (unit vectors; a, b and c themselves excluded: 3CosAdd), accuracy over
  the questions whose four words are in the vocabulary, and that coverage.

Words are looked up through `index` (word → row), lowercased where the vocabulary is (the caller
normalises). The same functions score the zoo's vectors and gensim's, so they compare as equals.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def ranks(values: np.ndarray) -> np.ndarray:
    """1-based ranks, ties sharing their mean rank (as Spearman's coefficient needs)."""
    ranked = np.empty(len(values))
    ranked[np.argsort(values, kind="stable")] = np.arange(1, len(values) + 1)
    _, tie_group = np.unique(values, return_inverse=True)
    return (np.bincount(tie_group, weights=ranked) / np.bincount(tie_group))[tie_group]


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman's ρ: Pearson's correlation of the ranks."""
    rx, ry = ranks(np.asarray(x, dtype=float)), ranks(np.asarray(y, dtype=float))
    return float(np.corrcoef(rx, ry)[0, 1])


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float64)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)


def similarity_score(
    vectors: np.ndarray, index: dict[str, int], pairs: list[tuple[str, str, float]]
) -> tuple[float, float]:
    """(Spearman ρ of cosine against the human scores, coverage) over the pairs in the vocabulary."""
    unit = unit_rows(vectors)
    found = [(index[a], index[b], score) for a, b, score in pairs if a in index and b in index]
    if len(found) < 2:
        return float("nan"), len(found) / max(len(pairs), 1)
    cosines = np.array([unit[i] @ unit[j] for i, j, _ in found])
    return spearman(cosines, np.array([score for _, _, score in found])), len(found) / len(pairs)


def word_vector_scores(
    vectors: np.ndarray,
    index: dict[str, int],
    similarity_sets: dict[str, list[tuple[str, str, float]]],
    analogies: list[tuple[str, str, str, str]],
    normalize: Callable[[str], str] = str,
) -> dict[str, float]:
    """Every set's score and coverage: <set> and <set>_coverage for the similarity sets, analogy
    and analogy_coverage; test words pass through `normalize` (the vocabulary's lowercasing)."""
    scores = {}
    for name, pairs in similarity_sets.items():
        normalized = [(normalize(a), normalize(b), score) for a, b, score in pairs]
        scores[name], scores[f"{name}_coverage"] = similarity_score(vectors, index, normalized)
    questions = [(normalize(a), normalize(b), normalize(c), normalize(d)) for a, b, c, d in analogies]
    scores["analogy"], scores["analogy_coverage"] = analogy_accuracy(vectors, index, questions)
    return scores


def analogy_accuracy(
    vectors: np.ndarray, index: dict[str, int], questions: list[tuple[str, str, str, str]], chunk: int = 512
) -> tuple[float, float]:
    """(3CosAdd accuracy, coverage) over the questions whose four words are in the vocabulary."""
    unit = unit_rows(vectors)
    found = np.array([[index[w] for w in q] for q in questions if all(w in index for w in q)], dtype=np.int64)
    if not len(found):
        return float("nan"), 0.0
    correct = 0
    for start in range(0, len(found), chunk):
        a, b, c, d = found[start : start + chunk].T
        scores = unit_rows(unit[b] - unit[a] + unit[c]) @ unit.T  # (questions, vocabulary)
        rows = np.arange(len(a))
        for excluded in (a, b, c):
            scores[rows, excluded] = -np.inf
        correct += int((scores.argmax(axis=1) == d).sum())
    return correct / len(found), len(found) / len(questions)
