"""Labelled token sequences: a label per sequence (sentiment) or a tag per token (part of speech,
named entities, and the copy task's recalls), in padded batches (tokens, lengths, targets).

Sources (`data.source`, one SequenceSource class each, with its own options): `grammar`
(offline: POS tags and sentiment of the generated corpus), `entities` (offline: the same
sentences with people, places and organisations in BIO tags), `copy` (offline: a long-lag copy
task), `conllu` (Universal Dependencies, e.g. UD English-EWT), `conll2003` (NER, BIO tags), `sst2`
(GLUE's TSV) and `imdb` (aclImdb folders), read from <data_dir> and downloaded on first use
where a stable address exists.
"""

from __future__ import annotations

import inspect
import random
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer

from zoo.data import entities, grammar
from zoo.data.base import TensorDataModule
from zoo.data.downloads import fetch
from zoo.data.files import read_text
from zoo.data.text import train_tokenizer
from zoo.errors import ZooError
from zoo.vocabulary import IGNORE

Example = tuple[list[str], Any]  # (words, tags: list[str | None] or label: int)

UD_EWT_URL = (
    "https://raw.githubusercontent.com/UniversalDependencies/UD_English-EWT/master/en_ewt-ud-{split}.conllu"
)
SPLITS = ("train", "val", "test")


def read_conllu(path: Path) -> list[Example]:
    """CoNLL-U: one token per line (ID FORM LEMMA UPOS ...), sentences separated by blank lines;
    comment lines start with #, multiword ranges (1-2) and empty nodes (1.1) are skipped."""
    examples, words, tags = [], [], []
    for line in read_text(path).splitlines():
        if not line.strip():
            if words:
                examples.append((words, tags))
            words, tags = [], []
        elif not line.startswith("#"):
            columns = line.split("\t")
            if len(columns) != 10:
                raise ZooError(f"{path}: not CoNLL-U (expected 10 tab-separated columns): {line[:60]!r}")
            if columns[0].isdigit():
                words.append(columns[1])
                tags.append(columns[3])
    if words:
        examples.append((words, tags))
    return examples


def read_conll2003(path: Path) -> list[Example]:
    """CoNLL-2003: "word POS chunk NER" per line, blank lines between sentences, -DOCSTART- lines."""
    examples, words, tags = [], [], []
    for line in read_text(path).splitlines():
        columns = line.split()
        if not columns or columns[0] == "-DOCSTART-":
            if words:
                examples.append((words, tags))
            words, tags = [], []
            continue
        if len(columns) != 4:
            raise ZooError(f"{path}: not CoNLL-2003 (expected 4 columns): {line[:60]!r}")
        words.append(columns[0])
        tags.append(columns[3])
    if words:
        examples.append((words, tags))
    return examples


def read_sst2(path: Path) -> list[Example]:
    """GLUE SST-2 TSV: a header "sentence<TAB>label", then one sentence and its 0/1 label per line."""
    lines = read_text(path).splitlines()
    if not lines or lines[0].split("\t") != ["sentence", "label"]:
        raise ZooError(f"{path}: not GLUE SST-2 TSV (header 'sentence<TAB>label')")
    return [
        (sentence.split(), int(label)) for sentence, label in (line.rsplit("\t", 1) for line in lines[1:])
    ]


def read_imdb(folder: Path) -> list[Example]:
    """aclImdb: <folder>/neg/*.txt and <folder>/pos/*.txt, one review per file."""
    examples = []
    for label, name in enumerate(("neg", "pos")):
        for review in sorted((folder / name).glob("*.txt")):
            text = read_text(review).replace("<br />", " ").lower()
            examples.append((text.split(), label))
    return examples


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


class SequenceSource:
    """Where a SequenceDataModule's examples come from: one class per source, taking only its own
    options (`data.<option>` in the config). `examples` gives the train/val/test splits; `files`
    the dataset's files on disk, downloaded first where that is possible (none: generated)."""

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

    def __init__(self, num_sentences: int = 2000):
        self.num_sentences = num_sentences

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        def sentences(count: int, seed: int) -> list[Example]:
            generated = grammar.generate(count, seed + 100)
            return [(s.words, s.tags if data.target == "tags" else s.sentiment) for s in generated]

        return generated_splits(self.num_sentences, data.seed, sentences)


class CopySource(SequenceSource):
    """The long-lag copy task (copy_task)."""

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

    def __init__(self, num_sentences: int = 4000):
        self.num_sentences = num_sentences

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        def sentences(count: int, seed: int) -> list[Example]:
            return [(s.words, s.tags) for s in entities.generate(count, seed + 300)]

        return generated_splits(self.num_sentences, data.seed, sentences)


class ConlluSource(SequenceSource):
    """UD English-EWT's train/dev/test CoNLL-U files, downloaded on first use."""

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        return {split: read_conllu(path) for split, path in zip(SPLITS, self.files(data), strict=True)}

    def files(self, data: SequenceDataModule) -> list[Path]:
        names = ("train", "dev", "test")
        return [data.fetch(UD_EWT_URL.format(split=name), f"en_ewt-ud-{name}.conllu") for name in names]


class Conll2003Source(SequenceSource):
    """CoNLL-2003's train/valid/test files, put in <data_dir>/conll2003/ by the user."""

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        return {split: read_conll2003(path) for split, path in zip(SPLITS, self.files(data), strict=True)}

    def files(self, data: SequenceDataModule) -> list[Path]:
        return [data.local(f"conll2003/{name}.txt") for name in ("train", "valid", "test")]


class Sst2Source(SequenceSource):
    """GLUE's SST-2 archive; its test labels are hidden, so the dev set is the test split."""

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        self.files(data)
        train = read_sst2(data.local("SST-2/train.tsv"))
        cut = len(train) // 20
        return {"train": train[cut:], "val": train[:cut], "test": read_sst2(data.local("SST-2/dev.tsv"))}

    def files(self, data: SequenceDataModule) -> list[Path]:
        return [data.unpack("https://dl.fbaipublicfiles.com/glue/data/SST-2.zip", "SST-2")]


class ImdbSource(SequenceSource):
    """The Stanford aclImdb archive; a seeded tenth of its training reviews is the validation split."""

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        self.files(data)
        train = read_imdb(data.local("aclImdb/train"))
        random.Random(data.seed).shuffle(train)
        cut = len(train) // 10
        return {"train": train[cut:], "val": train[:cut], "test": read_imdb(data.local("aclImdb/test"))}

    def files(self, data: SequenceDataModule) -> list[Path]:
        return [data.unpack("https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz", "aclImdb")]


SOURCES: dict[str, type[SequenceSource]] = {
    "grammar": GrammarSource,
    "copy": CopySource,
    "entities": EntitySource,
    "conllu": ConlluSource,
    "conll2003": Conll2003Source,
    "sst2": Sst2Source,
    "imdb": ImdbSource,
}


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


class SequenceDataModule(TensorDataModule):
    """Padded batches of (tokens, lengths, targets) from a SequenceSource, with a tokenizer
    trained on the training split (or restored from a checkpoint). `source_options` are the
    source's own (e.g. num_sentences for grammar, copy_lag for copy)."""

    def __init__(
        self,
        source: str = "grammar",
        target: str = "tags",
        tags: list[str] | None = None,
        num_classes: int | None = None,
        class_names: list[str] | None = None,
        batch_size: int = 32,
        seed: int = 0,
        vocab_size: int = 20000,
        data_dir: str = "data",
        download: bool = True,
        max_length: int | None = None,
        tokenizer: str = "word",
        labelled: int | None = None,
        **source_options: Any,
    ):
        super().__init__(batch_size, seed)
        if target not in ("tags", "label"):
            raise ValueError(f"target must be 'tags' or 'label', got {target!r}")
        self.source, self.reader = source, build_source(source, source_options)
        self.target, self.tags, self.num_classes = target, list(tags or []), num_classes
        self.class_names = list(class_names or [])
        self.vocab_size = vocab_size
        self.data_dir, self.download, self.max_length = Path(data_dir), download, max_length
        if tokenizer != "word" and target == "tags":
            raise ValueError("tags need one token per word: data.tokenizer must be 'word' for tagging")
        if labelled is not None and labelled < 1:
            raise ValueError(f"data.labelled must be a positive number of training examples, got {labelled}")
        self.tokenizer_kind, self.labelled = tokenizer, labelled
        self.tokenizer: Tokenizer | None = None
        self.collate_fn = self.collate  # datasets: lists of (token ids, target), padded per batch

    # --- files -----------------------------------------------------------------------------------
    def local(self, relative: str) -> Path:
        path = self.data_dir / relative
        if not path.exists():
            raise ZooError(
                f"{path} is missing: download the {self.source} dataset and put it there (see data/README.md)"
            )
        return path

    def unpack(self, url: str, folder: str) -> Path:
        """<data_dir>/<folder>: the archive at `url` downloaded and unpacked there if missing."""
        if (self.data_dir / folder).is_dir():
            return self.data_dir / folder
        archive = self.fetch(url, Path(url).name)
        import shutil

        try:
            shutil.unpack_archive(archive, self.data_dir)
        except (shutil.ReadError, OSError, EOFError) as error:
            raise ZooError(f"cannot unpack {archive} ({error}); delete it and try again") from None
        return self.data_dir / folder

    def fetch(self, url: str, name: str) -> Path:
        return fetch(url, self.data_dir / self.source / name, self.download)

    # --- Lightning -------------------------------------------------------------------------------
    def prepare_data(self) -> None:
        """Download a missing dataset (once per machine, before the processes of a DDP run read
        it), or fail in one line when it is missing and downloading is off."""
        self.reader.files(self)

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        examples = self.reader.examples(self)
        if self.tokenizer is None:
            texts = [" ".join(words) for words, _ in examples["train"]]
            self.tokenizer = train_tokenizer(self.tokenizer_kind, texts, self.vocab_size)
        if self.target == "tags" and not self.tags:
            self.tags = sorted({tag for _, tags in examples["train"] for tag in tags if tag is not None})
        examples["train"] = examples["train"][: self.labelled]  # the tokenizer saw all of the text
        for split, items in examples.items():
            self.datasets[split] = [self.encode(words, target) for words, target in items]

    def encode(self, words: list[str], target: Any) -> tuple[list[int], Any]:
        if self.target == "label":  # the tokenizer may split words into pieces
            return self.tokenizer.encode(" ".join(words)).ids[: self.max_length], int(target)
        ids = [self.tokenizer.token_to_id(word) or 1 for word in words][: self.max_length]  # 1 = <unk>
        index = {tag: i for i, tag in enumerate(self.tags)}
        unknown = {tag for tag in target if tag is not None and tag not in index}
        if unknown:
            raise ZooError(f"tags {sorted(unknown)} are not in data.tags {self.tags}")
        return ids, [IGNORE if tag is None else index[tag] for tag in target][: self.max_length]

    def collate(self, batch: list[tuple[list[int], Any]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        lengths = torch.tensor([max(len(ids), 1) for ids, _ in batch])
        tokens = torch.zeros(len(batch), int(lengths.max()), dtype=torch.long)
        for row, (ids, _) in enumerate(batch):
            tokens[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        if self.target == "label":
            return tokens, lengths, torch.tensor([label for _, label in batch])
        targets = torch.full(tokens.shape, IGNORE, dtype=torch.long)
        for row, (_, tags) in enumerate(batch):
            targets[row, : len(tags)] = torch.tensor(tags, dtype=torch.long)
        return tokens, lengths, targets

    def state_dict(self) -> dict[str, Any]:
        return {
            "tokenizer": self.tokenizer.to_str() if self.tokenizer else None,
            "tags": self.tags,
            "class_names": self.class_names,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("tokenizer"):
            self.tokenizer = Tokenizer.from_str(state["tokenizer"])
        self.tags = list(state.get("tags") or self.tags)
        self.class_names = list(state.get("class_names") or self.class_names)


def most_frequent_tags(sentences: list[grammar.Sentence]) -> dict[str, str]:
    """Each word's most frequent part of speech in these sentences (the labels of an embedding plot)."""
    from collections import Counter

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
    vectors by (test/groups); the grammar's parts of speech when none are given."""

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
    ):
        super().__init__(batch_size, seed)
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

    def sentences(self) -> dict[str, list[str]]:
        """Each split's sentences as text (the grammar's, or a corpus's lines)."""
        if self.corpus != "grammar":
            from zoo.data.text import LanguageModelDataModule

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
        texts = self.sentences()
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
