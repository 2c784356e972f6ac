"""The course's feedforward claims, trained through the real pipeline (`zoo train` in-process)."""

import csv
import re
from pathlib import Path

import pytest

from zoo.errors import ZooError


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


def weight_gradient_norms(run_dir: Path) -> list[float]:
    """Mean logged gradient norm of each MLP weight matrix, input layer first (from metrics.csv)."""
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    columns = [c for c in rows[0] if re.fullmatch(r"grad_2\.0_norm/net\.layers\.\d+\.weight", c)]
    columns.sort(key=lambda c: int(c.split(".")[-2]))
    return [sum(float(r[c]) for r in rows if r[c]) / sum(1 for r in rows if r[c]) for c in columns]


def plots(summary: dict) -> set[str]:
    return {p.name for p in (Path(summary["run_dir"]) / "plots").glob("*.png") if p.stat().st_size > 5000}


def test_sigmoid_gradients_vanish_with_depth_and_relu_gradients_do_not(train_run):
    budget = [
        "experiment=claim_vanishing_gradients",
        "trainer.max_epochs=2",
        "callbacks.learning_curves=true",
    ]
    sigmoid = train_run([*budget, "model.net.activation=sigmoid"])
    relu = train_run(budget)
    sigmoid_norms = weight_gradient_norms(Path(sigmoid["run_dir"]))
    relu_norms = weight_gradient_norms(Path(relu["run_dir"]))
    assert len(sigmoid_norms) == 10
    assert sigmoid_norms[0] < 1e-3 * sigmoid_norms[-1]  # measured: about 1e-5
    assert relu_norms[0] > 0.1 * relu_norms[-1]  # measured: about 1
    assert relu["test"]["test/acc"] > sigmoid["test"]["test/acc"] + 0.3
    assert {"gradient_norms.png", "learning_curves.png"} <= plots(sigmoid)


def test_batch_norm_trains_at_a_learning_rate_that_breaks_the_plain_net(train_run):
    budget = ["experiment=claim_batchnorm_lr", "trainer.max_epochs=4", "callbacks.learning_curves=true"]
    with_norm = train_run(budget)
    assert with_norm["test"]["test/acc"] >= 0.9
    assert "learning_curves.png" in plots(with_norm)
    with pytest.raises(ZooError, match=r"the training loss became (nan|inf) at step \d+"):
        train_run([*budget, "model.net.batch_norm=false"])  # diverges within the first epoch


def test_momentum_and_adam_cross_a_narrow_valley_faster_than_sgd(train_run):
    budget = ["experiment=claim_momentum_ill_conditioned"]
    sgd = train_run([*budget, "optimizer=sgd"])["test"]["test/loss"]
    momentum = train_run(budget)["test"]["test/loss"]
    adam = train_run([*budget, "optimizer=adam", "optimizer.lr=0.05"])["test"]["test/loss"]
    assert momentum <= 0.02 and momentum < sgd / 10  # measured: 0.005 against 0.17
    assert adam < sgd / 2  # measured: 0.04


def test_per_example_sgd_gets_further_per_epoch_than_full_batch_descent(train_run):
    budget = ["experiment=claim_per_example_sgd", "trainer.max_epochs=1", "callbacks.learning_curves=true"]
    per_example = train_run(budget)
    full_batch = train_run([*budget, "data.batch_size=2000"])
    assert per_example["test"]["test/acc"] >= 0.9
    assert full_batch["test"]["test/acc"] <= 0.5
    assert per_example["global_step"] > 1000 and full_batch["global_step"] == 1
    assert "learning_curves.png" in plots(per_example)


def test_clipping_trains_a_recurrent_net_where_its_gradients_otherwise_explode(train_run):
    budget = ["experiment=claim_exploding_gradients", "trainer.max_epochs=2"]
    clipped = train_run(budget)
    unclipped = train_run([*budget, "trainer.gradient_clip_val=null"])

    def total_norms(summary: dict) -> list[float]:
        rows = list(csv.DictReader((Path(summary["run_dir"]) / "metrics.csv").open()))
        return [float(row["grad_2.0_norm_total"]) for row in rows if row.get("grad_2.0_norm_total")]

    assert clipped["test"]["test/ppl"] < 12  # measured 9.3 after 2 epochs (7.8-8.2 after 5)
    assert unclipped["test"]["test/ppl"] > 100 * clipped["test"]["test/ppl"]  # measured 670,000
    assert max(total_norms(unclipped)) > 4 * max(total_norms(clipped))  # the norms before clipping


def test_tanh_layers_keep_their_gradients_where_sigmoid_layers_lose_them(train_run):
    """The course names sigmoid and tanh as the saturating units. Their derivatives differ where it
    matters: σ'(s) <= 1/4 shrinks the gradient at every layer, tanh'(0) = 1 does not, so with
    Xavier's initialisation (inputs near 0) ten tanh layers pass the gradient back like ReLU."""
    budget = ["experiment=claim_vanishing_gradients", "trainer.max_epochs=2"]
    tanh = train_run([*budget, "model.net.activation=tanh"])
    norms = weight_gradient_norms(Path(tanh["run_dir"]))
    assert norms[0] > 0.1 * norms[-1]  # measured 1.3 (sigmoid: 1e-5)
    assert tanh["test"]["test/acc"] > 0.6  # measured 0.80
