import pytest
import torch
import torch.nn.functional as F

from zoo.errors import ZooError
from zoo.tasks import Classifier, Regressor, build_task

MLP = {"_target_": "zoo.models.feedforward.MLP", "in_features": 3, "hidden": [5]}


def test_softmax_output_is_cross_entropy():
    task = Classifier(MLP, num_classes=4)
    x, y = torch.randn(6, 3), torch.tensor([0, 1, 2, 3, 0, 1])
    loss, predictions, _ = task.loss_and_outputs((x, y))
    torch.testing.assert_close(loss, F.cross_entropy(task.net(x), y))
    # the metrics get the scores (same most likely class), predict_proba the probabilities
    probabilities = task.predict_proba(x)
    torch.testing.assert_close(probabilities.sum(1), torch.ones(6))
    assert torch.equal(predictions.argmax(1), probabilities.argmax(1))


def test_sigmoid_output_has_one_unit_and_binary_cross_entropy():
    task = Classifier(MLP, num_classes=2, output="sigmoid")
    x, y = torch.randn(6, 3), torch.tensor([0, 1, 1, 0, 1, 0])
    s = task.net(x)
    assert s.shape == (6, 1)
    loss, probabilities, _ = task.loss_and_outputs((x, y))
    torch.testing.assert_close(loss, F.binary_cross_entropy(torch.sigmoid(s[:, 0]), y.float()))
    torch.testing.assert_close(probabilities[:, 1], torch.sigmoid(s[:, 0]))


def test_one_vs_all_is_summed_binary_cross_entropy():
    task = Classifier(MLP, num_classes=3, output="one_vs_all")
    x, y = torch.randn(4, 3), torch.tensor([0, 2, 1, 2])
    s = task.net(x)
    loss, probabilities, _ = task.loss_and_outputs((x, y))
    per_class = [F.binary_cross_entropy(torch.sigmoid(s[:, c]), (y == c).float()) for c in range(3)]
    torch.testing.assert_close(loss, torch.stack(per_class).sum())
    assert torch.equal(probabilities.argmax(1), torch.sigmoid(s).argmax(1))


def test_bad_output_choices_are_explained():
    with pytest.raises(ValueError, match="2 classes"):
        Classifier(MLP, num_classes=3, output="sigmoid")
    with pytest.raises(ZooError, match="output"):
        build_task({"_target_": "zoo.tasks.Classifier", "net": MLP, "num_classes": 3, "output": "hinge"})
    with pytest.raises(ZooError, match="unknown task"):
        build_task({"_target_": "builtins.exec", "net": MLP})


def test_one_vs_all_trains_on_digits(train_run):
    summary = train_run(["data=digits", "model.output=one_vs_all"])
    assert summary["test"]["test/acc"] >= 0.93


def test_regressor_learns_diabetes(train_run):
    summary = train_run(
        ["model=mlp_regressor", "data=diabetes", "trainer.max_epochs=40", "optimizer.lr=0.003"]
    )
    # Targets are standardised: a mean predictor has MSE ≈ 1; a fitted model explains ≥ 40% of variance.
    assert summary["test"]["test/mse"] < 0.6


def test_hyperparameters_are_plain_python_types():
    task = Regressor(MLP, num_targets=2, optimizer={"_target_": "torch.optim.SGD", "lr": 0.1})

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list | tuple):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, bool | int | float | str)

    assert plain(dict(task.hparams))
