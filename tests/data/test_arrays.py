import numpy as np
import pytest
import torch

from zoo.data.tabular import SklearnDataModule
from zoo.data.toy import ToyDataModule, boolean, spirals
from zoo.errors import ZooError


@pytest.mark.parametrize(
    ("function", "outputs"), [("and", [-1, -1, -1, 1]), ("or", [-1, 1, 1, 1]), ("xor", [-1, 1, 1, -1])]
)
def test_boolean_truth_tables_in_plus_minus_one_encoding(function, outputs):
    x, y = boolean(function)
    assert x.tolist() == [[-1, -1], [-1, 1], [1, -1], [1, 1]]
    assert y.tolist() == outputs


def test_boolean_module_repeats_the_table_for_training_and_keeps_it_raw():
    dm = ToyDataModule("xor", repeat=8, batch_size=4)
    dm.setup()
    assert len(dm.datasets["train"]) == 32 and len(dm.datasets["test"]) == 4
    assert dm.datasets["test"].tensors[0].abs().eq(1).all()  # no standardisation of ±1 inputs
    assert dm.class_names == ["-1", "+1"]


@pytest.mark.parametrize("dataset", ["circles", "moons", "spirals"])
def test_toy_splits_are_deterministic_from_the_seed_and_disjoint(dataset):
    def test_set(seed):
        dm = ToyDataModule(dataset, num_samples=400, seed=seed)
        dm.setup()
        return dm

    a, b, c = test_set(3), test_set(3), test_set(4)
    assert torch.equal(a.datasets["test"].tensors[0], b.datasets["test"].tensors[0])
    assert not torch.equal(a.datasets["test"].tensors[0], c.datasets["test"].tensors[0])
    sizes = [len(a.datasets[name]) for name in ("train", "val", "test")]
    assert sizes == [280, 60, 60]


def test_standardisation_uses_training_statistics_and_survives_state_dict():
    dm = SklearnDataModule("breast_cancer")
    dm.setup()
    train_x = dm.datasets["train"].tensors[0]
    torch.testing.assert_close(train_x.mean(0), torch.zeros(30), atol=1e-4, rtol=0)
    restored = SklearnDataModule("breast_cancer")
    restored.load_state_dict(dm.state_dict())
    raw = np.ones((2, 30))
    torch.testing.assert_close(restored.features(raw), dm.features(raw))
    assert restored.class_names == ["malignant", "benign"]
    with pytest.raises(ZooError, match="30 features"):
        restored.features(np.ones((1, 29)))


def test_config_facts_are_checked_against_the_data():
    with pytest.raises(ZooError, match="num_features"):
        SklearnDataModule("digits", num_features=10).setup()


def test_spirals_have_two_balanced_arms():
    x, y = spirals(200, noise=0.0, seed=0)
    assert x.shape == (200, 2) and np.bincount(y).tolist() == [100, 100]
    np.testing.assert_allclose(x[y == 1], -x[y == 0], atol=1e-6)  # arm 1 is arm 0 turned by π


def test_batch_size_must_be_positive():
    with pytest.raises(ValueError, match="batch_size"):
        ToyDataModule("xor", batch_size=0)


def test_train_size_keeps_the_first_training_examples_and_standardises_on_them():
    full, few = SklearnDataModule("digits"), SklearnDataModule("digits", train_size=200)
    full.setup(), few.setup()
    assert len(few.datasets["train"]) == 200 and len(few.datasets["test"]) == len(full.datasets["test"])
    raw = full.load_splits()["train"][0][:200]
    assert few.mean == pytest.approx(raw.mean(axis=0).tolist())  # the statistics of the 200 only
    with pytest.raises(ZooError, match="data.train_size=5000 is more than the 1257 examples"):
        SklearnDataModule("digits", train_size=5000).setup()
    with pytest.raises(ValueError, match="data.train_size must be a positive number"):
        SklearnDataModule("digits", train_size=0)
