"""The tagged Brown corpus (NLTK's edition: 500 documents ca01 ... cr09, one sentence per line of
word/tag tokens) and its tags mapped to the 12 universal part-of-speech tags of Petrov, Das and
McDonald (2012): NOUN VERB ADJ ADV PRON DET ADP NUM CONJ PRT X and "." for punctuation.

A Brown tag is a base tag with decorations: a prefix fw- (a foreign word: X), suffixes -tl (in a
title), -hl (in a headline), -nc (cited), a final * (negated: "don't" is do*) or $ (possessive:
"Atlanta's" is np$), and contractions joined by + ("he's" is pps+bez). `universal_tag` strips the
decorations and maps the first part's base tag with BASE_TAGS; the possessive pronouns pp$ and
pp$$ keep their $ (they are PRON either way). The split is by document (no sentence of a document
in another split): of each genre's n documents in order, the last tenth (rounded up) is the test
split and the tenth before it validation, so all 15 genres are in every split.

The table is written here from the paper's principle (each Brown tag to the universal tag of its
Penn Treebank counterpart: subordinating conjunctions and prepositions ADP, possessive pronouns
PRON, existential "there" DET); the authors' en-brown.map could not be reached from this machine
to compare entry by entry. Over the whole corpus it gives NOUN 275,652, VERB 182,751, "." 147,565,
ADP 144,766, DET 125,381, ADJ 83,731, PRON 68,626, ADV 56,644, CONJ 38,151, PRT 21,034,
NUM 14,879, X 2,012 tokens.
"""

from __future__ import annotations

from pathlib import Path

from zoo.errors import ZooError

UNIVERSAL_TAGS = ("ADJ", "ADP", "ADV", "CONJ", "DET", "NOUN", "NUM", "PRON", "PRT", "VERB", "X", ".")

# base tag -> universal tag, family by family (the Brown tagset manual's order)
BASE_TAGS = {
    **dict.fromkeys(["'", "''", "``", "(", ")", ",", "--", ".", ":"], "."),  # punctuation
    "*": "ADV",  # not, n't
    # quite; very; adverbs
    **dict.fromkeys(["abl", "ql", "qlp", "rb", "rbr", "rbt", "rn", "wql", "wrb"], "ADV"),
    # all, both, the, this, there
    **dict.fromkeys(["abn", "abx", "at", "dt", "dti", "dts", "dtx", "ex", "wdt"], "DET"),
    **dict.fromkeys(["ap", "jj", "jjr", "jjs", "jjt", "od"], "ADJ"),  # many, other; adjectives; first
    **dict.fromkeys(["be", "bed", "bedz", "beg", "bem", "ben", "ber", "bez"], "VERB"),  # to be
    **dict.fromkeys(["do", "dod", "doz", "hv", "hvd", "hvg", "hvn", "hvz", "md"], "VERB"),  # do, have, modals
    **dict.fromkeys(["vb", "vbd", "vbg", "vbn", "vbz"], "VERB"),
    "cc": "CONJ",
    "cs": "ADP",  # subordinating conjunctions (that, if, as) are ADP, as the Treebank's IN
    "in": "ADP",
    "cd": "NUM",
    **dict.fromkeys(["nn", "nns", "np", "nps", "nr", "nrs", "pn"], "NOUN"),  # nouns; everybody, nothing
    **dict.fromkeys(["pp", "pp$", "pp$$", "ppl", "ppls", "ppo", "pps", "ppss", "wp", "wpo", "wps"], "PRON"),
    **dict.fromkeys(["rp", "to"], "PRT"),  # particles; infinitival to
    **dict.fromkeys(["uh", "nil"], "X"),  # interjections; untagged
}
DECORATIONS = ("-tl", "-hl", "-nc")


def universal_tag(tag: str) -> str:
    """The universal tag of a Brown tag (any case, with its decorations)."""
    tag = tag.lower()
    if tag.startswith("fw-"):
        return "X"
    base = tag.split("+")[0]
    while base.endswith(DECORATIONS):
        base = base[:-3]
    if base not in BASE_TAGS:  # negated or possessive: do*, np$
        base = base.rstrip("*").removesuffix("$")
    if base not in BASE_TAGS:
        raise ZooError(f"unknown Brown tag {tag!r}")
    return BASE_TAGS[base]


def read_brown_document(path: Path, text: str, universal: bool = True) -> list[tuple[list[str], list[str]]]:
    """One document's sentences as (words, tags): a sentence per non-blank line, tokens word/tag
    (the word may hold a /, the tag never does)."""
    sentences = []
    for number, line in enumerate(text.splitlines(), 1):
        tokens = line.split()
        if not tokens:
            continue
        words, tags = [], []
        for token in tokens:
            word, slash, tag = token.rpartition("/")
            if not slash or not word or not tag:
                raise ZooError(f"{path}:{number}: not a Brown word/tag token: {token!r}")
            words.append(word)
            tags.append(universal_tag(tag) if universal else tag.lower())
        sentences.append((words, tags))
    return sentences


def document_split(documents: list[str]) -> dict[str, list[str]]:
    """train/val/test documents: per genre (the name's second letter) of n documents in order, the
    last ceil(n/10) to test and the ceil(n/10) before them to val, the rest to train."""
    splits: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for genre in sorted({name[1] for name in documents}):
        names = sorted(name for name in documents if name[1] == genre)
        held = -(-len(names) // 10)
        splits["train"] += names[: -2 * held]
        splits["val"] += names[-2 * held : -held]
        splits["test"] += names[-held:]
    return splits
