import pytest
import torch

from zoo.models import build_net
from zoo.models.feedforward import MLP, Perceptron

PM1 = torch.tensor([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])


def test_perceptron_with_course_weights_computes_and():
    # (w0, w1, w2) = (-3, 2, 2): sign(-3 + 2·x1 + 2·x2) is +1 only when x1 = x2 = +1.
    unit = Perceptron(2, activation="sign")
    with torch.no_grad():
        unit.linear.weight.copy_(torch.tensor([[2.0, 2.0]]))
        unit.linear.bias.fill_(-3.0)
    assert unit(PM1).flatten().tolist() == [-1.0, -1.0, -1.0, 1.0]


@pytest.mark.parametrize("activation", ["sign", "sigmoid", "tanh", "relu", "softplus", "identity"])
def test_perceptron_activations(activation):
    unit = Perceptron(2, activation=activation)
    s = unit.signal(PM1)
    expected = {
        "sign": torch.where(s >= 0, 1.0, -1.0),
        "sigmoid": torch.sigmoid(s),
        "tanh": torch.tanh(s),
        "relu": torch.relu(s),
        "softplus": torch.nn.functional.softplus(s),
        "identity": s,
    }[activation]
    torch.testing.assert_close(unit(PM1), expected)


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match="swish"):
        Perceptron(2, activation="swish")


def test_mlp_shapes_depth_and_options():
    net = MLP(64, 10, hidden=[32, 16], activation="tanh", dropout=0.2, batch_norm=True)
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(64, 32), (32, 16), (16, 10)]
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in net.modules()) == 2
    assert sum(isinstance(m, torch.nn.Dropout) for m in net.modules()) == 2
    assert net(torch.randn(5, 8, 8)).shape == (5, 10)  # inputs are flattened
    assert MLP(3, 2, hidden=[]).layers[0].in_features == 3  # no hidden layer: a linear model


def test_initialisation_is_random_and_never_zero():
    torch.manual_seed(0)
    first, second = MLP(10, 3, hidden=[8]), MLP(10, 3, hidden=[8])
    for layer in first.modules():
        if isinstance(layer, torch.nn.Linear):
            assert (layer.weight != 0).all() and (layer.bias != 0).all()
    assert not torch.equal(first.layers[0].weight, second.layers[0].weight)
    hidden = first.layers[0].weight
    assert not torch.allclose(hidden[0], hidden[1])  # hidden units start different (symmetry broken)


def test_build_net_accepts_only_zoo_models():
    net = build_net({"_target_": "zoo.models.feedforward.MLP", "in_features": 4, "out_features": 2})
    assert isinstance(net, MLP)
    for target in ("os.system", "builtins.eval", "torch.nn.Linear", "zoo.models.nothing.Here"):
        with pytest.raises(ValueError):
            build_net({"_target_": target})


def test_xor_built_by_hand_from_perceptrons_as_the_course_constructs_it():
    """XOR(x1, x2) = OR(AND(x1, ¬x2), AND(¬x1, x2)) on the ±1 encoding: two sign units, each an AND
    with one input negated, feed an OR unit. The weights are set, not learnt."""
    and_not = Perceptron(2, out_features=2, activation="sign")  # h1 = x1 ∧ ¬x2, h2 = ¬x1 ∧ x2
    either = Perceptron(2, activation="sign")  # OR: sign(1.5 + h1 + h2)
    with torch.no_grad():
        and_not.linear.weight.copy_(torch.tensor([[1.0, -1.0], [-1.0, 1.0]]))
        and_not.linear.bias.fill_(-1.5)
        either.linear.weight.copy_(torch.tensor([[1.0, 1.0]]))
        either.linear.bias.fill_(1.5)
    hidden = and_not(PM1)
    assert hidden.tolist() == [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [-1.0, -1.0]]
    assert either(hidden).flatten().tolist() == [-1.0, 1.0, 1.0, -1.0]  # XOR: +1 when they differ


@pytest.mark.slow  # measured: seconds of training (tests/conftest.py explains the tiers)
def test_a_deep_network_without_nonlinearities_is_one_linear_map_and_cannot_learn_xor():
    torch.manual_seed(0)
    deep = MLP(2, 1, hidden=[8, 8, 8], activation="identity").double()
    linears = [m for m in deep.layers if isinstance(m, torch.nn.Linear)]
    weight, bias = torch.eye(2, dtype=torch.float64), torch.zeros(2, dtype=torch.float64)
    for layer in linears:  # W_L (... (W_1 x + b_1) ...) + b_L = (W_L ⋯ W_1) x + b
        weight, bias = layer.weight.double() @ weight, layer.weight.double() @ bias + layer.bias.double()
    x = torch.randn(100, 2, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(deep(x), x @ weight.T + bias, rtol=1e-12, atol=1e-12)
    # trained as hard as we like, a linear map of x cannot separate XOR: at best 3 of 4 points
    xor = (PM1[:, 0] != PM1[:, 1]).double()
    optimizer = torch.optim.Adam(deep.parameters(), lr=0.01)
    for _ in range(2000):
        optimizer.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(deep(PM1.double())[:, 0], xor)
        loss.backward()
        optimizer.step()
    correct = ((deep(PM1.double())[:, 0] > 0).double() == xor).sum().item()
    assert correct <= 3 and loss.item() > 0.6  # the best linear fit of XOR: p = 1/2 everywhere
