"""The course's feedforward claims, trained through the real pipeline (`zoo train` in-process)."""

import pytest


@pytest.mark.parametrize("function", ["and", "or"])
def test_single_perceptron_fits_and_and_or(train_run, function):
    summary = train_run(
        ["model=perceptron", f"data={function}", "optimizer.lr=0.05", "trainer.max_epochs=15"]
    )
    assert summary["test"]["test/acc"] == 1.0


def test_single_perceptron_cannot_fit_xor(train_run):
    summary = train_run(["model=perceptron", "data=xor", "optimizer.lr=0.05", "trainer.max_epochs=15"])
    assert summary["test"]["test/acc"] <= 0.75  # a line separates at most 3 of the 4 XOR points


def test_two_layer_mlp_fits_xor(train_run):
    summary = train_run(["experiment=xor_mlp", "name=test"])
    assert summary["test"]["test/acc"] == 1.0


@pytest.mark.parametrize("hidden", [8, 16])
def test_mlp_with_few_hidden_units_separates_circles(train_run, hidden):
    summary = train_run(["experiment=circles_mlp", "name=test", f"model.net.hidden=[{hidden}]"])
    assert summary["test"]["test/acc"] >= 0.97


def test_mlp_on_digits_reaches_95_percent(train_run):
    summary = train_run(["model=mlp", "data=digits"])
    assert summary["test"]["test/acc"] >= 0.95
