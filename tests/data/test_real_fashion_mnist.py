"""Real data on every machine: the original Fashion-MNIST files as Debian's dataset-fashion-mnist
installs them (.ci/run installs the package). LeNet-5 learns from a slice of the real images."""

from pathlib import Path

import pytest

from tests.conftest import compose_train
from zoo.commands.train import train

SYSTEM = Path("/usr/share/datasets/fashion-mnist")


def test_lenet5_learns_real_fashion_mnist_read_where_debian_put_it(tmp_path):
    if not (SYSTEM / "train-images-idx3-ubyte.gz").is_file():
        pytest.fail(f"no Fashion-MNIST in {SYSTEM}: apt-get install -y dataset-fashion-mnist (as root)")
    # 10,000 of the 55,000 training images, 3 epochs (about 10 s on 2 cores); data/ stays empty
    overrides = ["experiment=lenet5_fashion_mnist", f"paths.data_dir={tmp_path / 'data'}",
                 "data.train_size=10000", "data.batch_size=64", "trainer.max_epochs=3"]  # fmt: skip
    summary = train(compose_train(overrides, tmp_path / "run"))
    assert summary["test"]["test/acc"] >= 0.8, summary["test"]  # over the 10,000 real test images
    assert not (tmp_path / "data").exists()


def last_training_accuracy(summary: dict) -> float:
    import csv

    rows = list(csv.DictReader((Path(summary["run_dir"]) / "metrics.csv").open()))
    return float([row["train/acc"] for row in rows if row.get("train/acc")][-1])


def test_too_few_real_images_overfit_and_a_weight_penalty_narrows_the_gap(tmp_path):
    """claim_overfitting_l2 at small scale: 100 real images."""
    if not (SYSTEM / "train-images-idx3-ubyte.gz").is_file():
        pytest.fail(f"no Fashion-MNIST in {SYSTEM}: apt-get install -y dataset-fashion-mnist (as root)")
    budget = ["experiment=claim_overfitting_l2", f"paths.data_dir={tmp_path / 'data'}", "data.train_size=100",
              "trainer.max_epochs=100", "data.val_size=1000"]  # fmt: skip
    plain = train(compose_train([*budget, "regularizer.lam=0.0"], tmp_path / "plain"))
    penalised = train(compose_train(budget, tmp_path / "l2"))
    plain_gap = last_training_accuracy(plain) - plain["test"]["test/acc"]
    penalised_gap = last_training_accuracy(penalised) - penalised["test"]["test/acc"]
    assert last_training_accuracy(plain) == 1.0 and plain["test"]["test/acc"] < 0.8  # it memorised them
    assert penalised_gap < plain_gap - 0.1, (plain_gap, penalised_gap)
