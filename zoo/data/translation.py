"""Parallel sentences for sequence-to-sequence models: batches (src, src_lengths, tgt), where tgt
is <bos> y_1 .. y_n <eos>, padded with <pad> (id 0).

Sources: generated offline with known answers, `reverse` and `sort` (symbol sequences of a
controllable length), `dates` (many human date formats → ISO 8601) and `grammar` (the generated
English-like grammar → a synthetic language with other words and another word order); and real
text, `multi30k` (German–English image captions, downloaded into <data_dir>/multi30k on first
use), `bible` (English–Spanish verses, `zoo data fetch bible`) or `parallel` (your corpus: per
split a TSV file or two aligned text files).
"""

from __future__ import annotations

import datetime
import gzip
import random
from pathlib import Path
from typing import Any, ClassVar

import torch
from tokenizers import Tokenizer

from zoo.data import grammar
from zoo.data.base import TensorDataModule
from zoo.data.bible import PAIRS_FILE, aligned_chapters, chapter_split, read_verse_pairs
from zoo.data.downloads import fetch
from zoo.data.packages import packaged_folder
from zoo.data.text import read_lines, train_tokenizer
from zoo.errors import ZooError
from zoo.vocabulary import BOS, EOS, UNK

MULTI30K_URL = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw/{name}.gz"
MULTI30K_SPLITS = {"train": "train", "val": "val", "test": "test_2016_flickr"}
SPLITS = ("train", "val", "test")
Pair = tuple[str, str]
Splits = dict[str, list[Pair]]  # {"train"|"val"|"test": pairs}
Counts = dict[str, int]  # a number per split (examples, seeds)

# --- generated tasks --------------------------------------------------------------------------
MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


DATE_FORMATS = (  # the human side; numeric dates are month/day/year with slashes, day.month.year with dots
    lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    lambda d: f"{MONTHS[d.month - 1][:3]}. {d.day}, {d.year}",
    lambda d: f"{d.month}/{d.day}/{d.year}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    lambda d: f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}",
    lambda d: f"the {ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{MONTHS[d.month - 1].lower()} {d.day} {d.year}",
    lambda d: f"{d.year}/{d.month}/{d.day}",
)


def date_pairs(count: int, seed: int) -> list[Pair]:
    """(a date written one of many human ways, the same date as YYYY-MM-DD), 1950-2049."""
    rng = random.Random(seed)
    first = datetime.date(1950, 1, 1)
    pairs = []
    for _ in range(count):
        day = first + datetime.timedelta(days=rng.randrange(36525))
        pairs.append((rng.choice(DATE_FORMATS)(day), day.isoformat()))
    return pairs


def symbol_pairs(task: str, count: int, symbols: int, lengths: tuple[int, int], seed: int) -> list[Pair]:
    """Random sequences over `symbols` letters with lengths in [min, max] → reversed or sorted."""
    rng = random.Random(seed)
    alphabet = [chr(ord("a") + i) for i in range(symbols)]
    pairs = []
    for _ in range(count):
        sequence = [rng.choice(alphabet) for _ in range(rng.randint(*lengths))]
        target = sequence[::-1] if task == "reverse" else sorted(sequence)
        pairs.append((" ".join(sequence), " ".join(target)))
    return pairs


DETERMINERS = {"the": "le", "a": "un", "every": "chaque", "some": "quelque"}
SUFFIXES = {"NOUN": "o", "ADJ": "a", "VERB": "et", "ADV": "im"}


def target_word(word: str, tag: str) -> str:
    """The synthetic language's word: determiners have their own; other words are spelt backwards
    with a suffix for the part of speech, so ambiguous words ("light", "watch") need context."""
    return DETERMINERS[word] if tag == "DET" else word[::-1] + SUFFIXES[tag]


def synthetic_translation(words: list[str], tags: list[str]) -> list[str]:
    """English order subject-verb-object, adjectives first → the synthetic language's order
    subject-object-adverb-verb, adjectives after their noun."""

    def noun_phrase(i: int) -> tuple[list[str], int]:
        determiner, i = target_word(words[i], "DET"), i + 1
        adjectives = []
        while tags[i] == "ADJ":
            adjectives.append(target_word(words[i], "ADJ"))
            i += 1
        return [determiner, target_word(words[i], "NOUN"), *adjectives], i + 1

    subject, i = noun_phrase(0)
    verb, i = target_word(words[i], "VERB"), i + 1
    object_ = []
    if i < len(words) and tags[i] == "DET":
        object_, i = noun_phrase(i)
    adverbs = [target_word(word, "ADV") for word in words[i:]]
    return [*subject, *object_, *adverbs, verb]


def grammar_pairs(count: int, seed: int) -> list[Pair]:
    return [
        (" ".join(s.words), " ".join(synthetic_translation(s.words, s.tags)))
        for s in grammar.generate(count, seed)
    ]


# --- files --------------------------------------------------------------------------------------
def read_gzip_lines(path: Path) -> list[str]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") as file:
            return [line.rstrip("\n") for line in file]
    except (OSError, EOFError, UnicodeDecodeError) as error:
        raise ZooError(
            f"cannot read {path} as gzipped UTF-8 text ({error}); delete it and try again"
        ) from None


def read_tsv_pairs(path: Path) -> list[Pair]:
    pairs = []
    for number, line in enumerate(read_lines(path), start=1):
        columns = line.split("\t")
        if len(columns) != 2:
            raise ZooError(f"{path}, line {number}: expected 'source<TAB>target', got {line[:60]!r}")
        pairs.append((columns[0], columns[1]))
    return pairs


def zip_lines(source: list[str], target: list[str], where: str) -> list[Pair]:
    if len(source) != len(target):
        raise ZooError(f"{where}: {len(source)} source lines but {len(target)} target lines")
    return list(zip(source, target, strict=True))


PAIR_SOURCES: dict[str, type[PairSource]] = {}  # data.source -> its class, filled as each is defined


class PairSource:
    """Where a TranslationDataModule's sentence pairs come from (`data.source=<name>`). Defining a
    subclass with a `name` registers it (the idiom of zoo.data.sources and the task classes);
    `pairs` gives the train/val/test splits, `tokenizer` the tokenizer its text wants by default."""

    name: ClassVar[str] = ""
    tokenizer: ClassVar[str] = "word"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.name:
            PAIR_SOURCES[cls.name] = cls

    def pairs(self, data: TranslationDataModule, counts: Counts, seeds: Counts) -> Splits:
        raise NotImplementedError

    def download(self, data: TranslationDataModule) -> None:
        """Bring the source's files when they are missing (nothing for a generated source)."""


class ReversePairs(PairSource):
    """Symbol sequences and their reverse."""

    name = "reverse"

    def pairs(self, data: TranslationDataModule, counts: Counts, seeds: Counts) -> Splits:
        return {s: symbol_pairs(self.name, counts[s], data.symbols, data.lengths, seeds[s]) for s in SPLITS}


class SortPairs(ReversePairs):
    """Symbol sequences and the same symbols sorted."""

    name = "sort"


class DatePairs(PairSource):
    """Dates as people write them and in ISO form."""

    name = "dates"
    tokenizer = "char"

    def pairs(self, data: TranslationDataModule, counts: Counts, seeds: Counts) -> Splits:
        return {s: date_pairs(counts[s], seeds[s]) for s in SPLITS}


class GrammarPairs(PairSource):
    """The generated grammar's sentences and their synthetic target language."""

    name = "grammar"

    def pairs(self, data: TranslationDataModule, counts: Counts, seeds: Counts) -> Splits:
        return {s: grammar_pairs(counts[s], seeds[s] + 300) for s in SPLITS}


class Multi30kPairs(PairSource):
    """Multi30k (German-English image captions), downloaded on first use."""

    name = "multi30k"
    tokenizer = "wordpunct"

    def pairs(self, data: TranslationDataModule, counts: Counts, seeds: Counts) -> Splits:
        return {split: data.multi30k(split) for split in SPLITS}

    def download(self, data: TranslationDataModule) -> None:
        for split in SPLITS:
            for lang in data.langs:
                data.multi30k_file(split, lang)


class ParallelPairs(PairSource):
    """Your own pairs: data.files.<split> a TSV file or two aligned text files."""

    name = "parallel"
    tokenizer = "wordpunct"

    def pairs(self, data: TranslationDataModule, counts: Counts, seeds: Counts) -> Splits:
        return {split: data.parallel(split) for split in SPLITS}


class BiblePairs(PairSource):
    """English → Spanish verse pairs (World English Bible, Reina-Valera 1909) in
    <data_dir>/bible/en-es.tsv (`zoo data fetch bible`), misnumbered chapters left out, split by
    chapter (zoo.data.bible)."""

    name = "bible"
    tokenizer = "wordpunct"

    def pairs(self, data: TranslationDataModule, counts: Counts, seeds: Counts) -> Splits:
        folder = packaged_folder("bible", data.data_dir, data.download)
        return chapter_split(aligned_chapters(read_verse_pairs(folder / PAIRS_FILE)))

    def download(self, data: TranslationDataModule) -> None:
        packaged_folder("bible", data.data_dir, data.download)


class TranslationDataModule(TensorDataModule):
    def __init__(
        self,
        source: str = "reverse",
        num_examples: int = 4000,
        symbols: int = 10,
        min_length: int = 5,
        max_length: int = 10,
        tokenizer: str | None = None,
        vocab_size: int = 10000,
        src_lang: str = "de",
        tgt_lang: str = "en",
        files: dict[str, Any] | None = None,
        data_dir: str = "data",
        download: bool = True,
        batch_size: int = 64,
        seed: int = 0,
    ):
        super().__init__(batch_size, seed)
        if source not in PAIR_SOURCES:
            raise ValueError(f"unknown source {source!r}; choose one of {', '.join(PAIR_SOURCES)}")
        if not 1 <= min_length <= max_length:
            raise ValueError(f"need 1 <= min_length <= max_length, got {min_length} and {max_length}")
        self.source, self.num_examples, self.symbols = source, num_examples, symbols
        self.pair_source = PAIR_SOURCES[source]()
        self.lengths = (min_length, max_length)
        self.tokenizer_kind = tokenizer or self.pair_source.tokenizer
        self.vocab_size, self.langs, self.files = vocab_size, (src_lang, tgt_lang), dict(files or {})
        self.data_dir, self.download = Path(data_dir), download
        self.src_tokenizer: Tokenizer | None = None
        self.tgt_tokenizer: Tokenizer | None = None
        self.collate_fn = self.collate

    def load_pairs(self) -> Splits:
        counts = {"train": self.num_examples, "val": max(self.num_examples // 10, 1)}
        counts["test"] = counts["val"]
        seeds = {split: self.seed * 3 + offset for offset, split in enumerate(SPLITS)}
        return self.pair_source.pairs(self, counts, seeds)

    def multi30k_file(self, split: str, lang: str) -> Path:
        """One Multi30k file on disk, downloaded first if missing."""
        name = f"{MULTI30K_SPLITS[split]}.{lang}"
        return fetch(MULTI30K_URL.format(name=name), self.data_dir / "multi30k" / f"{name}.gz", self.download)

    def multi30k(self, split: str) -> list[Pair]:
        lines = [read_gzip_lines(self.multi30k_file(split, lang)) for lang in self.langs]
        return zip_lines(*lines, where=f"multi30k {split}")

    def parallel(self, split: str) -> list[Pair]:
        given = self.files.get(split)
        if not given:
            raise ZooError(
                f"data.files.{split} is missing: give a TSV file (source<TAB>target) "
                "or [source.txt, target.txt]"
            )
        if isinstance(given, str):
            return read_tsv_pairs(Path(given))
        if len(given) != 2:
            raise ZooError(f"data.files.{split} must be one TSV path or two aligned text files")
        source, target = (Path(path) for path in given)
        return zip_lines(read_lines(source), read_lines(target), where=f"{source} and {target}")

    # --- Lightning -------------------------------------------------------------------------------
    def prepare_data(self) -> None:
        """Download Multi30k when it is missing (once per machine, before the processes of a DDP
        run read it), or fail in one line when it is missing and downloading is off."""
        self.pair_source.download(self)

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        pairs = self.load_pairs()
        if not pairs["train"]:
            raise ZooError(f"the {self.source} training split is empty")
        if self.src_tokenizer is None:
            self.src_tokenizer = train_tokenizer(
                self.tokenizer_kind, [s for s, _ in pairs["train"]], self.vocab_size
            )
            self.tgt_tokenizer = train_tokenizer(
                self.tokenizer_kind, [t for _, t in pairs["train"]], self.vocab_size
            )
        for split, items in pairs.items():
            sources = self.src_tokenizer.encode_batch([s for s, _ in items])
            targets = self.tgt_tokenizer.encode_batch([t for _, t in items])
            self.datasets[split] = [
                (s.ids, [BOS, *t.ids, EOS]) for s, t in zip(sources, targets, strict=True)
            ]

    def encode_source(self, text: str) -> tuple[list[int], int]:
        """(token ids, how many became <unk>) of one source sentence, for predict."""
        ids = self.src_tokenizer.encode(text).ids
        return ids, sum(1 for token in ids if token == UNK)

    def decode_target(self, ids: list[int]) -> str:
        """The target text of generated ids, stopping at <eos>."""
        if EOS in ids:
            ids = ids[: ids.index(EOS)]
        return self.tgt_tokenizer.decode(ids, skip_special_tokens=True)

    def source_tokens(self, ids: list[int]) -> list[str]:
        return [self.src_tokenizer.id_to_token(i) or "?" for i in ids]

    def target_tokens(self, ids: list[int]) -> list[str]:
        return [self.tgt_tokenizer.id_to_token(i) or "?" for i in ids]

    @staticmethod
    def collate(batch: list[tuple[list[int], list[int]]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        lengths = torch.tensor([max(len(src), 1) for src, _ in batch])
        src = torch.zeros(len(batch), int(lengths.max()), dtype=torch.long)
        tgt = torch.zeros(len(batch), max(len(t) for _, t in batch), dtype=torch.long)
        for row, (source, target) in enumerate(batch):
            src[row, : len(source)] = torch.tensor(source, dtype=torch.long)
            tgt[row, : len(target)] = torch.tensor(target, dtype=torch.long)
        return src, lengths, tgt

    def state_dict(self) -> dict[str, Any]:
        return {
            "src_tokenizer": self.src_tokenizer.to_str() if self.src_tokenizer else None,
            "tgt_tokenizer": self.tgt_tokenizer.to_str() if self.tgt_tokenizer else None,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("src_tokenizer"):
            self.src_tokenizer = Tokenizer.from_str(state["src_tokenizer"])
            self.tgt_tokenizer = Tokenizer.from_str(state["tgt_tokenizer"])
