"""English-Spanish verse pairs from two public-domain Bibles that Debian packages as SWORD modules:
the World English Bible (sword-text-web, module engWEB2015eb) and the Reina-Valera 1909
(sword-text-sparv, module spaRV1909eb), read with pysword.

Cleaning (the markup is OSIS): a footnote (<note>...</note>) is replaced by a space - deleting it
fuses the words on either side ("God<note>...</note>created" became "Godcreated" in pysword's own
cleaning) - then every other tag is dropped, white space collapsed, and a space before , . ; : ! ?
removed. A pair is kept when both verses have text; the two versifications (NRSVA and KJV) differ
in a few books' numbering, so a verse key is taken as it is in both.

Where the two Bibles number a chapter's verses differently the pairs are shifted (Numbers 13:1 is
"Yahweh spoke to Moses, saying," against the Spanish of 12:16), and the last verse of the WEB's
Revelation carries its glossary: such a chapter shows itself as a verse whose two sides differ in
length more than threefold (in words), and the whole chapter is left out before the split (13
chapters, 355 of 31,077 pairs).

The split is by chapter, so no verse's neighbours sit across it: counting the chapters both
Bibles have in canonical order, the 19th of every 20 goes to validation and the 20th to test.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from zoo.data.files import read_text
from zoo.errors import ZooError

MODULES = {"en": "engWEB2015eb", "es": "spaRV1909eb"}
PAIRS_FILE = "en-es.tsv"
MAX_LENGTH_RATIO = 3.0  # words of one side over the other's, beyond which a chapter is misnumbered
COLUMNS = ("book", "chapter", "verse", "en", "es")


def clean_osis(markup: str) -> str:
    text = re.sub(r"<note\b.*?</note>", " ", markup, flags=re.DOTALL)
    text = re.sub(r"<[^>]*>", "", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r" ([,.;:!?])", r"\1", text)


def module_verses(root: Path, module: str) -> dict[tuple[str, int, int], str]:
    """{(book, chapter, verse): cleaned text} of a SWORD module under `root`."""
    # pysword loads only when a Bible is fetched
    from pysword.modules import SwordModules

    modules = SwordModules(str(root))
    if module not in modules.parse_modules():
        raise ZooError(f"the SWORD module {module} is not in {root}")
    bible = modules.get_bible_from_module(module)
    keys = [
        (book.osis_name, chapter, verse)
        for testament in bible.get_structure().get_books().values()
        for book in testament
        for chapter, length in enumerate(book.chapter_lengths, 1)
        for verse in range(1, length + 1)
    ]
    texts = list(bible.get_iter(clean=False))
    if len(texts) != len(keys):
        raise ZooError(f"{module}: {len(texts)} verses read for {len(keys)} in its structure")
    return {key: clean_osis(text) for key, text in zip(keys, texts, strict=True)}


def unpack_bible(archives: list[Path], folder: Path) -> None:
    """The two .deb packages unpacked (dpkg-deb) beside the folder, both modules read, and the
    verse pairs written to en-es.tsv (book, chapter, verse, en, es; tab-separated, in canonical
    order)."""
    root = folder.parent / "debs"
    for archive in archives:
        done = subprocess.run(["dpkg-deb", "-x", str(archive), str(root)], capture_output=True, text=True)
        if done.returncode != 0:
            raise ZooError(f"dpkg-deb could not unpack {archive.name}: {done.stderr.strip()[-200:]}")
    library = root / "usr" / "share" / "sword"
    english, spanish = (module_verses(library, MODULES[lang]) for lang in ("en", "es"))
    lines = ["\t".join(COLUMNS)]
    for key, text in english.items():
        if text and spanish.get(key):
            lines.append("\t".join([key[0], str(key[1]), str(key[2]), text, spanish[key]]))
    (folder / PAIRS_FILE).write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_verse_pairs(path: Path) -> list[tuple[tuple[str, int, int], str, str]]:
    """((book, chapter, verse), English, Spanish) rows of en-es.tsv."""
    rows = read_text(path).splitlines()
    if not rows or tuple(rows[0].split("\t")) != COLUMNS:
        raise ZooError(f"{path}: not the zoo's verse pairs (header {' '.join(COLUMNS)})")
    pairs = []
    for number, row in enumerate(rows[1:], 2):
        fields = row.split("\t")
        if len(fields) != len(COLUMNS):
            raise ZooError(f"{path}:{number}: {len(fields)} fields, not {len(COLUMNS)}")
        pairs.append(((fields[0], int(fields[1]), int(fields[2])), fields[3], fields[4]))
    return pairs


def aligned_chapters(
    pairs: list[tuple[tuple[str, int, int], str, str]],
) -> list[tuple[tuple[str, int, int], str, str]]:
    """The pairs of the chapters where no verse is more than MAX_LENGTH_RATIO times as long (in
    words) in one language as in the other: a chapter numbered differently in the two Bibles is
    left out whole, since its other verses are shifted too."""

    def ratio(english: str, spanish: str) -> float:
        lengths = sorted((len(english.split()), len(spanish.split())))
        return lengths[1] / max(lengths[0], 1)

    misnumbered = {key[:2] for key, english, spanish in pairs if ratio(english, spanish) > MAX_LENGTH_RATIO}
    return [pair for pair in pairs if pair[0][:2] not in misnumbered]


def chapter_split(pairs: list[tuple[tuple[str, int, int], str, str]]) -> dict[str, list[tuple[str, str]]]:
    """train/val/test (English, Spanish) pairs: chapters in order, the 19th of every 20 to val and
    the 20th to test."""
    chapters: dict[tuple[str, int], int] = {}
    splits: dict[str, list[tuple[str, str]]] = {"train": [], "val": [], "test": []}
    for (book, chapter, _), english, spanish in pairs:
        number = chapters.setdefault((book, chapter), len(chapters))
        split = "val" if number % 20 == 18 else "test" if number % 20 == 19 else "train"
        splits[split].append((english, spanish))
    return splits
