import numpy as np
import pytest
import torch

from tests.data.fixtures import write_mnist
from zoo.data.vision import VisionDataModule
from zoo.errors import ZooError


@pytest.mark.parametrize(
    ("dataset", "folder", "suffix"),
    [("mnist", "MNIST", ""), ("fashion_mnist", "FashionMNIST", ""), ("fashion_mnist", "FashionMNIST", ".gz")],
)
def test_idx_files_load_extracted_or_gzipped(tmp_path, dataset, folder, suffix):
    write_mnist(tmp_path, f"{folder}/raw", train=60, test=20, suffix=suffix)
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


def test_a_dataset_is_read_where_the_system_put_it_without_a_copy(tmp_path):
    system, data_dir = tmp_path / "usr" / "share" / "fashion-mnist", tmp_path / "data"
    write_mnist(system, ".", train=60, test=20, suffix=".gz")  # as Debian's package lays them out
    options = {
        "locations": [str(tmp_path / "nowhere"), str(system)],
        "system_package": "dataset-fashion-mnist",
    }
    dm = VisionDataModule("fashion_mnist", data_dir=str(data_dir), download=False, val_size=10, **options)
    dm.setup()
    assert {name: len(ds) for name, ds in dm.datasets.items()} == {"train": 50, "val": 10, "test": 20}
    assert dm.class_names[0] == "T-shirt/top" and not data_dir.exists()  # read in place
    # data/ comes first: a copy there wins over the system's
    write_mnist(data_dir, "FashionMNIST/raw", train=30, test=20)
    dm = VisionDataModule("fashion_mnist", data_dir=str(data_dir), download=False, val_size=10, **options)
    dm.setup()
    assert len(dm.datasets["train"]) == 20
    # nowhere: the message names every place and the package that installs the files
    options["locations"] = [str(tmp_path / "nowhere")]
    empty = VisionDataModule("fashion_mnist", data_dir=str(tmp_path / "empty"), download=False, **options)
    with pytest.raises(ZooError) as error:
        empty.prepare_data()
    message = str(error.value)
    assert (
        str(tmp_path / "empty" / "FashionMNIST" / "raw") in message and str(tmp_path / "nowhere") in message
    )
    assert "apt-get install -y dataset-fashion-mnist" in message and "\n" not in message


def test_a_truncated_idx_file_is_one_line(tmp_path):
    write_mnist(tmp_path, "MNIST/raw", train=60, test=20)
    labels = tmp_path / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:30])
    with pytest.raises(ZooError, match="corrupt or truncated"):
        VisionDataModule("mnist", data_dir=str(tmp_path), download=False, val_size=10).setup()


def test_a_training_slice_keeps_validation_and_test_whole(tmp_path):
    write_mnist(tmp_path, "MNIST/raw", train=60, test=20)
    dm = VisionDataModule("mnist", data_dir=str(tmp_path), download=False, val_size=10, train_size=25)
    dm.setup()
    assert {name: len(ds) for name, ds in dm.datasets.items()} == {"train": 25, "val": 10, "test": 20}


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
