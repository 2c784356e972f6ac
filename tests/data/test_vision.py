import numpy as np
import pytest
import torch

from tests.data.fixtures import write_mnist
from zoo.data.vision import VisionDataModule
from zoo.errors import ZooError


@pytest.mark.parametrize(("dataset", "folder"), [("mnist", "MNIST"), ("fashion_mnist", "FashionMNIST")])
def test_idx_fixture_files_load_through_torchvision(tmp_path, dataset, folder):
    write_mnist(tmp_path, folder, train=60, test=20)
    dm = VisionDataModule(dataset, data_dir=str(tmp_path), download=False, val_size=10, batch_size=8)
    dm.prepare_data()
    dm.setup()
    sizes = {name: len(ds) for name, ds in dm.datasets.items()}
    assert sizes == {"train": 50, "val": 10, "test": 20}
    x, y = dm.on_after_batch_transfer(next(iter(dm.test_dataloader())), 0)
    assert x.shape == (8, 1, 28, 28) and x.dtype == torch.float32
    assert y.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    # the normalisation is the dataset's: pixel p becomes (p/255 - mean)/std
    raw = np.full((1, 784), 255.0)
    torch.testing.assert_close(dm.features(raw), torch.full((1, 1, 28, 28), (1 - dm.mean[0]) / dm.std[0]))


def test_missing_dataset_offline_is_one_clear_message(tmp_path):
    dm = VisionDataModule("mnist", data_dir=str(tmp_path), download=True)  # ZOO_OFFLINE=1 in tests
    with pytest.raises(ZooError) as error:
        dm.prepare_data()
    message = str(error.value)
    assert "MNIST" in message and str(tmp_path) in message and "train-images-idx3-ubyte.gz" in message
    assert "\n" not in message


def test_split_is_deterministic_from_the_seed(tmp_path):
    write_mnist(tmp_path, train=60, test=20)

    def val_labels(seed):
        dm = VisionDataModule("mnist", data_dir=str(tmp_path), download=False, val_size=10, seed=seed)
        dm.setup()
        return dm.splits["val"][1].tolist()

    assert val_labels(1) == val_labels(1)
    assert val_labels(1) != val_labels(2)


def test_mlp_trains_on_mnist_fixture_through_cli_config(train_run, tmp_path):
    write_mnist(tmp_path / "data", train=200, test=50)
    summary = train_run(
        [
            "data=mnist",
            f"paths.data_dir={tmp_path / 'data'}",
            "data.val_size=50",
            "data.batch_size=16",
            "trainer.max_epochs=8",
        ]
    )
    assert summary["test"]["test/acc"] >= 0.5  # the bar position encodes the class
