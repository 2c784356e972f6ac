"""Word vectors scored on the outside test sets: the readers on the upstream formats, the scorer
against gensim's own evaluators on the same vectors (the reference implementation), and the
skip-gram task logging the scores at test time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from tests.conftest import REAL_DATA_DIR, real_corpus
from zoo.data.word_vector_tests import read_analogies, read_similarity_pairs
from zoo.errors import ZooError
from zoo.tasks.word_vector_scores import analogy_accuracy, similarity_score, spearman


def test_readers_take_the_upstream_formats(tmp_path: Path):
    (tmp_path / "ws.tsv").write_text(
        "# a header\n# Word 1\tWord 2\tHuman (mean)\nlove\tsex\t6.77\ntiger\tcat\t7.35\n"
    )
    assert read_similarity_pairs(tmp_path / "ws.tsv") == [("love", "sex", 6.77), ("tiger", "cat", 7.35)]
    (tmp_path / "q.txt").write_text(
        ": capitals\nAthens Greece Baghdad Iraq\n: family\nboy girl brother sister\n"
    )
    sections = read_analogies(tmp_path / "q.txt")
    assert sections["capitals"] == [("Athens", "Greece", "Baghdad", "Iraq")]
    assert sections["family"] == [("boy", "girl", "brother", "sister")]
    (tmp_path / "bad.txt").write_text("boy girl brother sister\n")
    with pytest.raises(ZooError, match="bad.txt:1: not 'a b c d' under a ': section' line"):
        read_analogies(tmp_path / "bad.txt")


def test_spearman_is_scipys_with_ties():
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.integers(0, 6, 40).astype(float), rng.normal(size=40)
        assert spearman(x, y) == pytest.approx(spearmanr(x, y).statistic, abs=1e-12)


def test_the_analogy_is_3cosadd_without_the_question_words():
    index = {"man": 0, "woman": 1, "king": 2, "queen": 3, "apple": 4}
    vectors = np.array([[1, 0, 0], [1, 1, 0], [1, 0, 1], [1, 1, 1.0], [0, 0, 1.0]])
    assert analogy_accuracy(
        vectors, index, [("man", "woman", "king", "queen"), ("man", "woman", "king", "zebra")]
    ) == (1.0, 0.5)
    # b - a + c = c exactly: c itself would win if it were not excluded
    assert analogy_accuracy(vectors, index, [("man", "man", "king", "queen")])[0] == 1.0


def test_the_scorer_agrees_with_gensims_evaluators_on_the_same_vectors():
    from gensim.models import KeyedVectors

    folder = real_corpus("word_vector_tests")
    pairs = read_similarity_pairs(folder / "wordsim353.tsv")
    questions = [
        q for section in read_analogies(folder / "questions-words.txt").values() for q in section[:40]
    ]
    words = sorted(
        {w.lower() for a, b, _ in pairs for w in (a, b)} | {w.lower() for q in questions for w in q}
    )
    rng = np.random.default_rng(0)
    words = [w for w in words if rng.random() < 0.9]  # some words missing: coverage below 1
    vectors = rng.normal(size=(len(words), 16)).astype(np.float32)
    index = {w: i for i, w in enumerate(words)}
    keyed = KeyedVectors(16)
    keyed.add_vectors(words, vectors)
    lowered = [(a.lower(), b.lower(), s) for a, b, s in pairs]
    ours, coverage = similarity_score(vectors, index, lowered)
    _, theirs, oov_percent = keyed.evaluate_word_pairs(str(folder / "wordsim353.tsv"), case_insensitive=True)
    assert ours == pytest.approx(theirs.statistic, abs=1e-9)
    assert coverage == pytest.approx(1 - oov_percent / 100, abs=1e-9)
    (Path(REAL_DATA_DIR) / ".questions-subset.txt").write_text(
        ": subset\n" + "\n".join(" ".join(q) for q in questions) + "\n")  # fmt: skip
    ours, coverage = analogy_accuracy(vectors, index, [tuple(w.lower() for w in q) for q in questions])
    theirs, sections = keyed.evaluate_word_analogies(str(Path(REAL_DATA_DIR) / ".questions-subset.txt"))
    scored = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
    assert ours == pytest.approx(theirs, abs=1e-9) and coverage == pytest.approx(scored / len(questions))


def test_skipgram_on_brown_logs_the_scores_at_test_time(train_run):
    real_corpus("brown"), real_corpus("word_vector_tests")
    limits = [
        "+trainer.limit_train_batches=30",
        "+trainer.limit_val_batches=2",
        "+trainer.limit_test_batches=2",
    ]
    summary = train_run(
        ["experiment=skipgram_brown", f"paths.data_dir={REAL_DATA_DIR}", "trainer.max_epochs=1", *limits]
    )
    test = summary["test"]
    assert test["test/wordsim353_coverage"] > 0.85 and test["test/simlex999_coverage"] > 0.9
    assert 0.3 < test["test/analogy_coverage"] < 1
    assert all(-1 <= test[f"test/{name}"] <= 1 for name in ("wordsim353", "simlex999", "analogy"))
