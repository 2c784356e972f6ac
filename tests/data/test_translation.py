"""Parallel data: the generated tasks' answers, Multi30k's files, your own corpus, and batches."""

import datetime
import gzip

import pytest
import torch

from zoo.data.translation import (
    DATE_FORMATS,
    TranslationDataModule,
    date_pairs,
    symbol_pairs,
    synthetic_translation,
)
from zoo.errors import ZooError


def test_every_date_format_names_the_same_day():
    day = datetime.date(2021, 3, 3)
    written = {fmt(day) for fmt in DATE_FORMATS}
    assert {"3 March 2021", "March 3, 2021", "3/3/2021", "03.03.2021", "the 3rd of March 2021"} <= written
    assert "Wednesday, March 3, 2021" in written  # the true weekday
    for source, target in date_pairs(200, seed=1):
        year, month, day = (int(part) for part in target.split("-"))
        assert datetime.date(year, month, day) and str(year) in source


def test_reversal_and_sorting_have_their_answers_and_lengths():
    for source, target in symbol_pairs("reverse", 50, 10, (30, 50), seed=0):
        assert target.split() == source.split()[::-1] and 30 <= len(source.split()) <= 50
    for source, target in symbol_pairs("sort", 50, 5, (3, 6), seed=0):
        assert target.split() == sorted(source.split())
    assert symbol_pairs("reverse", 5, 10, (3, 6), seed=7) == symbol_pairs("reverse", 5, 10, (3, 6), seed=7)


def test_synthetic_language_reorders_to_subject_object_verb():
    words = ["the", "happy", "dog", "watch", "a", "light", "car", "gladly"]
    tags = ["DET", "ADJ", "NOUN", "VERB", "DET", "ADJ", "NOUN", "ADV"]
    assert synthetic_translation(words, tags) == [
        "le", "godo", "yppaha", "un", "raco", "thgila", "yldalgim", "hctawet"
    ]  # fmt: skip
    # "watch" and "light" translate by their part of speech
    tags = ["DET", "NOUN", "VERB", "DET", "NOUN"]
    assert synthetic_translation(["a", "watch", "sees", "the", "light"], tags) == [
        "un", "hctawo", "le", "thgilo", "seeset"
    ]  # fmt: skip


def test_batches_pad_sources_and_frame_targets_with_bos_eos():
    data = TranslationDataModule("reverse", num_examples=40, min_length=2, max_length=6, batch_size=8)
    data.setup()
    src, lengths, tgt = next(iter(data.train_dataloader()))
    assert src.shape[0] == 8 and src.shape[1] == int(lengths.max())
    assert (tgt[:, 0] == 2).all()  # <bos>
    for row, length in zip(tgt.tolist(), lengths.tolist(), strict=True):
        assert row[length + 1] == 3 and set(row[length + 2 :]) <= {0}  # <eos>, then <pad>
    assert data.decode_target(data.datasets["val"][0][1][1:]) == " ".join(
        data.source_tokens(data.datasets["val"][0][0])[::-1]
    )


def test_tokenizers_travel_in_the_state_dict():
    data = TranslationDataModule("dates", num_examples=50)
    data.setup()
    restored = TranslationDataModule("dates", num_examples=50)
    restored.load_state_dict(data.state_dict())
    assert restored.encode_source("May 1, 2020") == data.encode_source("May 1, 2020")
    ids, unknown = data.encode_source("May 1, 2020 ✓")
    assert unknown == 1 and len(ids) == len("May 1, 2020 ✓")


def write_gzip(path, lines):
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as file:
        file.write("\n".join(lines) + "\n")


def test_multi30k_reads_the_upstream_gzip_files(tmp_path):
    german = ["Zwei junge Männer stehen im Freien.", "Ein Mann fährt Fahrrad."]
    english = ["Two young men are outside.", "A man rides a bike."]
    for split in ("train", "val", "test_2016_flickr"):
        write_gzip(tmp_path / "multi30k" / f"{split}.de.gz", german)
        write_gzip(tmp_path / "multi30k" / f"{split}.en.gz", english)
    data = TranslationDataModule("multi30k", data_dir=str(tmp_path), download=False)
    data.setup()
    assert len(data.datasets["train"]) == 2
    assert data.decode_target(data.datasets["train"][1][1][1:]) == "a man rides a bike ."
    assert data.source_tokens(data.datasets["train"][1][0]) == ["ein", "mann", "fährt", "fahrrad", "."]


def test_multi30k_offline_names_the_missing_file(tmp_path):
    data = TranslationDataModule("multi30k", data_dir=str(tmp_path))
    with pytest.raises(ZooError, match=r"train\.de\.gz is missing and downloading is off"):
        data.setup()


def test_a_parallel_corpus_from_tsv_or_two_files(tmp_path):
    (tmp_path / "train.tsv").write_text("hallo welt\thello world\nguten tag\tgood day\n", encoding="utf-8")
    (tmp_path / "a.de").write_text("hallo\nwelt\n", encoding="utf-8")
    (tmp_path / "a.en").write_text("hello\nworld\n", encoding="utf-8")
    files = {"train": str(tmp_path / "train.tsv"), "val": [str(tmp_path / "a.de"), str(tmp_path / "a.en")]}
    data = TranslationDataModule("parallel", files={**files, "test": files["val"]})
    data.setup()
    assert [len(data.datasets[split]) for split in ("train", "val", "test")] == [2, 2, 2]
    (tmp_path / "b.en").write_text("hello\n", encoding="utf-8")
    uneven = TranslationDataModule(
        "parallel", files={**files, "test": [str(tmp_path / "a.de"), str(tmp_path / "b.en")]}
    )
    with pytest.raises(ZooError, match="2 source lines but 1 target lines"):
        uneven.setup()
    with pytest.raises(ZooError, match="data.files.test is missing"):
        TranslationDataModule("parallel", files=files).setup()
    (tmp_path / "bad.tsv").write_text("no tab here\n", encoding="utf-8")
    with pytest.raises(ZooError, match="expected 'source<TAB>target'"):
        TranslationDataModule("parallel", files={**files, "train": str(tmp_path / "bad.tsv")}).setup()


def test_collate_handles_an_empty_source():
    src, lengths, tgt = TranslationDataModule.collate([([], [2, 5, 3]), ([7, 8], [2, 3])])
    assert lengths.tolist() == [1, 2] and src.tolist() == [[0, 0], [7, 8]]
    assert torch.equal(tgt, torch.tensor([[2, 5, 3], [2, 3, 0]]))
