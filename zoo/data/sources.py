"""Where labelled token sequences come from (`data.source`, one SequenceSource class each, with its
own options): `grammar` (offline: POS tags and sentiment of the generated corpus), `entities`
(offline: the same sentences with people, places and organisations in BIO tags), `copy` (offline:
a long-lag copy task), `conllu` (Universal Dependencies, e.g. UD English-EWT), `conll2003` (NER,
BIO tags), `sst2` (GLUE's TSV) and `imdb` (aclImdb folders), read from <data_dir> and downloaded
on first use where a stable address exists."""

from __future__ import annotations

import inspect
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from zoo.data import entities, grammar
from zoo.data.corpus_readers import (
    SPLITS,
    UD_EWT_URL,
    Example,
    read_conll2003,
    read_conllu,
    read_imdb,
    read_sst2,
)

if TYPE_CHECKING:
    from zoo.data.sequences import SequenceDataModule


def copy_task(count: int, symbols: int, length: int, lag: int, seed: int) -> list[Example]:
    """`length` random symbols, `lag` blanks, a delimiter, then `length` more blanks during which
    the symbols must be recalled in order. Only the recall steps have a target (tag)."""
    rng = random.Random(seed)
    examples = []
    for _ in range(count):
        sequence = [f"s{rng.randrange(symbols)}" for _ in range(length)]
        words = sequence + ["_"] * lag + ["|"] + ["_"] * length
        tags: list[str | None] = [None] * (length + lag + 1) + sequence
        examples.append((words, tags))
    return examples


SOURCES: dict[str, type[SequenceSource]] = {}  # data.source -> its class, filled as each is defined


class SequenceSource:
    """Where a SequenceDataModule's examples come from: one class per source, taking only its own
    options (`data.<option>` in the config). `examples` gives the train/val/test splits; `files`
    the dataset's files on disk, downloaded first where that is possible (none: generated).

    Defining a subclass with a `name` registers it as `data.source=<name>` (the zoo's one registry
    idiom: Task, Inference and SequenceSource classes register themselves as they are defined)."""

    name: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            SOURCES[cls.name] = cls

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        raise NotImplementedError

    def files(self, data: SequenceDataModule) -> list[Path]:
        return []


def generated_splits(num_sentences: int, seed: int, make: Any) -> dict[str, list[Example]]:
    """Train, val and test of a generated source: num_sentences, and a quarter of it each for val
    and test, `make(count, seed)` drawn with its own seed per split (seed·3, +1, +2)."""
    counts = (num_sentences, num_sentences // 4, num_sentences // 4)
    return {
        split: make(count, seed * 3 + offset)
        for offset, (split, count) in enumerate(zip(SPLITS, counts, strict=True))
    }


class GrammarSource(SequenceSource):
    """The generated grammar's sentences, tagged (part of speech) or labelled (sentiment)."""

    name = "grammar"

    def __init__(self, num_sentences: int = 2000):
        self.num_sentences = num_sentences

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        def sentences(count: int, seed: int) -> list[Example]:
            generated = grammar.generate(count, seed + 100)
            return [(s.words, s.tags if data.target == "tags" else s.sentiment) for s in generated]

        return generated_splits(self.num_sentences, data.seed, sentences)


class CopySource(SequenceSource):
    """The long-lag copy task (copy_task)."""

    name = "copy"

    def __init__(
        self, num_sentences: int = 2000, copy_symbols: int = 8, copy_length: int = 3, copy_lag: int = 20
    ):
        self.num_sentences, self.symbols, self.length, self.lag = (
            num_sentences,
            copy_symbols,
            copy_length,
            copy_lag,
        )

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        return generated_splits(
            self.num_sentences,
            data.seed,
            lambda count, seed: copy_task(count, self.symbols, self.length, self.lag, seed),
        )


class EntitySource(SequenceSource):
    """Generated sentences with people, places and organisations in BIO tags (zoo.data.entities)."""

    name = "entities"

    def __init__(self, num_sentences: int = 4000):
        self.num_sentences = num_sentences

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        def sentences(count: int, seed: int) -> list[Example]:
            return [(s.words, s.tags) for s in entities.generate(count, seed + 300)]

        return generated_splits(self.num_sentences, data.seed, sentences)


class ConlluSource(SequenceSource):
    """UD English-EWT's train/dev/test CoNLL-U files, downloaded on first use."""

    name = "conllu"

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        return {split: read_conllu(path) for split, path in zip(SPLITS, self.files(data), strict=True)}

    def files(self, data: SequenceDataModule) -> list[Path]:
        names = ("train", "dev", "test")
        return [data.fetch(UD_EWT_URL.format(split=name), f"en_ewt-ud-{name}.conllu") for name in names]


class Conll2003Source(SequenceSource):
    """CoNLL-2003's train/valid/test files, put in <data_dir>/conll2003/ by the user."""

    name = "conll2003"

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        return {split: read_conll2003(path) for split, path in zip(SPLITS, self.files(data), strict=True)}

    def files(self, data: SequenceDataModule) -> list[Path]:
        return [data.local(f"conll2003/{name}.txt") for name in ("train", "valid", "test")]


class Sst2Source(SequenceSource):
    """GLUE's SST-2 archive; its test labels are hidden, so the dev set is the test split."""

    name = "sst2"

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        self.files(data)
        train = read_sst2(data.local("SST-2/train.tsv"))
        cut = len(train) // 20
        return {"train": train[cut:], "val": train[:cut], "test": read_sst2(data.local("SST-2/dev.tsv"))}

    def files(self, data: SequenceDataModule) -> list[Path]:
        return [data.unpack("https://dl.fbaipublicfiles.com/glue/data/SST-2.zip", "SST-2")]


class ImdbSource(SequenceSource):
    """The Stanford aclImdb archive; a seeded tenth of its training reviews is the validation split."""

    name = "imdb"

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        self.files(data)
        train = read_imdb(data.local("aclImdb/train"))
        random.Random(data.seed).shuffle(train)
        cut = len(train) // 10
        return {"train": train[cut:], "val": train[:cut], "test": read_imdb(data.local("aclImdb/test"))}

    def files(self, data: SequenceDataModule) -> list[Path]:
        return [data.unpack("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz", "aclImdb")]


def build_source(name: str, options: dict[str, Any]) -> SequenceSource:
    """The source `name` with its own options; an option of another source is refused by name."""
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}; choose one of {', '.join(SOURCES)}")
    cls = SOURCES[name]
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    parameters = inspect.signature(cls.__init__).parameters.values()
    accepted = [p.name for p in parameters if p.kind in named and p.name != "self"]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        takes = f"its options: {', '.join(accepted)}" if accepted else "it takes no options"
        raise ValueError(f"data.{unknown[0]} is not an option of source {name!r} ({takes})")
    return cls(**options)
