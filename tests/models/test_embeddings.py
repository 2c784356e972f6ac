from pathlib import Path

import pytest
import torch

from zoo.data import grammar
from zoo.models.embeddings import load_pretrained, read_vectors, word_embedding


def test_skipgram_puts_words_of_one_part_of_speech_closer_together(train_run):
    from tokenizers import Tokenizer

    from zoo.checkpoint import load_checkpoint, task_from_checkpoint

    summary = train_run(
        ["model=skipgram", "data=grammar_skipgram", "optimizer.lr=0.01", "trainer.max_epochs=5"]
    )
    checkpoint = load_checkpoint(summary["last_checkpoint"])
    task = task_from_checkpoint(checkpoint)
    tokenizer = Tokenizer.from_str(checkpoint["SkipGramDataModule"]["tokenizer"])
    groups = {
        "NOUN": ["dog", "cat", "bird", "child", "teacher", "river", "car", "house"],
        "VERB": ["sees", "likes", "finds", "follows", "hears", "sleeps", "runs", "waits", "sings"],
        "DET": grammar.DETERMINERS,
    }
    vectors = torch.nn.functional.normalize(task.net.input_vectors.weight.detach(), dim=-1)
    ids = {tag: [tokenizer.token_to_id(w) for w in words] for tag, words in groups.items()}
    within, between = [], []
    for tag, rows in ids.items():
        for other, other_rows in ids.items():
            similarity = vectors[rows] @ vectors[other_rows].T
            if tag == other:
                within.append(similarity[~torch.eye(len(rows), dtype=torch.bool)].mean())
            else:
                between.append(similarity.mean())
    assert torch.stack(within).mean() > torch.stack(between).mean() + 0.3, (within, between)
    # the same seen by the run itself: the grammar's parts of speech as word groups (test/groups)
    assert summary["test"]["test/groups"] >= 0.9, summary["test"]

    # an analogy through `zoo predict`: the words nearest v_a - v_b + v_c by cosine, a, b, c excluded
    from tests.conftest import run_zoo

    analogy = ["predict", f"ckpt_path={summary['last_checkpoint']}", "input=dog - cat + bird", "top_k=3"]
    done = run_zoo(analogy, Path(summary["run_dir"]))
    assert done.returncode == 0, done.stderr
    raw = task.net.input_vectors.weight.detach()
    a, b, c = (tokenizer.token_to_id(word) for word in ("dog", "cat", "bird"))
    query = raw[a] - raw[b] + raw[c]
    scores = torch.nn.functional.normalize(raw, dim=-1) @ torch.nn.functional.normalize(query, dim=0)
    scores[[a, b, c]] = -2.0
    expected = [tokenizer.id_to_token(i) for i in scores.topk(3).indices.tolist()]
    printed = done.stdout[done.stdout.index("dog - cat + bird ≈") :]
    assert all(word in printed for word in expected), (expected, done.stdout)
    assert printed.index(expected[0]) < printed.index(expected[1]) < printed.index(expected[2])


@pytest.mark.parametrize("header", ["", "3 4\n"])  # GloVe, word2vec text
def test_vector_files_set_the_rows_of_the_words_they_list(tmp_path, header):
    path = tmp_path / "vectors.txt"
    path.write_text(header + "dog 1 2 3 4\ncat 0.5 0.5 0.5 0.5\nzebra 9 9 9 9\n")
    assert set(read_vectors(path)) == {"dog", "cat", "zebra"}
    layer = torch.nn.Embedding(5, 4)
    before = layer.weight.detach().clone()
    found = load_pretrained(layer, {"<pad>": 0, "dog": 3, "cat": 4, "fish": 2}, path, freeze=True)
    assert found == 2
    assert layer.weight[3].tolist() == [1, 2, 3, 4] and layer.weight[4].tolist() == [0.5] * 4
    assert torch.equal(layer.weight[:3], before[:3]) and not layer.weight.requires_grad
    with pytest.raises(ValueError, match="4-dimensional"):
        load_pretrained(torch.nn.Embedding(5, 3), {"dog": 1}, path)


def test_model_embeddings_option_loads_vectors_into_a_tagger(train_run, tmp_path):
    path = tmp_path / "glove.txt"
    path.write_text("".join(f"{w} " + " ".join(["0.25"] * 64) + "\n" for w in ("dog", "cat")))
    summary = train_run(
        [
            "model=bilstm_tagger",
            "data=grammar_pos",
            f"model.embeddings={path}",
            "model.freeze_embeddings=true",
            "trainer.max_epochs=1",
        ]
    )
    from zoo.checkpoint import load_checkpoint

    state = load_checkpoint(summary["last_checkpoint"])
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_str(state["SequenceDataModule"]["tokenizer"])
    row = state["state_dict"]["net.encoder.embedding.weight"][tokenizer.token_to_id("dog")]
    assert torch.allclose(row, torch.full((64,), 0.25))  # frozen: still the pretrained vector


def test_sparse_skipgram_takes_the_dense_step_on_the_batch_s_rows_only():
    from zoo.models.embeddings import SkipGram

    torch.manual_seed(0)
    dense, sparse = SkipGram(50, 8), SkipGram(50, 8, sparse=True)
    sparse.load_state_dict(dense.state_dict())
    torch.nn.init.normal_(dense.output_vectors.weight)  # zeros would leave the input vectors' gradient 0
    sparse.output_vectors.weight.data.copy_(dense.output_vectors.weight.data)
    centre, context, noise = torch.tensor([1, 2, 2]), torch.tensor([3, 4, 5]), torch.tensor([[6, 7]] * 3)
    for net in (dense, sparse):
        net(centre, context, noise).backward()
    assert sparse.input_vectors.weight.grad.is_sparse
    assert torch.allclose(sparse.input_vectors.weight.grad.to_dense(), dense.input_vectors.weight.grad)
    assert torch.allclose(sparse.output_vectors.weight.grad.to_dense(), dense.output_vectors.weight.grad)
    before = sparse.input_vectors.weight.detach().clone()
    torch.optim.SparseAdam(sparse.parameters(), lr=0.1).step()
    changed = (sparse.input_vectors.weight.detach() != before).any(1).nonzero().flatten().tolist()
    assert changed == [1, 2]  # the centre words' rows; every other row is left as it was


def test_a_sparse_skipgram_trains_with_sparse_adam(train_run):
    summary = train_run(["model=skipgram", "data=grammar_skipgram", "optimizer=sparse_adam",
                         "optimizer.lr=0.01", "model.net.sparse=true", "trainer.max_epochs=2"])  # fmt: skip
    losses = summary["test"]["test/loss"], summary["train"]["train/loss"]
    assert all(0 < loss < 6 * 0.6931 for loss in losses), losses  # below the untrained (1 + k) log 2


@pytest.mark.parametrize("init_range", [0.25, 0.01])
def test_word_embedding_draws_from_its_range_and_keeps_padding_zero(init_range):
    torch.manual_seed(0)
    table = word_embedding(500, 16, init_range).weight.detach()
    assert torch.equal(table[0], torch.zeros(16))
    assert table[1:].abs().max() <= init_range
    assert table[1:].abs().max() > 0.9 * init_range  # spread over the range, not a narrower one
    assert abs(table[1:].std().item() - init_range / 3**0.5) < 0.05 * init_range  # U(-r, r): r/√3
    default = word_embedding(500, 16).weight.detach()
    assert torch.equal(default[0], torch.zeros(16)) and 0.9 < default[1:].std().item() < 1.1  # N(0, 1)
    with pytest.raises(ValueError, match="embed_init must be positive"):
        word_embedding(10, 4, 0.0)


def test_classifiers_take_embed_init_from_their_config():
    from zoo.models.convtext import ConvSentenceClassifier
    from zoo.models.sequence import RNNSequenceClassifier

    cnn = ConvSentenceClassifier(vocab_size=300, num_classes=2)  # Kim's U(-0.25, 0.25) by default
    assert cnn.embedding.weight.abs().max() <= 0.25
    rnn = RNNSequenceClassifier(vocab_size=300, num_classes=2, embed_init=0.1)
    assert rnn.encoder.embedding.weight.abs().max() <= 0.1
    assert RNNSequenceClassifier(vocab_size=300, num_classes=2).encoder.embedding.weight.abs().max() > 1
