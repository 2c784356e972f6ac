"""The Brown corpus reader, its document split and the map to the 12 universal tags: each tag family
on its members, decorations stripped, an unknown tag refused; and the real corpus's counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import real_corpus
from zoo.data.brown import UNIVERSAL_TAGS, document_split, read_brown_document, universal_tag
from zoo.data.packages import BROWN_DOCUMENTS
from zoo.errors import ZooError

FAMILIES = {
    "NOUN": ["nn", "nns", "np", "nps", "nr", "nrs", "pn", "nn$", "nns$", "np$", "nn-tl", "np-hl", "nn-nc"],
    "VERB": ["vb", "vbd", "vbg", "vbn", "vbz", "be", "bed", "bedz", "beg", "bem", "ben", "ber", "bez",
             "do", "dod", "doz", "hv", "hvd", "hvg", "hvn", "hvz", "md", "bez*", "do*", "md*", "hvd*"],
    "ADJ": ["jj", "jjr", "jjs", "jjt", "od", "ap", "jj-tl", "od-tl"],
    "ADV": ["rb", "rbr", "rbt", "rn", "ql", "qlp", "wrb", "wql", "abl", "*"],
    "PRON": ["pp$", "pp$$", "ppl", "ppls", "ppo", "pps", "ppss", "wp$", "wpo", "wps", "pps+bez", "ppss+md"],
    "DET": ["at", "dt", "dti", "dts", "dtx", "abn", "abx", "ex", "wdt", "at-tl", "ex+bez"],
    "ADP": ["in", "cs", "in-tl", "in-hl"],
    "CONJ": ["cc", "cc-tl"],
    "NUM": ["cd", "cd$", "cd-tl"],
    "PRT": ["rp", "to", "to-hl"],
    "X": ["fw-nn", "fw-in", "fw-at-tl", "uh", "nil"],
    ".": [".", ",", ":", "(", ")", "--", "``", "''", "'"],
}  # fmt: skip


@pytest.mark.parametrize("universal", FAMILIES)
def test_each_tag_family_maps_to_its_universal_tag(universal: str):
    assert {tag: universal_tag(tag) for tag in FAMILIES[universal]} == dict.fromkeys(
        FAMILIES[universal], universal
    )
    assert universal in UNIVERSAL_TAGS


def test_tags_map_in_any_case_and_unknown_ones_are_refused():
    assert universal_tag("NN-TL") == "NOUN" and universal_tag("PPS+BEZ") == "PRON"
    with pytest.raises(ZooError, match="unknown Brown tag 'zz'"):
        universal_tag("zz")


def test_the_reader_takes_the_upstream_lines(tmp_path: Path):
    text = "\n\n\tThe/at Fulton/np-tl jury/nn said/vbd 1/2/cd ./.\n\n\n\tHe's/pps+bez n't/* here/rb ./.\n"
    sentences = read_brown_document(tmp_path / "ca01", text)
    assert sentences == [
        (["The", "Fulton", "jury", "said", "1/2", "."], ["DET", "NOUN", "NOUN", "VERB", "NUM", "."]),
        (["He's", "n't", "here", "."], ["PRON", "ADV", "ADV", "."]),
    ]
    assert read_brown_document(tmp_path / "ca01", text, universal=False)[1][1] == ["pps+bez", "*", "rb", "."]
    with pytest.raises(ZooError, match="ca01:2: not a Brown word/tag token"):
        read_brown_document(tmp_path / "ca01", "\n\tword-without-tag\n")


def test_the_split_is_by_document_and_keeps_every_genre_in_every_split():
    splits = document_split(list(BROWN_DOCUMENTS))
    names = [name for documents in splits.values() for name in documents]
    assert sorted(names) == sorted(BROWN_DOCUMENTS) and len(set(names)) == 500  # each document once
    assert [len(documents) for documents in splits.values()] == [392, 54, 54]
    genres = {name[1] for name in BROWN_DOCUMENTS}
    assert len(genres) == 15
    for split in splits:
        assert {name[1] for name in splits[split]} == genres


def test_the_real_corpus_maps_every_token():
    folder = real_corpus("brown")
    sentences = [
        s for name in BROWN_DOCUMENTS for s in read_brown_document(folder / name, (folder / name).read_text())
    ]
    assert len(sentences) == 57_340
    assert sum(len(words) for words, _ in sentences) == 1_161_192
