"""What a timm / torchvision / Hugging Face user types first: create_model returns an nn.Module
sized without a dataset, list_models filters, trained weights ship with the package (checked by
sha256, fetched into torch.hub's cache when not shipped), and zoo.load takes a preset, a run folder,
a PIL image and lists."""

import json
import shutil

import numpy as np
import pytest
import torch
from torch import nn

import zoo
from zoo import weights
from zoo.errors import ZooError


def test_create_model_gives_an_nn_module_with_the_asked_head():
    net = zoo.create_model("resnet18", num_classes=10)
    assert isinstance(net, nn.Module) and net.training
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    assert zoo.create_model("resnet20", num_classes=7, in_chans=1)(torch.randn(2, 1, 32, 32)).shape == (2, 7)
    mlp = zoo.create_model("mlp", num_features=4, num_classes=3, hidden=[8, 8])
    assert mlp(torch.randn(5, 4)).shape == (5, 3)
    assert sum(p.numel() for p in mlp.parameters()) == 4 * 8 + 8 + 8 * 8 + 8 + 8 * 3 + 3


@pytest.mark.parametrize("name", zoo.list_models())
def test_every_registered_model_builds_with_no_data_config(name):
    net = zoo.create_model(name)
    assert isinstance(net, nn.Module) and sum(p.numel() for p in net.parameters()) > 0


def test_a_preset_name_takes_its_datasets_sizes():
    net = zoo.create_model("resnet20_fashion_mnist")
    assert net(torch.randn(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: zoo.create_model("mlp", depth=3),
            r"mlp has no argument 'depth'; valid: .*hidden, activation",
        ),
        (lambda: zoo.create_model("mlp", in_chans=3), "in_chans is for image models"),
        (lambda: zoo.create_model("lstm_lm", num_classes=3), "vocab_size="),
        (lambda: zoo.create_model("resnet18", num_classes=0), "num_classes must be a positive integer"),
        (lambda: zoo.create_model("resnet9"), "unknown model 'resnet9'"),
        (lambda: zoo.create_model("lenet5", pretrained=True, activation="relu"), "fix the architecture"),
        (lambda: zoo.create_model("resnet56", pretrained=True), "no trained weights for 'resnet56'"),
        (lambda: zoo.create_model("mlp", pretrained="lenet5_digits"), "are of model 'lenet5', not 'mlp'"),
    ],
)
def test_a_wrong_argument_is_one_line_naming_the_valid_ones(call, message):
    with pytest.raises(ZooError, match=message):
        call()


def test_list_models_filters_like_timm():
    assert zoo.list_models("resnet1*") == ["resnet18"]
    assert set(zoo.list_models("resnet*")) == {
        "resnet18",
        "resnet20",
        "resnet32",
        "resnet34",
        "resnet50",
        "resnet56",
    }
    pretrained = zoo.list_models(pretrained=True)
    assert "lenet5_fashion_mnist" in pretrained and pretrained == sorted(weights.manifest())
    assert zoo.list_models("lenet5*", pretrained=True) == ["lenet5_digits", "lenet5_fashion_mnist"]


def test_every_shipped_weight_matches_its_manifest_and_reached_its_target():
    from zoo.registry import compose, plain

    entries = weights.manifest()
    assert entries, "no trained weights are shipped"
    for preset, entry in entries.items():
        expected = plain(compose("train", [f"experiment={preset}"]).expected)
        assert entry["metric"] == expected["metric"] and entry["value"] >= expected["value"]
        if (weights.WEIGHTS_DIR / preset).is_dir():
            weights.weights_folder(preset)  # sha256 of each file checked
            assert entry["bytes"] < 4_000_000


def test_the_shipped_fashion_mnist_lenet_classifies_real_test_images_with_no_training(tmp_path):
    from PIL import Image

    images, labels = fashion_mnist_test_images(200)
    predictor = zoo.load("lenet5_fashion_mnist")
    names = predictor.datamodule.class_names
    files = []
    for index, image in enumerate(images[:20]):
        files.append(tmp_path / f"{index}.png")
        Image.fromarray(image).save(files[-1])
    by_file = [result["class"] for result in predictor([str(path) for path in files])]
    by_pil = [result["class"] for result in predictor([Image.open(path) for path in files])]
    assert by_file == by_pil
    assert sum(name == names[label] for name, label in zip(by_file, labels[:20], strict=True)) >= 16
    probabilities = predictor.model(torch.tensor(images).float())  # raw pixels, 0..255
    accuracy = float((probabilities.argmax(1).numpy() == labels).mean())
    assert accuracy >= 0.85
    net = zoo.create_model("lenet5", pretrained="lenet5_fashion_mnist")
    prepared = predictor.datamodule.features(images[:5])
    torch.testing.assert_close(net.eval()(prepared).softmax(1), probabilities[:5])


def fashion_mnist_test_images(count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` real Fashion-MNIST test images (uint8, N×28×28) and labels, as Debian's
    dataset-fashion-mnist installs them (.ci/run installs it)."""
    import gzip

    from tests.data.test_real_fashion_mnist import SYSTEM

    with gzip.open(SYSTEM / "t10k-images-idx3-ubyte.gz") as file:
        images = np.frombuffer(file.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:count]
    with gzip.open(SYSTEM / "t10k-labels-idx1-ubyte.gz") as file:
        labels = np.frombuffer(file.read(), np.uint8, offset=8)[:count]
    return images.copy(), labels.astype(np.int64)


def test_pretrained_with_another_head_keeps_the_rest_of_the_trained_weights():
    trained = zoo.create_model("lenet5_fashion_mnist", pretrained=True)
    adapted = zoo.create_model("lenet5", pretrained="lenet5_fashion_mnist", num_classes=3)
    assert adapted(torch.randn(2, 1, 28, 28)).shape == (2, 3)
    same = [
        key for key, value in adapted.state_dict().items() if torch.equal(value, trained.state_dict()[key])
    ]
    assert len(same) == len(trained.state_dict()) - 2  # all but the last layer's weight and bias


def test_a_damaged_shipped_file_is_refused(tmp_path, monkeypatch):
    shutil.copytree(weights.WEIGHTS_DIR, tmp_path / "weights")
    monkeypatch.setattr(weights, "WEIGHTS_DIR", tmp_path / "weights")
    monkeypatch.setattr(weights, "MANIFEST", tmp_path / "weights" / "manifest.json")
    with (tmp_path / "weights" / "xor_mlp" / "model.safetensors").open("r+b") as file:
        file.seek(-4, 2)
        file.write(b"\0\0\0\0")
    with pytest.raises(ZooError, match="the weights of xor_mlp in .* are damaged: model.safetensors"):
        zoo.load("xor_mlp")


def published_elsewhere(tmp_path, monkeypatch, url):
    """xor_mlp's weights as if not shipped but published at `url`, with torch.hub's cache in tmp."""
    (tmp_path / "weights").mkdir()
    manifest = weights.manifest()
    (tmp_path / "weights" / "manifest.json").write_text(
        json.dumps({"xor_mlp": {**manifest["xor_mlp"], "url": url}})
    )
    monkeypatch.setattr(weights, "WEIGHTS_DIR", tmp_path / "weights")
    monkeypatch.setattr(weights, "MANIFEST", tmp_path / "weights" / "manifest.json")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("ZOO_OFFLINE", raising=False)


def test_weights_not_shipped_download_into_torch_hubs_cache_checked_by_sha256(tmp_path, monkeypatch):
    shipped = weights.WEIGHTS_DIR / "xor_mlp"
    published_elsewhere(tmp_path, monkeypatch, (tmp_path / "server").as_uri())
    shutil.copytree(shipped, tmp_path / "server")
    predictor = zoo.load("xor_mlp")
    cached = tmp_path / "torch" / "hub" / "zoo" / "xor_mlp"
    assert sorted(path.name for path in cached.iterdir()) == ["config.json", "model.safetensors"]
    assert [r["class"] for r in predictor([[-1, -1], [-1, 1], [1, -1], [1, 1]])] == ["-1", "+1", "+1", "-1"]
    shutil.rmtree(cached)
    (tmp_path / "server" / "model.safetensors").write_bytes(b"tampered")
    with pytest.raises(ZooError, match="does not match its sha256"):
        zoo.load("xor_mlp")
    assert not any(cached.iterdir())  # nothing half-downloaded is left to be used


def test_weights_that_cannot_be_fetched_say_how_to_get_them(tmp_path, monkeypatch):
    published_elsewhere(tmp_path, monkeypatch, (tmp_path / "nowhere").as_uri())
    with pytest.raises(
        ZooError, match=r"cannot download the weights of xor_mlp .* put model.safetensors, config"
    ):
        zoo.load("xor_mlp")
    (tmp_path / "unpublished").mkdir()
    published_elsewhere(tmp_path / "unpublished", monkeypatch, None)
    with pytest.raises(ZooError, match="not published yet: train them with `zoo train experiment=xor_mlp`"):
        zoo.load("xor_mlp")


def test_a_run_folder_loads_its_best_checkpoint(tmp_path, caplog):
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    assert weights.checkpoint_path(weights.WEIGHTS_DIR / "xor_mlp") == weights.WEIGHTS_DIR / "xor_mlp"
    with pytest.raises(ZooError, match="holds no checkpoint"):
        weights.checkpoint_path(run)
    (run / "checkpoints" / "last.ckpt").write_bytes(b"")
    assert weights.checkpoint_path(run) == run / "checkpoints" / "last.ckpt"
    (run / "checkpoints" / "best.ckpt").write_bytes(b"")
    with caplog.at_level("INFO", logger="zoo.weights"):
        assert weights.checkpoint_path(run) == run / "checkpoints" / "best.ckpt"
    assert "is a run folder: using its checkpoints/best.ckpt" in caplog.text


def test_the_predictor_is_a_callable_pipeline_with_its_module_and_device():
    predictor = zoo.load("xor_mlp")
    assert callable(predictor) and isinstance(predictor.model, nn.Module)
    assert predictor.to("cpu") is predictor and predictor.device.type == "cpu"
    rows = np.array([[-1.0, 1.0], [1.0, 1.0]])
    assert predictor(rows) == predictor.predict(rows)
    probabilities = predictor.model(torch.tensor(rows, dtype=torch.float32))
    assert probabilities.argmax(1).tolist() == [1, 0]  # classes -1, +1: XOR of ±1 inputs
    expected = [[dict(result["top"])[name] for name in ("-1", "+1")] for result in predictor(rows)]
    torch.testing.assert_close(probabilities, torch.tensor(expected))
