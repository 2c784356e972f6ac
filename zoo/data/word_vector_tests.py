"""The standard test sets of word vectors, in the files gensim ships (`zoo data fetch
word_vector_tests`): word pairs with human similarity judgements (WordSim353, SimLex-999: "word1
<TAB> word2 <TAB> score", # comment lines) and Mikolov's analogy questions (questions-words.txt:
": section" lines, then "a b c d" for a : b :: c : d)."""

from __future__ import annotations

from pathlib import Path

from zoo.data.files import read_text
from zoo.errors import ZooError

SIMILARITY_SETS = {"wordsim353": "wordsim353.tsv", "simlex999": "simlex999.txt"}
ANALOGIES = "questions-words.txt"


def read_similarity_pairs(path: Path) -> list[tuple[str, str, float]]:
    pairs = []
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        try:
            pairs.append((fields[0], fields[1], float(fields[2])))
        except (IndexError, ValueError):
            raise ZooError(f"{path}:{number}: not 'word<TAB>word<TAB>score': {line[:60]!r}") from None
    return pairs


def read_analogies(path: Path) -> dict[str, list[tuple[str, str, str, str]]]:
    sections: dict[str, list[tuple[str, str, str, str]]] = {}
    section = None
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if line.startswith(":"):
            section = line[1:].strip()
            sections[section] = []
        elif line.strip():
            words = line.split()
            if section is None or len(words) != 4:
                raise ZooError(f"{path}:{number}: not 'a b c d' under a ': section' line: {line[:60]!r}")
            sections[section].append((words[0], words[1], words[2], words[3]))
    return sections
