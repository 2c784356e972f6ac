import pytest
import torch
import torch.nn.functional as F

from zoo.course.backprop import gradient_descent, gradients, loss_value
from zoo.models.feedforward import MLP


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("hidden", [[], [7], [6, 5, 4]])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_written_out_backprop_equals_autograd_in_float64(activation, hidden, loss):
    torch.manual_seed(0)
    net = MLP(4, 3, hidden=hidden, activation=activation).double()
    x = torch.randn(10, 4, dtype=torch.float64)
    target = (
        torch.randint(0, 3, (10,)) if loss == "cross_entropy" else torch.randn(10, 3, dtype=torch.float64)
    )
    written = gradients(net, x, target, activation, loss)
    s = net(x)
    value = F.cross_entropy(s, target) if loss == "cross_entropy" else F.mse_loss(s, target)
    value.backward()
    linears = [m for m in net.layers if isinstance(m, torch.nn.Linear)]
    for layer, (dw, db) in zip(linears, written, strict=True):
        torch.testing.assert_close(dw, layer.weight.grad, atol=1e-10, rtol=0)
        torch.testing.assert_close(db, layer.bias.grad, atol=1e-10, rtol=0)


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_the_binary_cost_s_output_delta_is_sigma_minus_y_and_its_gradients_are_autograd_s(activation):
    """The course's binary case: one sigmoid output and the cross-entropy cost; δ^(L) = (σ(s) - y)/N."""
    torch.manual_seed(0)
    net = MLP(4, 1, hidden=[5], activation=activation).double()
    x, y = torch.randn(12, 4, dtype=torch.float64), torch.randint(0, 2, (12,))
    written = gradients(net, x, y, activation, "binary_cross_entropy")
    p = torch.sigmoid(net(x))[:, 0]
    value = -(y * p.log() + (1 - y) * (1 - p).log()).mean()  # the cost as the course writes it
    torch.testing.assert_close(value, loss_value(net(x), y, "binary_cross_entropy"), rtol=1e-12, atol=0)
    value.backward()
    linears = [m for m in net.layers if isinstance(m, torch.nn.Linear)]
    for layer, (dw, db) in zip(linears, written, strict=True):
        torch.testing.assert_close(dw, layer.weight.grad, atol=1e-10, rtol=0)
        torch.testing.assert_close(db, layer.bias.grad, atol=1e-10, rtol=0)


@pytest.mark.slow  # measured: seconds of training (tests/conftest.py explains the tiers)
def test_per_example_sgd_gets_further_than_full_batch_descent_in_the_same_epochs():
    from sklearn.datasets import make_moons

    x, y = make_moons(200, noise=0.1, random_state=0)
    x, y = torch.tensor(x), torch.tensor(y)
    final = {}
    for batch_size, lr in ((1, 0.05), (16, 0.3), (None, 1.0)):  # per-example, mini-batch, full batch
        torch.manual_seed(0)
        net = MLP(2, 2, hidden=[16], activation="tanh").double()
        final[batch_size] = gradient_descent(net, x, y, "tanh", lr=lr, epochs=30, batch_size=batch_size)[-1]
    assert all(loss < 0.3 for loss in final.values()), final  # from ln 2 ≈ 0.69 at the start
    assert final[1] < final[16] < final[None], final  # N, N/16 and 1 updates per epoch
