"""`zoo export format=onnx` gives the answers `zoo predict` gives: classifiers and regressors of
feature rows and images take raw values (the standardisation is inside the graph); token models
(language models, taggers, sentence classifiers, translation, masked LMs) take token ids and give
the logits PyTorch gives, at batch sizes and lengths other than the export's."""

import numpy as np
import onnxruntime
import pytest
import torch

import zoo
from tests.conftest import compose_train
from zoo.commands.export import export
from zoo.commands.train import train
from zoo.registry import compose
from zoo.tasks.inference.base import FirstOutput

QUICK = [
    "trainer.max_epochs=1",
    "++trainer.limit_train_batches=3",
    "++trainer.limit_val_batches=1",
    "test=false",
]


def exported(tmp_path, overrides):
    summary = train(compose_train([*overrides, *QUICK], tmp_path / "run"))
    folder = tmp_path / "onnx"
    export(compose("export", [f"ckpt_path={summary['best_checkpoint']}", "format=onnx", f"output={folder}",
                              f"paths.output_dir={tmp_path}"]))  # fmt: skip
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    return zoo.load(summary["best_checkpoint"]), session


@pytest.mark.parametrize(
    ("overrides", "raw"),
    [
        (["data=digits"], lambda g: torch.randint(0, 17, (9, 64), generator=g).float()),
        (["experiment=lenet5_digits"], lambda g: torch.randint(0, 256, (9, 1, 32, 32), generator=g).float()),
        (["model=mlp", "data=circles"], lambda g: torch.randn(9, 2, generator=g) * 3),
    ],
    ids=["mlp_rows", "lenet5_pixels", "circles"],
)
def test_a_classifier_graph_gives_predicts_probabilities_on_raw_inputs(tmp_path, overrides, raw):
    predictor, session = exported(tmp_path, overrides)
    x = raw(torch.Generator().manual_seed(1))
    names = predictor.datamodule.class_names
    results = predictor.predict(x.numpy(), top_k=len(names))
    expected = np.array([[dict(result["top"])[name] for name in names] for result in results])
    got = session.run(None, {"input": x.numpy()})[0]
    assert got.shape == expected.shape
    assert abs(got - expected).max() < 1e-5
    assert (got.argmax(1) == expected.argmax(1)).all()


def test_a_regressor_graph_gives_values_in_the_targets_units(tmp_path):
    predictor, session = exported(tmp_path, ["model=mlp_regressor", "data=diabetes"])
    data = predictor.datamodule
    x = torch.randn(6, data.num_features) * torch.tensor(data.std) + torch.tensor(data.mean)
    expected = np.array([result["value"] for result in predictor.predict(x.double().numpy())])
    got = session.run(None, {"input": x.numpy()})[0]
    assert abs(got - expected).max() < 1e-3 * max(1.0, abs(expected).max())


@pytest.mark.parametrize(
    "overrides",
    [
        ["experiment=lstm_lm_grammar"],
        ["experiment=transformer_lm_grammar"],
        ["experiment=bilstm_ner_grammar"],
        ["model=lstm_classifier", "data=grammar_sentiment", "data.num_sentences=200"],
        ["experiment=transformer_dates"],
        ["experiment=bert_mini_mlm_grammar"],
    ],
    ids=["lstm_lm", "transformer_lm", "tagger", "sentence_classifier", "seq2seq", "masked_lm"],
)
def test_a_token_model_graph_gives_pytorchs_logits_at_other_shapes(tmp_path, overrides):
    predictor, session = exported(tmp_path, overrides)
    inputs = predictor.task.onnx_inputs(predictor.datamodule)
    generator = torch.Generator().manual_seed(2)
    vocab = int(max(x.max() for name, x in inputs.items() if "lengths" not in name)) + 1
    other = {  # batch 3 and length 9, not the export's 2 and 7
        name: torch.tensor([9, 4, 6])
        if "lengths" in name
        else torch.randint(4, vocab, (3, 9), generator=generator)
        for name in inputs
    }
    with torch.no_grad():
        expected = FirstOutput(predictor.task)(*other.values()).numpy()
    got = session.run(None, {name: x.numpy() for name, x in other.items()})[0]
    assert got.shape == expected.shape
    assert abs(got - expected).max() < 1e-4
    tokenizer = getattr(predictor.datamodule, "tokenizer", None)
    assert (tmp_path / "onnx" / "tokenizer.json").is_file() == hasattr(tokenizer, "to_str")


def test_word_embeddings_export_no_graph_and_say_so(tmp_path):
    from zoo.errors import ZooError

    with pytest.raises(ZooError, match="exports no graph"):
        exported(tmp_path, ["model=skipgram", "data=grammar_skipgram"])
