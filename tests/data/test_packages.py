"""zoo data fetch: the real corpora through their package clients, checked and unpacked into the
readers' layout, never half a folder; and the readers on them (the published counts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from tests.conftest import REAL_DATA_DIR, real_corpus
from zoo.data.corpus_readers import read_conll2003, read_labelled_texts
from zoo.data.packages import PACKAGES, fetch_package, packaged_folder
from zoo.errors import ZooError


def test_ptb_is_mikolovs_split():
    folder = real_corpus("ptb")
    lines = {
        split: (folder / f"ptb.{split}.txt").read_text().splitlines() for split in ("train", "valid", "test")
    }
    # words without <eos>, and sentences: the numbers every PTB language-model paper reports
    assert {split: sum(len(line.split()) for line in text) for split, text in lines.items()} == {
        "train": 887_521, "valid": 70_390, "test": 78_669}  # fmt: skip
    assert [sum(1 for line in text if line.strip()) for text in lines.values()] == [42_068, 3_370, 3_761]
    assert len({word for line in lines["train"] for word in line.split()}) == 9_999  # and <eos>: 10k


def test_conll2003_has_the_shared_task_sentences():
    folder = real_corpus("conll2003")
    counts = [len(read_conll2003(folder / f"{split}.txt")) for split in ("train", "valid", "test")]
    assert counts == [14_041, 3_250, 3_453]
    tags = Counter(tag for _, tags in read_conll2003(folder / "test.txt") for tag in tags)
    assert set(tags) == {"O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"}


def test_mr_sentences_are_balanced():
    rows = read_labelled_texts(real_corpus("mr") / "sentences.csv")
    assert len(rows) == 4000
    assert Counter(label for label, _ in rows) == {"1": 2000, "-1": 2000}
    assert all(text and "\n" not in text for _, text in rows)


def test_word_vector_test_sets_are_there():
    folder = real_corpus("word_vector_tests")
    questions = [
        line for line in (folder / "questions-words.txt").read_text().splitlines() if not line.startswith(":")
    ]
    assert len(questions) == 19_544


def test_a_wrong_checksum_leaves_nothing(tmp_path: Path):
    PACKAGES["wrong_sum"] = replace(PACKAGES["ptb"], name="wrong_sum", sha256="0" * 64)
    try:
        with pytest.raises(ZooError, match="sha256 differs"):
            fetch_package("wrong_sum", tmp_path, say=lambda line: None)
    finally:
        del PACKAGES["wrong_sum"]
    assert list(tmp_path.iterdir()) == []  # no folder, no staging left behind


def test_a_failed_unpack_leaves_nothing(tmp_path: Path):
    def unpack_then_fail(archives: list[Path], folder: Path) -> None:
        (folder / "ptb.train.txt").write_text("half")
        raise ZooError("the archive ended early")

    PACKAGES["half"] = replace(PACKAGES["ptb"], name="half", unpack=unpack_then_fail)
    try:
        with pytest.raises(ZooError, match="ended early"):
            fetch_package("half", tmp_path, say=lambda line: None)
    finally:
        del PACKAGES["half"]
    assert list(tmp_path.iterdir()) == []


def test_a_missing_corpus_offline_names_the_command(tmp_path: Path):
    with pytest.raises(ZooError, match="zoo data fetch conll2003"):
        packaged_folder("conll2003", tmp_path, download=False)


def test_a_partial_folder_is_not_fetched_over(tmp_path: Path):
    (tmp_path / "mr").mkdir()
    (tmp_path / "mr" / "sentences.csv").write_text("1,good\n")
    with pytest.raises(ZooError, match="lacks some"):
        fetch_package("mr", tmp_path, say=lambda line: None)
    assert (tmp_path / "mr" / "sentences.csv").read_text() == "1,good\n"


def test_every_corpus_is_pinned_and_listed():
    for name, package in PACKAGES.items():
        sums = (package.sha256,) if isinstance(package.sha256, str) else package.sha256
        assert package.name == name and package.files and all(len(s) == 64 for s in sums)
    assert REAL_DATA_DIR.name == "data"


def test_a_relative_data_folder_works(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # `zoo data fetch` with data_dir=data, as CI runs it
    assert fetch_package("ptb", Path("data"), say=lambda line: None) == (tmp_path / "data" / "ptb")
    assert (tmp_path / "data" / "ptb" / "ptb.test.txt").is_file()
