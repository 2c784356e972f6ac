"""Skip-gram training pairs: (centre, context, noise) triples from a generated or a text corpus."""

from __future__ import annotations

from collections import Counter
from typing import Any

import torch
from tokenizers import Tokenizer

from zoo.data import grammar
from zoo.data.base import TensorDataModule
from zoo.data.corpus_readers import SPLITS
from zoo.data.packages import packaged_folder
from zoo.data.text import LanguageModelDataModule, train_tokenizer
from zoo.data.word_vector_tests import ANALOGIES, SIMILARITY_SETS, read_analogies, read_similarity_pairs
from zoo.errors import ZooError


def most_frequent_tags(sentences: list[grammar.Sentence]) -> dict[str, str]:
    """Each word's most frequent part of speech in these sentences (the labels of an embedding plot)."""
    counts: dict[str, Counter] = {}
    for sentence in sentences:
        for word, tag in zip(sentence.words, sentence.tags, strict=True):
            counts.setdefault(word, Counter())[tag] += 1
    return {word: counter.most_common(1)[0][0] for word, counter in counts.items()}


class SkipGramDataModule(TensorDataModule):
    """(centre, context, noise) triples: every pair of words at most `window` apart in a sentence
    (a line of a text corpus), and `negatives` noise words per pair drawn (seeded) from the
    training unigram distribution raised to the power ¾.

    `corpus`: "grammar" (the generated sentences, whose parts of speech label the embedding plot)
    or any text corpus of zoo.data.text (e.g. "shakespeare"), tokenized by `tokenizer` ("wordpunct":
    lowercased, punctuation apart). `subsample` = t drops each training occurrence of a word of
    frequency f with probability 1 - √(t / f) (Mikolov et al.: frequent words teach little).
    `word_groups` ({group: [words]}, e.g. kin, titles, numbers) are what the task scores the
    vectors by (test/groups); the grammar's parts of speech when none are given. `train_on` lists
    the splits whose text trains the vectors (["train"]; all three for vectors scored on outside
    test sets, as word2vec trains on its whole corpus: the val/test losses then are not held out).
    `word_vector_tests` reads WordSim353, SimLex-999 and the analogy questions, which the task
    scores the vectors on at test time (zoo.tasks.word_vector_scores)."""

    def __init__(
        self,
        window: int = 2,
        negatives: int = 5,
        num_sentences: int = 2000,
        vocab_size: int = 64,
        batch_size: int = 256,
        seed: int = 0,
        corpus: str = "grammar",
        tokenizer: str = "word",
        subsample: float | None = None,
        word_groups: dict[str, list[str]] | None = None,
        data_dir: str = "data",
        download: bool = True,
        train_on: list[str] | None = None,
        word_vector_tests: bool = False,
    ):
        super().__init__(batch_size, seed)
        self.train_on = list(train_on or ["train"])
        self.word_vector_tests = word_vector_tests
        self.similarity_sets: dict[str, list[tuple[str, str, float]]] = {}  # name -> (word, word, score)
        self.analogies: list[tuple[str, str, str, str]] = []
        if not self.train_on or set(self.train_on) - set(SPLITS):
            raise ValueError(f"data.train_on must name splits among {', '.join(SPLITS)}, got {train_on!r}")
        self.word_groups = {
            str(group): [str(word) for word in words] for group, words in (word_groups or {}).items()
        }
        self.group_ids: dict[str, list[int]] = {}  # the groups' words as vocabulary rows (setup)
        if subsample is not None and not subsample > 0:
            raise ValueError(
                f"data.subsample must be a positive frequency (e.g. 0.001) or null, got {subsample}"
            )
        self.window, self.negatives, self.num_sentences, self.vocab_size = (
            window,
            negatives,
            num_sentences,
            vocab_size,
        )
        self.corpus, self.tokenizer_kind, self.subsample = corpus, tokenizer, subsample
        self.data_dir, self.download = data_dir, download
        self.tokenizer: Tokenizer | None = None
        self.word_tags: dict[str, str] = {}  # word -> its part of speech in the grammar
        self.collate_fn = self.collate

    def prepare_data(self) -> None:
        """The corpus and the word-vector test sets on disk (fetched first where allowed)."""
        if self.corpus != "grammar":
            LanguageModelDataModule(
                self.corpus, data_dir=self.data_dir, download=self.download
            ).prepare_data()
        if self.word_vector_tests:
            packaged_folder("word_vector_tests", self.data_dir, self.download)

    def read_word_vector_tests(self) -> None:
        folder = packaged_folder("word_vector_tests", self.data_dir, self.download)
        self.similarity_sets = {
            name: read_similarity_pairs(folder / file) for name, file in SIMILARITY_SETS.items()
        }
        self.analogies = [
            question for section in read_analogies(folder / ANALOGIES).values() for question in section
        ]

    def sentences(self) -> dict[str, list[str]]:
        """Each split's sentences as text (the grammar's, or a corpus's lines)."""
        if self.corpus != "grammar":
            reader = LanguageModelDataModule(self.corpus, data_dir=self.data_dir, download=self.download)
            return {
                split: [line for line in lines if line.strip()]
                for split, lines in reader.load_texts().items()
            }
        counts = (self.num_sentences, self.num_sentences // 5, self.num_sentences // 5)
        generated = {
            split: grammar.generate(count, self.seed * 3 + offset + 200)
            for offset, (split, count) in enumerate(zip(SPLITS, counts, strict=True))
        }
        self.word_tags = most_frequent_tags(generated["train"])
        return {split: [" ".join(s.words) for s in sentences] for split, sentences in generated.items()}

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        if self.word_vector_tests:
            self.read_word_vector_tests()
        texts = self.sentences()
        texts["train"] = [line for split in self.train_on for line in texts[split]]
        if self.tokenizer is None:
            self.tokenizer = train_tokenizer(self.tokenizer_kind, texts["train"], self.vocab_size)
        encoded = {
            split: [self.tokenizer.encode(line).ids for line in lines] for split, lines in texts.items()
        }
        frequency = torch.zeros(self.tokenizer.get_vocab_size())
        for ids in encoded["train"]:
            frequency += torch.bincount(torch.tensor(ids, dtype=torch.long), minlength=len(frequency))
        self.noise = frequency.pow(0.75) / frequency.pow(0.75).sum()
        self.group_ids = self.vocabulary_groups()
        self.generator = torch.Generator().manual_seed(self.seed)
        keep = self.keep_probability(frequency)
        for split, sentences in encoded.items():
            pairs = []
            for ids in sentences:
                if split == "train" and keep is not None:
                    draws = torch.rand(len(ids), generator=self.generator).tolist()
                    ids = [token for token, draw in zip(ids, draws, strict=True) if draw < keep[token]]
                for i, centre in enumerate(ids):
                    for j in range(max(0, i - self.window), min(len(ids), i + self.window + 1)):
                        if j != i:
                            pairs.append((centre, ids[j]))
            self.datasets[split] = pairs

    def vocabulary_groups(self) -> dict[str, list[int]]:
        """`word_groups` as rows of the vocabulary (a word it lacks is an error naming it), or the
        grammar's parts of speech (those of two words or more)."""
        assert self.tokenizer is not None
        normalize = self.tokenizer.normalizer.normalize_str if self.tokenizer.normalizer else str
        if not self.word_groups:
            tagged: dict[str, list[str]] = {}
            for word, tag in self.word_tags.items():
                tagged.setdefault(tag, []).append(word)
            groups = {tag: words for tag, words in sorted(tagged.items()) if len(words) > 1}
        else:
            groups = self.word_groups
        ids = {
            group: [self.tokenizer.token_to_id(normalize(word)) for word in words]
            for group, words in groups.items()
        }
        missing = [
            word
            for group, words in groups.items()
            for word, i in zip(words, ids[group], strict=True)
            if i is None
        ]
        if missing:
            raise ZooError(
                f"data.word_groups: {', '.join(repr(word) for word in missing)} not in the vocabulary of "
                f"{self.tokenizer.get_vocab_size()} words (data.vocab_size)"
            )
        if sum(len(words) for words in ids.values()) and len(ids) < 2:
            raise ZooError("data.word_groups needs two groups or more: a word's nearest must be able to miss")
        return ids

    def keep_probability(self, frequency: torch.Tensor) -> list[float] | None:
        """Per word: the chance a training occurrence is kept, min(1, √(t / f)); None keeps all."""
        if self.subsample is None:
            return None
        share = frequency / frequency.sum()
        return (self.subsample / share.clamp_min(1e-12)).sqrt().clamp(max=1.0).tolist()

    def collate(self, batch: list[tuple[int, int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        centre, context = torch.tensor(batch).T
        noise = torch.multinomial(
            self.noise, len(batch) * self.negatives, replacement=True, generator=self.generator
        ).view(len(batch), self.negatives)
        return centre, context, noise

    def state_dict(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer.to_str() if self.tokenizer else None}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("tokenizer"):
            self.tokenizer = Tokenizer.from_str(state["tokenizer"])
