"""The Python API: create_task / create_datamodule -> any lightning.Trainer -> zoo.load -> predict."""

import doctest

import lightning as L
import numpy as np
import pytest
import torch

import zoo
import zoo.predictor


def fit_and_save(task, data, path, steps: int = 30):
    trainer = L.Trainer(
        max_steps=steps, logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False, accelerator="cpu",
    )  # fmt: skip
    trainer.fit(task, data)
    trainer.save_checkpoint(path)
    return trainer


def test_the_docstring_examples_run():
    for module in (zoo, zoo.predictor):
        failed, attempted = doctest.testmod(module)
        assert failed == 0 and attempted > 0, module.__name__


def test_a_model_fitted_by_a_plain_trainer_loads_and_predicts_raw_rows_as_it_did(tmp_path):
    from sklearn.datasets import load_digits

    L.seed_everything(0)
    task = zoo.create_task("mlp", data="digits", overrides=["model.net.hidden=[32]", "optimizer.lr=0.01"])
    data = zoo.create_datamodule("digits")
    fit_and_save(task, data, tmp_path / "mlp.ckpt", steps=60)
    rows = load_digits().data[:20]

    predictor = zoo.load(tmp_path / "mlp.ckpt")
    predictions = predictor.predict(rows, top_k=3)
    task.eval()
    with torch.no_grad():  # what the trained model says, with the data module's standardisation
        expected = task.predict_proba(data.features(rows))
    assert [p["class"] for p in predictions] == [str(int(c)) for c in expected.argmax(1)]
    got = torch.tensor([p["probability"] for p in predictions])
    torch.testing.assert_close(got, expected.max(1).values, rtol=1e-6, atol=1e-7)
    assert len(predictions[0]["top"]) == 3
    accuracy = np.mean(
        [p["class"] == str(y) for p, y in zip(predictions, load_digits().target[:20], strict=True)]
    )
    assert accuracy >= 0.7  # 60 steps of Adam: learning, not chance (0.1)
    # a forward pass per batch of rows gives what one pass over all of them gives
    batched = predictor.predict(rows, top_k=3, batch_size=7)
    assert [p["class"] for p in batched] == [p["class"] for p in predictions]
    assert [p["probability"] for p in batched] == pytest.approx(
        [p["probability"] for p in predictions], abs=1e-6
    )
    # the same from a csv file, a tensor and a list
    np.savetxt(tmp_path / "rows.csv", rows[:2], delimiter=",")
    for source in (tmp_path / "rows.csv", torch.tensor(rows[:2]), rows[:2].tolist()):
        assert [p["class"] for p in predictor.predict(source)] == [p["class"] for p in predictions[:2]]


def test_a_text_model_loads_with_its_tokenizer_and_labels_a_sentence(tmp_path):
    L.seed_everything(0)
    task = zoo.create_task("lstm_classifier", data="grammar_sentiment", overrides=["data.num_sentences=400"])
    data = zoo.create_datamodule("grammar_sentiment", overrides=["data.num_sentences=400"])
    fit_and_save(task, data, tmp_path / "lstm.ckpt", steps=5)
    predictor = zoo.load(tmp_path / "lstm.ckpt")
    (result,) = predictor.predict("the dog sees a cat", top_k=2)
    assert result["class"] in data.class_names and 0.0 <= result["probability"] <= 1.0
    ids, _ = data.encode(["the", "dog", "sees", "a", "cat"], 0)
    with torch.no_grad():
        expected = task.eval().predict_proba(torch.tensor([ids]), torch.tensor([len(ids)]))
    assert result["probability"] == pytest.approx(float(expected.max()), abs=1e-6)
    sentences = ["the dog sees a cat", "a cat runs"]  # a list of texts is a batch: one result each
    assert predictor(sentences, top_k=2) == [predictor.predict(text, top_k=2)[0] for text in sentences]


def test_bad_names_and_paths_are_one_clear_error(tmp_path):
    with pytest.raises(zoo.ZooError, match="unknown model 'mlpp'"):
        zoo.create_task("mlpp")
    with pytest.raises(zoo.ZooError, match="unknown data 'digit'"):
        zoo.create_datamodule("digit")
    with pytest.raises(zoo.ZooError, match="checkpoint not found"):
        zoo.load(tmp_path / "missing.ckpt")
