"""The English-Spanish Bible pairs: OSIS markup cleaned without fusing words, the split by chapter,
the pairs file's reader, and the real modules through apt and pysword."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import real_corpus
from zoo.data.bible import aligned_chapters, chapter_split, clean_osis, read_verse_pairs
from zoo.errors import ZooError

GENESIS_1_1 = (  # as the engWEB2015eb module stores it
    '<w lemma="strong:H0430">In</w> <w lemma="strong:H0853">the</w> <w lemma="strong:H7225">beginning</w>, '
    '<w lemma="strong:H0430">God</w><note placement="foot"><reference type="annotateRef">1:1 </reference>The '
    'Hebrew word rendered “God” is “אֱלֹהִ֑ים” (Elohim).</note><w lemma="strong:H1254">created</w> '
    '<w lemma="strong:H0853">the</w> <w lemma="strong:H8064">heavens</w> <w lemma="strong:H0430">and</w> '
    '<w lemma="strong:H0853">the</w> <w lemma="strong:H0776">earth</w>. '
)


def test_a_footnote_becomes_a_space_not_a_fused_word():
    assert clean_osis(GENESIS_1_1) == "In the beginning, God created the heavens and the earth."
    assert clean_osis('<q who="Jesus">only born</q><note>x</note><q><w>Son</w> ,</q>') == "only born Son,"


def test_the_split_is_by_chapter(tmp_path: Path):
    pairs = [((book, chapter, verse), f"{book} {chapter}:{verse}", "es")
             for book in ("Gen", "Exod") for chapter in range(1, 31) for verse in range(1, 4)]  # fmt: skip
    splits = chapter_split(pairs)
    chapters = {split: {text.split(":")[0] for text, _ in items} for split, items in splits.items()}
    assert [len(chapters[split]) for split in ("train", "val", "test")] == [54, 3, 3]
    assert not (chapters["train"] & chapters["val"]) and not (chapters["train"] & chapters["test"])
    assert all(len(items) % 3 == 0 for items in splits.values())  # whole chapters: 3 verses each


def test_a_chapter_with_a_verse_of_far_other_length_is_left_out_whole():
    pairs = [
        (("Num", 12, 16), "Afterward the people traveled from Hazeroth", "Y después movió el pueblo"),
        (
            ("Num", 13, 1),
            "Yahweh spoke to Moses, saying,",
            "Y después movió el pueblo de Haseroth, y asentaron el campo en el desierto de Parán.",
        ),  # fmt: skip
        (("Num", 13, 2), "Send men", "Y Jehová habló á Moisés, diciendo"),
        (("Gen", 10, 27), "Hadoram, Uzal, Diklah,", "Y á Hadoram, y á Uzal, y á Dicla,"),  # 3 to 9: kept
    ]
    assert [key for key, _, _ in aligned_chapters(pairs)] == [("Num", 12, 16), ("Gen", 10, 27)]


def test_the_pairs_file_is_checked(tmp_path: Path):
    (tmp_path / "en-es.tsv").write_text(
        "book\tchapter\tverse\ten\tes\nGen\t1\t1\tIn the beginning\tEn el principio\n"
    )
    assert read_verse_pairs(tmp_path / "en-es.tsv") == [
        (("Gen", 1, 1), "In the beginning", "En el principio")
    ]
    (tmp_path / "bad.tsv").write_text("en\tes\nIn\tEn\n")
    with pytest.raises(ZooError, match="not the zoo's verse pairs"):
        read_verse_pairs(tmp_path / "bad.tsv")


def test_the_real_bibles_give_aligned_verses():
    pairs = read_verse_pairs(real_corpus("bible") / "en-es.tsv")
    assert 29_000 < len(pairs) < 31_200
    verses = {key: (en, es) for key, en, es in pairs}
    assert verses[("Gen", 1, 1)] == ("In the beginning, God created the heavens and the earth.",
                                     "EN el principio crió Dios los cielos y la tierra.")  # fmt: skip
    assert verses[("John", 3, 16)][0].startswith(
        "For God so loved the world, that he gave his only born Son,"
    )
    assert not any("Godcreated" in en or "bornSon" in en for _, en, _ in pairs)
    kept = aligned_chapters(pairs)
    assert len(pairs) - 500 < len(kept) < len(pairs)  # the few misnumbered chapters only
    assert ("Num", 13, 1) not in {key for key, _, _ in kept}
    assert max(len(en.split()) for _, en, _ in kept) < 150  # Revelation 22 and its glossary are out
