"""Every registered model, dataset and experiment composes and builds (the YAML files are the registry)."""

import pytest
import torch

import zoo
from zoo.data import build_datamodule
from zoo.registry import compose, options, plain

# A dataset each model is meant for; adding a model config without adding it here fails below.
MODEL_DATA = {
    "mlp": "digits",
    "perceptron": "breast_cancer",
    "mlp_regressor": "diabetes",
    "lenet5": "digits_images",
    **{f"resnet{depth}": "digits_images" for depth in (18, 34, 50, 20, 32, 56)},
    **{f"plain{depth}": "digits_images" for depth in (20, 56)},
    "cifar_resnet": "digits_images",
    **{name: "grammar" for name in ("lstm_lm", "gru_lm", "rnn_lm", "window_lm", "transformer_lm")},
    "bilstm_tagger": "grammar_pos",
    "lstm_classifier": "grammar_sentiment",
    "cnn_text": "grammar_sentiment",
    "skipgram": "grammar_skipgram",
    "rnn_seq2seq": "grammar_translation",
    "transformer_seq2seq": "grammar_translation",
    "bert_mlm": "grammar_sentiment",
    "transformer_classifier": "grammar_sentiment",
    "transformer_tagger": "grammar_pos",
}
# Datasets that need files: tested on fixture files in tests/data/test_vision.py and test_images.py.
NEEDS_FILES = {"mnist", "fashion_mnist", "cifar10", "cifar100", "image_folder"}
NEEDS_FILES |= {"text_files", "tiny_shakespeare", "wikitext2", "wikitext103"}  # tests/data/test_text.py
NEEDS_FILES |= {"ud_ewt", "conll2003", "sst2", "imdb"}  # tests/data/test_sequences.py
NEEDS_FILES |= {"multi30k", "parallel"}  # tests/data/test_translation.py
NEEDS_FILES |= {
    "ptb",
    "brown_pos",
    "mr",
}  # fetched: tests/data/test_packages.py, test_brown.py, test_real_nlp.py
NEEDS_FILES |= {"csv", "tagged", "labelled_text"}  # your files: tests/cli/test_own_data.py


def test_every_model_has_a_test_dataset():
    assert set(zoo.list_models()) == set(MODEL_DATA)


@pytest.mark.parametrize("name", sorted(MODEL_DATA))
def test_every_model_builds_and_runs_a_training_step(name):
    task = zoo.create_task(name, data=MODEL_DATA[name])
    datamodule = build_datamodule(plain(compose("train", [f"data={MODEL_DATA[name]}", "name=x"]).data))
    datamodule.setup()
    batch = datamodule.on_after_batch_transfer(next(iter(datamodule.train_dataloader())), 0)
    loss, _, _ = task.loss_and_outputs([part[:4] for part in batch])
    loss.backward()
    assert torch.isfinite(loss)
    assert all(p.grad is not None for p in task.parameters())


@pytest.mark.parametrize("name", sorted(set(options("data")) - NEEDS_FILES))
def test_every_offline_dataset_sets_up(name):
    config = compose("train", [f"data={name}", "name=x"])
    datamodule = build_datamodule(plain(config.data))
    datamodule.setup()
    x = datamodule.on_after_batch_transfer(next(iter(datamodule.train_dataloader())), 0)[0]
    if "negatives" in config.data:  # skip-gram (centre, context, noise) ids
        assert x.ndim == 1 and not x.is_floating_point()
    elif "source" in config.data:  # padded token sequences (tokens, lengths, targets)
        assert x.ndim == 2 and not x.is_floating_point()
    elif "bptt" in config.data:  # token windows
        assert list(x.shape) == [config.data.batch_size, config.data.bptt] and not x.is_floating_point()
    else:
        expected = config.data.get("input_shape") or [config.data.num_features]
        assert list(x.shape[1:]) == list(expected)


@pytest.mark.parametrize("name", sorted(options("experiment")))
def test_every_experiment_composes_and_states_its_expected_result(name):
    config = compose("train", [f"experiment={name}"])
    assert config.name == name
    assert config.expected.metric.startswith("test/") and config.expected.value > 0


@pytest.mark.parametrize(
    "group", ["model", "data", "optimizer", "scheduler", "regularizer", "trainer", "logger", "experiment"]
)
def test_every_option_has_a_description(group):
    assert all(options(group).values()), options(group)


def test_create_model_rejects_unknown_names():
    with pytest.raises(zoo.ZooError, match="unknown model 'lenet9'"):
        zoo.create_task("lenet9")


def test_the_readme_names_every_experiment_preset():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    missing = [name for name in options("experiment") if f"`{name}`" not in readme]
    assert not missing, f"README.md does not name {missing}"


@pytest.mark.parametrize("name", sorted(MODEL_DATA))
def test_every_model_builds_on_the_meta_device_with_the_real_shapes(name):
    """zoo.tasks.trained learns a checkpoint's weight shapes by building its model on the meta
    device (no memory) before allocating: that build must work for every model and agree."""
    task = zoo.create_task(name, data=MODEL_DATA[name])
    with torch.device("meta"):
        skeleton = type(task)(**task.hparams)
    real = {key: tuple(value.shape) for key, value in task.state_dict().items()}
    assert {key: tuple(value.shape) for key, value in skeleton.state_dict().items()} == real
    assert all(value.is_meta for value in skeleton.state_dict().values())
