import pytest
import torch

from zoo.data.corpus_readers import read_conll2003, read_conllu, read_imdb, read_sst2
from zoo.data.sequences import SequenceDataModule
from zoo.data.sources import copy_task
from zoo.errors import ZooError
from zoo.vocabulary import IGNORE

CONLLU = """# sent_id = 1
# text = I don't know.
1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_
2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_
2\tdo\tdo\tAUX\tVBP\t_\t3\taux\t_\t_
3\tn't\tnot\tPART\tRB\t_\t3\tadvmod\t_\t_
4\tknow\tknow\tVERB\tVB\t_\t0\troot\t_\t_
4.1\tit\tit\tPRON\tPRP\t_\t_\t_\t_\t_
5\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_

# sent_id = 2
1\tYes\tyes\tINTJ\tUH\t_\t0\troot\t_\t_

"""

CONLL2003 = """-DOCSTART- -X- -X- O

EU NNP B-NP B-ORG
rejects VBZ B-VP O
German JJ B-NP B-MISC
call NN I-NP O

Peter NNP B-NP B-PER
Blackburn NNP I-NP I-PER
"""


def test_conllu_reader_keeps_syntactic_words_and_upos(tmp_path):
    (tmp_path / "a.conllu").write_text(CONLLU)
    assert read_conllu(tmp_path / "a.conllu") == [
        (["I", "do", "n't", "know", "."], ["PRON", "AUX", "PART", "VERB", "PUNCT"]),
        (["Yes"], ["INTJ"]),
    ]


def test_conll2003_reader_takes_the_ner_column(tmp_path):
    (tmp_path / "train.txt").write_text(CONLL2003)
    assert read_conll2003(tmp_path / "train.txt") == [
        (["EU", "rejects", "German", "call"], ["B-ORG", "O", "B-MISC", "O"]),
        (["Peter", "Blackburn"], ["B-PER", "I-PER"]),
    ]
    (tmp_path / "bad.txt").write_text("just three columns\n")
    with pytest.raises(ZooError, match="CoNLL-2003"):
        read_conll2003(tmp_path / "bad.txt")


def test_sst2_and_imdb_readers(tmp_path):
    (tmp_path / "train.tsv").write_text("sentence\tlabel\nhide new secretions \t0\na gorgeous film \t1\n")
    assert read_sst2(tmp_path / "train.tsv") == [
        (["hide", "new", "secretions"], 0),
        (["a", "gorgeous", "film"], 1),
    ]
    for label, text in (("neg", "Dull.<br />Very dull"), ("pos", "Great fun")):
        (tmp_path / "imdb" / label).mkdir(parents=True)
        (tmp_path / "imdb" / label / "0_1.txt").write_text(text)
    assert read_imdb(tmp_path / "imdb") == [(["dull.", "very", "dull"], 0), (["great", "fun"], 1)]


def test_ud_and_conll2003_modules_read_fixture_folders_offline(tmp_path):
    for split in ("train", "dev", "test"):
        (tmp_path / "conllu").mkdir(exist_ok=True)
        (tmp_path / "conllu" / f"en_ewt-ud-{split}.conllu").write_text(CONLLU * 5)
    dm = SequenceDataModule(
        "conllu",
        tags=["AUX", "INTJ", "PART", "PRON", "PUNCT", "VERB"],
        data_dir=str(tmp_path),
        download=False,
        batch_size=2,
    )
    dm.setup()
    tokens, lengths, tags = next(iter(dm.val_dataloader()))
    assert lengths.tolist() == [5, 1] and tags[1, 1:].eq(IGNORE).all()
    (tmp_path / "conll2003").mkdir()
    for split in ("train", "valid", "test"):
        (tmp_path / "conll2003" / f"{split}.txt").write_text(CONLL2003)
    ner = SequenceDataModule(
        "conll2003",
        tags=["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"],
        data_dir=str(tmp_path),
        batch_size=2,
    )
    ner.setup()
    assert len(ner.datasets["train"]) == 2
    with pytest.raises(ZooError, match="missing"):
        SequenceDataModule("conllu", data_dir=str(tmp_path / "none"), download=False).setup()


def test_copy_task_targets_only_the_recall_steps():
    ((words, tags),) = copy_task(1, symbols=8, length=3, lag=5, seed=0)
    assert len(words) == 3 + 5 + 1 + 3 and words[8] == "|"
    assert tags[:9] == [None] * 9 and tags[9:] == words[:3]


def test_padding_never_changes_a_sequences_outputs():
    from zoo.models.sequence import RNNSequenceClassifier, RNNTagger

    torch.manual_seed(0)
    tokens = torch.tensor([[5, 6, 7, 0, 0], [5, 6, 7, 8, 9]])
    lengths = torch.tensor([3, 5])
    for pooling in ("last", "mean"):
        net = RNNSequenceClassifier(10, 2, embed_dim=4, hidden=4, pooling=pooling).eval()
        alone = net(tokens[:1, :3], lengths[:1])
        torch.testing.assert_close(net(tokens, lengths)[:1], alone)
    tagger = RNNTagger(10, 3, embed_dim=4, hidden=4).eval()
    torch.testing.assert_close(tagger(tokens, lengths)[0, :3], tagger(tokens[:1, :3], lengths[:1])[0])


def test_a_downloaded_archive_is_unpacked_and_read(tmp_path):
    import shutil

    source = tmp_path / "build" / "SST-2"
    source.mkdir(parents=True)
    rows = "sentence\tlabel\n" + "a fine film \t1\na dull film \t0\n" * 30
    (source / "train.tsv").write_text(rows)
    (source / "dev.tsv").write_text(rows)
    data = tmp_path / "data" / "sst2"
    data.mkdir(parents=True)
    shutil.make_archive(str(data / "SST-2"), "zip", tmp_path / "build")  # as fetched: data/sst2/SST-2.zip
    dm = SequenceDataModule(
        "sst2", target="label", num_classes=2, data_dir=str(tmp_path / "data"), download=False
    )
    dm.setup()
    assert (tmp_path / "data" / "SST-2" / "train.tsv").is_file()
    assert len(dm.datasets["test"]) == 60 and len(dm.datasets["val"]) == 3


def test_labelled_keeps_the_first_training_examples_and_all_of_the_text_for_the_tokenizer():
    from zoo.data.sequences import SequenceDataModule

    # word-level: Hugging Face's WordPiece/BPE trainers break ties in hash order, so two trainings on
    # the same text can differ (huggingface/tokenizers#1794)
    full = SequenceDataModule(target="label", num_classes=2, vocab_size=200)
    few = SequenceDataModule(target="label", num_classes=2, vocab_size=200, labelled=24)
    full.setup(), few.setup()
    assert few.datasets["train"] == full.datasets["train"][:24]
    assert few.datasets["test"] == full.datasets["test"]
    assert few.tokenizer.get_vocab() == full.tokenizer.get_vocab()  # 24 sentences alone have fewer words
    with pytest.raises(ValueError, match="data.labelled must be a positive number"):
        SequenceDataModule(target="label", labelled=0)


def test_each_source_takes_only_its_own_options():
    from zoo.data import build_datamodule
    from zoo.data.sources import CopySource, GrammarSource

    copy = SequenceDataModule(source="copy", tags=["s0"], num_sentences=8, copy_symbols=2, copy_lag=4)
    assert isinstance(copy.reader, CopySource) and copy.reader.lag == 4
    assert isinstance(SequenceDataModule(num_sentences=8).reader, GrammarSource)
    with pytest.raises(ValueError, match=r"data.copy_lag is not an option of source 'grammar' \(its options"):
        SequenceDataModule(source="grammar", copy_lag=4)
    with pytest.raises(ValueError, match="data.num_sentences is not an option of source 'conllu' .it takes"):
        SequenceDataModule(source="conllu", num_sentences=10)
    config = {"_target_": "zoo.data.sequences.SequenceDataModule", "source": "sst2", "copy_lag": 3}
    with pytest.raises(
        ZooError, match="cannot build data SequenceDataModule: data.copy_lag is not an option"
    ):
        build_datamodule(config)


@pytest.mark.slow  # measured: seconds of training (tests/conftest.py explains the tiers)
def test_skipgram_reads_a_text_corpus_and_subsamples_only_frequent_training_words():
    from zoo.data.skipgram import SkipGramDataModule

    options = {"corpus": "shakespeare", "tokenizer": "wordpunct", "vocab_size": 2000, "window": 1}
    full, sub = SkipGramDataModule(**options), SkipGramDataModule(**options, subsample=1e-3)
    full.setup(), sub.setup()
    ids = {word: full.tokenizer.token_to_id(word) for word in ("the", "sword")}

    def centres(data, word):
        return sum(centre == ids[word] for centre, _ in data.datasets["train"])

    # "the" is about 3% of the words: kept with p = √(0.001 / 0.03) ≈ 0.18; "sword" (0.01%) always
    # (it loses only the pairs whose other word was dropped)
    assert 0.1 < centres(sub, "the") / centres(full, "the") < 0.3
    assert centres(sub, "sword") / centres(full, "sword") > 0.8
    keep = sub.keep_probability(torch.tensor([9600.0, 300.0, 100.0]))  # shares 0.96, 0.03, 0.01
    assert keep == pytest.approx([(0.001 / 0.96) ** 0.5, (0.001 / 0.03) ** 0.5, (0.001 / 0.01) ** 0.5])
    assert SkipGramDataModule(subsample=0.5).keep_probability(torch.tensor([1.0, 1.0])) == [1.0, 1.0]
    assert sub.datasets["test"] == full.datasets["test"]  # only training occurrences are dropped
    assert full.tokenizer.token_to_id("King") is None and ids["the"] is not None  # lowercased


def test_generated_entities_are_valid_bio_and_their_names_are_also_common_words():
    from zoo.data import entities
    from zoo.tasks.inference.tag import bio_spans

    sentences = entities.generate(2000, seed=0)
    as_name, as_noun = set(), set()
    for sentence in sentences:
        assert len(sentence.words) == len(sentence.tags)
        assert all(tag in entities.ENTITY_TAGS for tag in sentence.tags)
        for start, end, kind in bio_spans(sentence.tags):
            assert sentence.tags[start] == f"B-{kind}" and all(
                t == f"I-{kind}" for t in sentence.tags[start + 1 : end]
            )
            as_name.update(sentence.words[start:end])
        previous = ["", *sentence.words[:-1]]
        words = zip(sentence.words, sentence.tags, previous, strict=True)
        as_noun.update(word for word, tag, before in words if tag == "O" and before in entities.DETERMINERS)
    ambiguous = set(entities.NAME_NOUNS)
    assert ambiguous <= as_name and ambiguous <= as_noun  # the word alone does not tell: its context does
    kinds = {kind for s in sentences for _, _, kind in bio_spans(s.tags)}
    assert kinds == {"PER", "LOC", "ORG"} and any(
        end - start == 3 for s in sentences for start, end, _ in bio_spans(s.tags)
    )


def test_checkpoints_naming_the_skipgram_module_by_its_old_path_still_build_it():
    from zoo.data import build_datamodule
    from zoo.data.skipgram import SkipGramDataModule

    old = build_datamodule({"_target_": "zoo.data.sequences.SkipGramDataModule", "corpus": "grammar"})
    assert type(old) is SkipGramDataModule


def test_unknown_words_take_the_unk_of_their_shape(tmp_path):
    from zoo.data.sequences import word_shape

    assert [word_shape(w) for w in ("Blackburn", "EU", "1999", "lamb", "--", "McDonald")] == [
        "<unk:Xx>", "<unk:XX>", "<unk:0>", "<unk:x>", "<unk:.>", "<unk:Xx>"]  # fmt: skip
    (tmp_path / "t.conll").write_text("Peter B-PER\nsaw O\nPeter B-PER\nsaw O\nRome B-LOC\n")
    files = {
        "train": str(tmp_path / "t.conll"),
        "val": str(tmp_path / "t.conll"),
        "test": str(tmp_path / "t.conll"),
    }
    data = SequenceDataModule(source="tagged", files=files, min_frequency=2, unknown_shapes=True)
    data.setup("fit")
    ids, _ = data.encode(["Peter", "Rome", "Zurich", "NATO", "x"], [None] * 5)
    tokens = [data.tokenizer.id_to_token(i) for i in ids]
    assert tokens == ["Peter", "<unk:Xx>", "<unk:Xx>", "<unk:XX>", "<unk:x>"]  # Rome: seen once, below 2


def test_a_source_passing_options_on_takes_its_base_s_options_too():
    from zoo.data.sources import SOURCES, build_source, option_names

    assert option_names(SOURCES["labelled_text"]) == [
        "files", "label_column", "text_column", "labels", "lowercase", "val_fraction", "test_fraction",
    ]  # fmt: skip
    assert option_names(SOURCES["mr"]) == ["val_fraction", "test_fraction"]
    source = build_source("labelled_text", {"files": {"train": "x.csv"}, "label_column": "mood"})
    assert source.columns == ("mood", 1)
    with pytest.raises(ValueError, match="data.bogus is not an option of source 'labelled_text'"):
        build_source("labelled_text", {"files": {"train": "x.csv"}, "bogus": 1})
    with pytest.raises(ValueError, match="data.files is not an option of source 'mr'"):
        build_source("mr", {"files": {"train": "x.csv"}})
