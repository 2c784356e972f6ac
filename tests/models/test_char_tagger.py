"""The tagger that reads spelling: each word's UTF-8 bytes beside its id (data.characters), a
character CNN over them (model.net.char_filters); what it buys is shown on words training never
saw, whose tag only their ending tells."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
import torch

from zoo.data.sequences import SequenceDataModule, word_bytes
from zoo.errors import ZooError
from zoo.models.sequence import CharacterCNN, RNNTagger


def test_a_word_is_its_bytes_plus_one_padded_with_zeros():
    assert word_bytes("ab", 4) == [98, 99, 0, 0]
    assert word_bytes("año", 3) == [98, 0xC3 + 1, 0xB1 + 1]  # ñ is two bytes; cut at the width
    assert word_bytes("", 2) == [0, 0]


def test_the_data_gives_each_word_its_id_then_its_bytes():
    data = SequenceDataModule(source="grammar", tags=None, num_sentences=40, characters=6)
    data.setup("fit")
    tokens, lengths, targets = data.collate(data.datasets["train"][:3])
    assert tokens.shape[:2] == targets.shape and tokens.shape[2] == 7
    first = data.datasets["train"][0][0][0]
    word = data.tokenizer.id_to_token(first[0])
    assert first[1:] == word_bytes(word, 6)
    with pytest.raises(ValueError, match="data.characters is a number of bytes per word, for tagging"):
        SequenceDataModule(source="grammar", target="label", num_classes=2, characters=4)


@pytest.mark.parametrize("width", [1, 2, 3, 4, 5])
def test_a_word_reads_the_same_however_much_padding_follows_it(width):
    torch.manual_seed(0)
    cnn = CharacterCNN(filters=5, dim=4, width=width)
    short, long = torch.tensor([[[72, 106, 0]]]), torch.tensor([[[72, 106, 0, 0, 0, 0]]])
    assert cnn(short).shape == (1, 1, 5) and torch.allclose(cnn(short), cnn(long))


def test_words_and_spelling_must_both_be_read_or_neither():
    tagger = RNNTagger(vocab_size=10, num_classes=3, char_filters=4)
    with pytest.raises(ZooError, match="only with data that gives them"):
        tagger(torch.tensor([[4, 5]]), torch.tensor([2]))
    assert tagger(torch.tensor([[[4, 98, 99], [5, 100, 0]]]), torch.tensor([2])).shape == (1, 2, 3)
    with pytest.raises(ZooError, match="only with data that gives them"):
        RNNTagger(vocab_size=10, num_classes=3)(torch.tensor([[[4, 98, 99]]]), torch.tensor([1]))


def write_suffix_tagged(path: Path, stems: list[str], count: int, seed: int) -> None:
    """Sentences of made-up words whose tag only their ending tells: -tion NOUN, -ing VERB."""
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        for _ in range(rng.randint(3, 7)):
            tag = rng.choice(["NOUN", "VERB"])
            lines.append(f"{rng.choice(stems)}{'tion' if tag == 'NOUN' else 'ing'} {tag}")
        lines.append("")
    path.write_text("\n".join(lines) + "\n")


def test_spelling_tags_words_training_never_saw(train_run, tmp_path: Path):
    rng = random.Random(0)
    stems = ["".join(rng.choice("bcdfgklmnprst") + rng.choice("aeiou") for _ in range(3)) for _ in range(120)]
    write_suffix_tagged(tmp_path / "train.conll", stems[:80], 600, seed=1)
    write_suffix_tagged(tmp_path / "test.conll", stems[80:], 150, seed=2)  # only unseen words
    files = [f"data.files.train={tmp_path / 'train.conll'}", f"data.files.val={tmp_path / 'test.conll'}",
             f"data.files.test={tmp_path / 'test.conll'}"]  # fmt: skip
    common = ["model=bilstm_tagger", "data=tagged", *files, "trainer.max_epochs=10", "optimizer.lr=0.01"]
    words_only = train_run(common)["test"]["test/acc"]
    spelling = train_run([*common, "data.characters=12", "model.net.char_filters=16"])["test"]["test/acc"]
    # words only: every test word is <unk>, so about half right; with spelling, 0.94 when written
    # (training words are all frequent, so the word ids carry much of what the endings do)
    assert words_only < 0.65 and spelling > 0.85, (words_only, spelling)
