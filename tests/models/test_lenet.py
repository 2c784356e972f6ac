import pytest
import torch

from zoo.models.lenet import LeNet5


def test_lenet5_layers_follow_the_paper():
    net = LeNet5(num_classes=10)
    convs = [m for m in net.modules() if isinstance(m, torch.nn.Conv2d)]
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [
        (1, 6, (5, 5)),
        (6, 16, (5, 5)),
    ]
    assert [(m.in_features, m.out_features) for m in linears] == [(400, 120), (120, 84), (84, 10)]
    assert sum(p.numel() for p in net.parameters()) == 61_706


@pytest.mark.parametrize(("size", "channels"), [(32, 1), (28, 1), (32, 3)])
def test_lenet5_accepts_mnist_and_cifar_sizes(size, channels):
    net = LeNet5(num_classes=7, in_channels=channels, image_size=size)
    assert net(torch.randn(2, channels, size, size)).shape == (2, 7)


@pytest.mark.parametrize(("pool", "layer"), [("max", torch.nn.MaxPool2d), ("avg", torch.nn.AvgPool2d)])
def test_pooling_and_activation_from_config(pool, layer):
    net = LeNet5(pool=pool, activation="relu")
    assert sum(isinstance(m, layer) for m in net.modules()) == 2
    assert sum(isinstance(m, torch.nn.ReLU) for m in net.modules()) == 4
    with pytest.raises(ValueError, match="pool"):
        LeNet5(pool="median")
