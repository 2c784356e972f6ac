"""The image pipeline inside a real training run: on-device batches, and CIFAR files through workers."""

from tests.data.fixtures import write_cifar10, write_image_folder


def test_training_with_on_device_batches_and_batched_augmentation(train_run):
    summary = train_run(
        [
            "experiment=lenet5_digits",
            "data.on_device=true",
            "data.augment=crop_flip",
            "data.padding=2",
            "trainer.max_epochs=3",
        ]
    )
    assert summary["test"]["test/acc"] > 0.8


def test_resnet20_trains_on_cifar10_files_with_loader_workers(train_run, tmp_path):
    write_cifar10(tmp_path / "data", per_batch=20, test=20)
    summary = train_run(
        [
            "model=resnet20",
            "data=cifar10",
            f"paths.data_dir={tmp_path / 'data'}",
            "data.verify_checksums=false",
            "data.val_size=20",
            "data.batch_size=16",
            "data.num_workers=2",
            "trainer.max_epochs=1",
        ]
    )
    assert summary["global_step"] == 5  # 80 training images in batches of 16
    assert 0 <= summary["test"]["test/acc"] <= 1


def test_image_folder_through_the_config(train_run, tmp_path):
    write_image_folder(tmp_path / "shapes", {"red": 12, "green": 12, "blue": 12}, size=(20, 20))
    summary = train_run(
        [
            "model=lenet5",
            "data=image_folder",
            f"data.root={tmp_path / 'shapes'}",
            "data.num_classes=3",
            "data.augment=none",
            "trainer.max_epochs=8",
            "optimizer.lr=0.01",
        ]
    )
    assert summary["test"]["test/acc"] == 1.0  # the dominant colour channel is the class
