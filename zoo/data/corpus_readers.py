"""Readers of labelled corpora in their upstream formats (CoNLL-U, CoNLL-2003, GLUE SST-2 TSV,
aclImdb folders): each file to a list of examples, (words, tags) or (words, label). Files are read
through zoo.data.files (regular files of bounded size)."""

from __future__ import annotations

import csv
import io
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


# --- your own files: generic readers ---------------------------------------------------------------
def read_tagged(
    path: Path, token_column: int = 0, tag_column: int = -1, separator: str | None = None
) -> list[Example]:
    """Tagged sentences in CoNLL-style columns: a token per line, blank lines between sentences;
    lines starting with # (comments) or -DOCSTART- are sentence breaks too. Columns are split at
    `separator` (None: any whitespace); every token line must have as many columns as the first."""
    examples, words, tags = [], [], []
    width = None
    for number, line in enumerate(read_text(path).splitlines(), 1):
        columns = line.split(separator) if separator else line.split()
        if not line.strip() or line.startswith("#") or columns[0] == "-DOCSTART-":
            if words:
                examples.append((words, tags))
            words, tags = [], []
            continue
        width = width or len(columns)
        if len(columns) != width:
            raise ZooError(
                f"{path}:{number}: {len(columns)} columns, the first token line {width} (ragged rows)"
            )
        for name, index in (("token_column", token_column), ("tag_column", tag_column)):
            if not -width <= index < width:
                raise ZooError(f"{path}: data.{name}={index} but the rows have {width} columns")
        if token_column % width == tag_column % width:
            raise ZooError(
                f"{path}: the token and the tag are the same column ({width} per row); a tag column is needed"
            )
        words.append(columns[token_column].strip())
        tags.append(columns[tag_column].strip())
    if words:
        examples.append((words, tags))
    if not examples:
        raise ZooError(f"{path} holds no tagged sentence")
    return examples


def read_labelled_texts(
    path: Path, label_column: int | str = 0, text_column: int | str = 1
) -> list[tuple[str, str]]:
    """(label, text) rows of a CSV (a .tsv or .tab file: tab-separated), quoted fields as the csv
    module reads them (a text may span lines). Columns by position, or by name when the file has
    a header row naming them."""
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    rows = list(csv.reader(io.StringIO(read_text(path)), delimiter=delimiter))
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows:
        raise ZooError(f"{path} holds no rows")
    if isinstance(label_column, str) or isinstance(text_column, str):
        header, rows = rows[0], rows[1:]
        for name in (label_column, text_column):
            if isinstance(name, str) and name not in header:
                raise ZooError(f"{path}: no column {name!r} in its header {header}")
        label_column, text_column = (
            header.index(column) if isinstance(column, str) else column
            for column in (label_column, text_column)
        )
    examples = []
    for number, row in enumerate(rows, 1):
        if max(label_column, text_column) >= len(row):
            raise ZooError(
                f"{path}: row {number} has {len(row)} columns, too few for {label_column} and {text_column}"
            )
        examples.append((row[label_column].strip(), row[text_column].strip()))
    return examples


def read_labelled_folder(root: Path) -> list[tuple[str, str]]:
    """(label, text) for each file of <root>/<label>/ (a folder per class, as aclImdb)."""
    if not root.is_dir():
        raise ZooError(f"{root} is not a folder (a folder per class, a text file each)")
    examples = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        examples += [(folder.name, read_text(file)) for file in sorted(folder.iterdir()) if file.is_file()]
    if not examples:
        raise ZooError(f"{root} has no <class>/<text file> inside")
    return examples
