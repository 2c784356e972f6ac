"""Generated sentences with named entities in BIO tags, for offline named-entity recognition.

"mary brown likes the bank of england in new york gladly": people (PER), places (LOC) and
organisations (ORG), of one to three words, in the grammar's sentences (zoo.data.grammar). The
text is lowercased and some names are also common words ("rose", "bill", "bath", "apple",
"reading", "shell"), which the sentences also use as nouns after a determiner ("the rose
sleeps"): the word alone does not say whether it is a name, its context does. Tags: B-<type> on
the first word of a name, I-<type> on the next ones, O elsewhere (CoNLL's BIO scheme).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zoo.data.grammar import ADJECTIVES, ADVERBS, DETERMINERS, INTRANSITIVE, NOUNS, TRANSITIVE

PEOPLE = [["mary"], ["john"], ["rose"], ["bill"], ["hope"], ["mary", "brown"], ["john", "smith"],
          ["rose", "taylor"], ["bill", "turner"], ["anna", "reading"]]  # fmt: skip
PLACES = [["paris"], ["bath"], ["reading"], ["york"], ["nice"], ["new", "york"], ["hong", "kong"],
          ["buenos", "aires"], ["mount", "hope"]]  # fmt: skip
ORGANISATIONS = [["apple"], ["shell"], ["oxfam"], ["bank", "of", "england"], ["red", "cross"],
                 ["general", "electric"], ["apple", "records"]]  # fmt: skip
# Common nouns that are also names: context (a determiner, an adjective) says which they are
NAME_NOUNS = ["rose", "bill", "bath", "apple", "shell", "reading", "hope"]
PREPOSITIONS = ["in", "at", "near", "from"]
ENTITY_TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG"]


@dataclass(frozen=True)
class TaggedSentence:
    words: list[str]
    tags: list[str]


def name(words: list[str], kind: str) -> tuple[list[str], list[str]]:
    return list(words), [f"B-{kind}"] + [f"I-{kind}"] * (len(words) - 1)


def pick(rng: np.random.Generator, options: list) -> object:
    return options[rng.integers(len(options))]


def noun_phrase(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """A determiner, an adjective sometimes, and a noun (a name-like one a third of the time)."""
    words = [pick(rng, DETERMINERS)]
    if rng.random() < 0.4:
        words.append(pick(rng, ADJECTIVES["pos"] + ADJECTIVES["neg"]))
    words.append(pick(rng, NAME_NOUNS if rng.random() < 0.35 else NOUNS))
    return words, ["O"] * len(words)


def participant(rng: np.random.Generator) -> tuple[list[str], list[str]]:
    """Who acts or is acted on: a person, an organisation, or a noun phrase."""
    draw = rng.random()
    if draw < 0.4:
        return name(pick(rng, PEOPLE), "PER")
    if draw < 0.6:
        return name(pick(rng, ORGANISATIONS), "ORG")
    return noun_phrase(rng)


def sample_tagged_sentence(rng: np.random.Generator) -> TaggedSentence:
    words, tags = participant(rng)
    transitive = rng.random() < 0.6
    words.append(pick(rng, TRANSITIVE if transitive else INTRANSITIVE))
    tags.append("O")
    if transitive:
        more_words, more_tags = participant(rng)
        words += more_words
        tags += more_tags
    if rng.random() < 0.5:  # where: a place, or now and then a noun phrase ("near the river")
        words.append(pick(rng, PREPOSITIONS))
        tags.append("O")
        place_words, place_tags = name(pick(rng, PLACES), "LOC") if rng.random() < 0.8 else noun_phrase(rng)
        words += place_words
        tags += place_tags
    if rng.random() < 0.3:
        words.append(pick(rng, ADVERBS["pos"] + ADVERBS["neg"]))
        tags.append("O")
    return TaggedSentence(words, tags)


def generate(num_sentences: int, seed: int) -> list[TaggedSentence]:
    rng = np.random.default_rng(seed)
    return [sample_tagged_sentence(rng) for _ in range(num_sentences)]
