import pytest
import torch
from torch import nn

from zoo.errors import ZooError
from zoo.models.feedforward import MLP
from zoo.training.regularizers import L2Penalty, WeightElimination, build_regularizer


def test_l2_penalty_value_and_zero_gradient_for_every_bias_and_norm_parameter():
    torch.manual_seed(0)
    net = MLP(5, 3, hidden=[7, 4], batch_norm=True)
    penalty = L2Penalty(lam=0.3)(net, num_examples=50)
    weights = [m.weight for m in net.modules() if isinstance(m, nn.Linear)]
    expected = 0.3 / 50 * sum((w**2).sum() for w in weights)
    torch.testing.assert_close(penalty, expected)
    penalty.backward()
    for name, parameter in net.named_parameters():
        if parameter.ndim == 1:  # biases and batch-norm γ, β
            assert parameter.grad is None or torch.all(parameter.grad == 0), name
        else:
            torch.testing.assert_close(parameter.grad, 2 * 0.3 / 50 * parameter.detach())


def test_weight_elimination_is_l2_like_for_small_and_constant_for_large_weights():
    lam, beta = 0.5, 1.0
    regularizer = WeightElimination(lam=lam, beta=beta)
    layer = nn.Linear(1, 1)
    for w, expected in [(1e-3, lam * 1e-6 / beta**2), (1e3, lam)]:
        with torch.no_grad():
            layer.weight.fill_(w)
        value = regularizer(layer, num_examples=1).item()
        assert value == pytest.approx(expected, rel=1e-5)
    with torch.no_grad():
        layer.weight.fill_(10.0)
    assert regularizer(layer, 1).item() == pytest.approx(lam * 100 / 101)  # → λ from below


def test_build_regularizer_from_config_and_clear_errors():
    assert build_regularizer({}) is None
    assert isinstance(build_regularizer({"name": "l2", "lam": 0.1}), L2Penalty)
    with pytest.raises(ZooError, match="lasso"):
        build_regularizer({"name": "lasso"})
    with pytest.raises(ZooError, match="lam"):
        build_regularizer({"name": "l2", "lam": -1})


def test_l2_penalty_in_training_shrinks_weights(train_run):
    plain = train_run(["data=breast_cancer", "trainer.max_epochs=5"])
    penalised = train_run(
        ["data=breast_cancer", "trainer.max_epochs=5", "regularizer=l2", "regularizer.lam=50"]
    )

    def weight_norm(summary):
        state = torch.load(summary["last_checkpoint"], weights_only=True)["state_dict"]
        return sum((v**2).sum() for k, v in state.items() if k.endswith("weight") and v.ndim == 2)

    assert weight_norm(penalised) < 0.8 * weight_norm(plain)
