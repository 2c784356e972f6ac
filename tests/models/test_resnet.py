import pytest
import torch
import torch.nn.functional as F
import torchvision

from zoo.models.resnet import BasicBlock, Bottleneck, CifarResNet, ResNet


def count(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize(("depth", "published"), [(18, 11_689_512), (34, 21_797_672), (50, 25_557_032)])
def test_imagenet_resnets_have_the_published_parameter_counts(depth, published):
    net = ResNet(depth, num_classes=1000)
    assert count(net) == published == count(getattr(torchvision.models, f"resnet{depth}")())
    assert net(torch.randn(1, 3, 64, 64)).shape == (1, 1000)


@pytest.mark.parametrize(("depth", "millions"), [(20, 0.27), (32, 0.46), (56, 0.85)])
def test_cifar_resnets_have_the_papers_parameter_counts(depth, millions):
    net = CifarResNet(depth, num_classes=10)
    assert round(count(net) / 1e6, 2) == millions  # He et al. 2016, Table 6
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)
    blocks = [m for m in net.modules() if isinstance(m, BasicBlock)]
    assert len(blocks) == (depth - 2) // 2  # two 3×3 convolutions per block, plus stem and classifier


def test_resnet18_with_cifar_stem_keeps_32x32_resolution_in_the_first_stage():
    net = ResNet(18, num_classes=10, stem="cifar")
    assert net.stages[0](net.stem(torch.randn(1, 3, 32, 32))).shape == (1, 64, 32, 32)
    assert net(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_plain_network_has_no_shortcuts_and_residual_block_adds_its_input():
    plain = CifarResNet(20, residual=False)
    assert all(block.shortcut is None for block in plain.modules() if isinstance(block, BasicBlock))
    block = BasicBlock(8, 8).eval()
    x = torch.randn(2, 8, 6, 6)
    torch.testing.assert_close(block(x), F.relu(block.residual_branch(x) + x))  # H(x) = F(x) + x


def test_shortcut_kinds_when_shapes_change():
    projection = Bottleneck(64, 64, stride=2)  # ResNet-50: 1×1 projection with batch norm
    assert isinstance(projection.shortcut[0], torch.nn.Conv2d)
    assert projection(torch.randn(1, 64, 8, 8)).shape == (1, 256, 4, 4)
    padded = BasicBlock(16, 32, stride=2, shortcut="A")  # CIFAR: subsample and zero-pad, no parameters
    assert count(padded.shortcut) == 0
    out = padded.shortcut(torch.ones(1, 16, 8, 8))
    assert out.shape == (1, 32, 4, 4) and out[:, 16:].abs().sum() == 0


def test_depth_errors_name_the_valid_depths():
    with pytest.raises(ValueError, match="6n\\+2"):
        CifarResNet(21)
    with pytest.raises(ValueError, match="18"):
        ResNet(19)


@pytest.mark.slow  # measured: seconds of training (tests/conftest.py explains the tiers)
def test_residual_net_trains_where_the_plain_net_of_equal_depth_stalls():
    """He et al.'s claim at 56 layers, on the 8×8 digits: after the same short training the residual
    net's loss is lower, and the gradient reaching its first layer is far larger."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16
    x = (x - x.mean()) / x.std()
    y = torch.tensor(digits.target)
    results = {}
    for residual in (True, False):
        torch.manual_seed(0)
        net = CifarResNet(56, num_classes=10, in_channels=1, residual=residual)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9)
        batches = torch.Generator().manual_seed(0)
        losses, first_layer_grads = [], []
        for _ in range(60):
            index = torch.randint(0, len(x), (32,), generator=batches)
            loss = F.cross_entropy(net(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            losses.append(loss.item())
            first_layer_grads.append(net.stem[0].weight.grad.norm().item())
            optimizer.step()
        results[residual] = (sum(losses[-10:]) / 10, sum(first_layer_grads[-10:]) / 10)
    (residual_loss, residual_grad), (plain_loss, plain_grad) = results[True], results[False]
    assert residual_loss < 0.5 * plain_loss, results  # measured: 0.32 against 1.92
    assert residual_grad > 10 * plain_grad, results  # measured: 0.57 against 0.008


@pytest.mark.slow  # measured: seconds of training (tests/conftest.py explains the tiers)
def test_a_deeper_plain_net_trains_worse_than_a_shallower_one():
    """Degradation (He et al. Fig. 1) on the 8×8 digits: after the same steps plain-56's training
    loss stays well above plain-20's; claim_degradation_plain_nets shows it on Fashion-MNIST."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.images, dtype=torch.float32).unsqueeze(1) / 16
    x = (x - x.mean()) / x.std()
    y = torch.tensor(digits.target)
    final_loss = {}
    for depth in (20, 56):
        torch.manual_seed(0)
        net = CifarResNet(depth, num_classes=10, in_channels=1, residual=False)
        optimizer = torch.optim.SGD(net.parameters(), lr=0.02, momentum=0.9)
        batches = torch.Generator().manual_seed(0)
        losses = []
        for _ in range(60):
            index = torch.randint(0, len(x), (32,), generator=batches)
            loss = F.cross_entropy(net(x[index]), y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        final_loss[depth] = sum(losses[-10:]) / 10
    assert final_loss[20] < 0.6 * final_loss[56], final_loss  # measured: 0.70 against 2.14
