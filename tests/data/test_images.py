import pickle

import numpy as np
import pytest
import torch

from tests.data.fixtures import write_cifar10, write_image_folder
from zoo.data.images import random_crop_flip, read_image
from zoo.data.vision import DigitsImageDataModule, ImageFolderDataModule, VisionDataModule
from zoo.errors import ZooError


def test_cifar10_pickled_batches_load_through_torchvision(tmp_path):
    names = write_cifar10(tmp_path, per_batch=10, test=20)
    dm = VisionDataModule(
        "cifar10", data_dir=str(tmp_path), download=False, val_size=10, verify_checksums=False, batch_size=4
    )
    dm.setup()
    assert {name: len(ds) for name, ds in dm.datasets.items()} == {"train": 40, "val": 10, "test": 20}
    assert dm.class_names == names and dm.image_shape == [3, 32, 32]
    # the first test image, as stored: row of R, G, B planes
    with (tmp_path / "cifar-10-batches-py" / "test_batch").open("rb") as file:
        stored = pickle.load(file, encoding="latin1")["data"][0].reshape(3, 32, 32)
    assert torch.equal(dm.splits["test"][0][0], torch.from_numpy(stored))
    x, y = dm.on_after_batch_transfer(next(iter(dm.test_dataloader())), 0)
    assert x.shape == (4, 3, 32, 32) and x.dtype == torch.float32 and y.tolist() == [0, 1, 2, 3]


def test_cifar_files_that_are_not_the_official_ones_are_refused_when_verifying(tmp_path):
    write_cifar10(tmp_path)
    dm = VisionDataModule("cifar10", data_dir=str(tmp_path), download=False)
    with pytest.raises(ZooError, match="CIFAR10 is not in"):
        dm.setup()


def test_missing_cifar_offline_names_the_archive(tmp_path):
    with pytest.raises(ZooError) as error:
        VisionDataModule("cifar100", data_dir=str(tmp_path), download=True).prepare_data()
    assert "cifar-100-python.tar.gz" in str(error.value) and "\n" not in str(error.value)


def test_image_folder_tree_loads_resized_with_class_names(tmp_path):
    write_image_folder(tmp_path / "pets", {"cat": 10, "dog": 10, "fox": 10})
    dm = ImageFolderDataModule(root=str(tmp_path / "pets"), image_size=16, batch_size=8)
    dm.setup()
    assert dm.class_names == ["cat", "dog", "fox"] and dm.image_shape == [3, 16, 16]
    assert sum(len(ds) for ds in dm.datasets.values()) == 30
    with pytest.raises(ZooError, match="not found"):
        ImageFolderDataModule(root=str(tmp_path / "nothing")).setup()


def test_digits_images_are_upscaled_uint8_and_normalised_from_training_statistics():
    dm = DigitsImageDataModule(image_size=32, batch_size=16)
    dm.setup()
    images = dm.splits["train"][0]
    assert images.dtype == torch.uint8 and images.shape[1:] == (1, 32, 32) and images.max() > 200
    x = dm.normalize(images)
    assert abs(x.mean().item()) < 1e-3 and abs(x.std().item() - 1) < 1e-2
    assert dm.features(np.zeros((2, 32, 32))).shape == (2, 1, 32, 32)
    for wrong in (np.zeros((2, 8, 8)), np.zeros((2, 3, 32, 32))):  # a user's array of another size
        with pytest.raises(ZooError, match="expected images of 1×32×32 pixels"):
            dm.features(wrong)


@pytest.mark.parametrize("augment", ["none", "crop_flip"])
def test_on_device_batches_match_the_dataloader_without_augmentation(augment):
    loaders = {}
    for on_device in (False, True):  # on this CPU machine "the device" is the CPU itself
        dm = DigitsImageDataModule(batch_size=32, on_device=on_device, augment=augment, seed=7)
        dm.setup()
        loaders[on_device] = dm.train_dataloader()
    for epoch in range(2):
        batches = {key: list(loader) for key, loader in loaders.items()}
        assert len(batches[False]) == len(batches[True]) == len(loaders[True])
        for (xa, ya), (xb, yb) in zip(batches[False], batches[True], strict=True):
            assert torch.equal(ya, yb), epoch  # the same order from the seed, every epoch
            if augment == "none":
                assert torch.equal(xa, xb)


def test_batched_crop_and_flip_moves_pixels_as_a_crop_of_the_padded_image():
    images = torch.arange(2 * 1 * 6 * 6, dtype=torch.uint8).reshape(2, 1, 6, 6)
    generator = torch.Generator().manual_seed(0)
    out = random_crop_flip(images, padding=2, generator=generator)
    assert out.shape == images.shape and out.dtype == torch.uint8
    for image, crop in zip(images, out, strict=True):
        padded = torch.nn.functional.pad(image, (2, 2, 2, 2))
        windows = [padded[:, r : r + 6, c : c + 6] for r in range(5) for c in range(5)]
        assert any(torch.equal(crop, w) or torch.equal(crop, w.flip(-1)) for w in windows)


def test_read_image_converts_any_size_and_mode(tmp_path):
    from PIL import Image

    Image.fromarray(np.full((50, 70, 3), 255, dtype=np.uint8)).save(tmp_path / "wide.png")
    Image.fromarray(np.full((9, 9), 128, dtype=np.uint8)).save(tmp_path / "grey.jpg")
    assert read_image(tmp_path / "wide.png", 1, (28, 28)).shape == (1, 28, 28)
    assert read_image(tmp_path / "grey.jpg", 3, (32, 32)).shape == (3, 32, 32)
    (tmp_path / "fake.png").write_text("not an image")
    with pytest.raises(ZooError, match="not an image"):
        read_image(tmp_path / "fake.png", 3, (32, 32))


def test_one_colour_image_as_an_array_is_one_input_with_one_name():
    from zoo.data.inputs import model_inputs
    from zoo.data.synthetic import SyntheticImages

    data = SyntheticImages(input_shape=[3, 8, 8], num_examples=20, batch_size=4)
    data.setup()
    ((x, names),) = list(model_inputs(data, np.zeros((3, 8, 8))))  # C×H×W: three rows of an array
    assert x.shape == (1, 3, 8, 8) and names == ["0"]
    ((x, names),) = list(model_inputs(data, np.zeros((5, 3, 8, 8))))
    assert x.shape == (5, 3, 8, 8) and names == ["0", "1", "2", "3", "4"]
