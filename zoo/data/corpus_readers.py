"""Readers of labelled corpora in their upstream formats (CoNLL-U, CoNLL-2003, GLUE SST-2 TSV,
aclImdb folders): each file to a list of examples, (words, tags) or (words, label). Files are read
through zoo.data.files (regular files of bounded size)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from zoo.data.files import read_text
from zoo.errors import ZooError

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
