"""The run summary's training speed: the examples and the real tokens of every training batch,
counted against the batches themselves, over the time spent training (not validating)."""

from __future__ import annotations

from zoo.checkpoint import load_checkpoint
from zoo.commands.train import speed_text
from zoo.data import build_datamodule
from zoo.registry import plain


def composed_data(overrides: list[str], tmp_path) -> dict:
    from tests.conftest import compose_train

    return plain(compose_train(overrides, tmp_path / "data").data)


def batches_of(data: dict, epochs: int) -> list:
    datamodule = build_datamodule(data)
    datamodule.prepare_data()
    datamodule.setup("fit")
    return [batch for _ in range(epochs) for batch in datamodule.train_dataloader()]


LM = ["model=lstm_lm", "data=grammar", "data.num_sentences=300", "data.bptt=16", "data.batch_size=8",
      "model.net.embed_dim=8", "model.net.hidden=8", "trainer.max_epochs=2"]  # fmt: skip
TAGGER = ["model=bilstm_tagger", "data=grammar_ner", "data.num_sentences=200", "data.batch_size=16",
          "model.net.embed_dim=8", "model.net.hidden=8", "trainer.max_epochs=1"]  # fmt: skip


def test_a_language_model_counts_every_window_and_token_it_trained_on(train_run, tmp_path):
    summary = train_run(LM)
    batches = batches_of(composed_data(LM, tmp_path), epochs=2)
    speed = summary["train_speed"]
    assert speed["examples"] == sum(len(tokens) for tokens, _ in batches)
    assert speed["tokens"] == sum(tokens.numel() for tokens, _ in batches)
    assert 0 < speed["seconds"] < summary["wall_time_s"]
    assert abs(speed["tokens_per_s"] * speed["seconds"] - speed["tokens"]) < 1e-6 * speed["tokens"]
    weights = load_checkpoint(summary["last_checkpoint"])["state_dict"].values()
    stored = {weight.data_ptr(): weight.numel() for weight in weights}  # a tied weight once
    assert summary["parameters"] == sum(stored.values())
    assert speed_text(speed).endswith("examples/s)") and "tokens/s" in speed_text(speed)


def test_a_tagger_counts_real_tokens_not_padding(train_run, tmp_path):
    summary = train_run(TAGGER)
    batches = batches_of(composed_data(TAGGER, tmp_path), epochs=1)
    real = sum(int(lengths.sum()) for _, lengths, _ in batches)
    padded = sum(tokens.numel() for tokens, _, _ in batches)
    assert real < padded  # sentences of different lengths: padding to leave out
    assert summary["train_speed"]["tokens"] == real
    assert summary["train_speed"]["examples"] == sum(len(tokens) for tokens, _, _ in batches)


def test_bundled_steps_count_the_same_examples_and_images_have_no_tokens(train_run):
    one = train_run(["model=mlp", "data=digits", "trainer.max_epochs=2"])["train_speed"]
    bundled = train_run(["model=mlp", "data=digits", "trainer.max_epochs=2", "trainer.steps_per_batch=4"])
    assert bundled["train_speed"]["examples"] == one["examples"] > 0
    assert one["tokens"] is None and one["tokens_per_s"] is None
    assert speed_text(one).endswith("examples/s") and "tokens" not in speed_text(one)
