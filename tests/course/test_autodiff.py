"""The written-out reverse-mode autodiff against torch.autograd, on random expressions (float64,
to 1e-10), and the XOR network trained with it."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zoo.course.agreement import EXPRESSION_STEPS, expression_gap
from zoo.course.autodiff import Variable, gradients, topological_order, train_xor


@settings(max_examples=150, deadline=None)
@given(
    program=st.lists(st.sampled_from(sorted(EXPRESSION_STEPS)), min_size=1, max_size=8),
    reduce=st.sampled_from(["sum", "mean"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_gradients_equal_torch_autograd_on_random_expressions(program, reduce, seed):
    # the value and every input's gradient, each within 1e-10 of torch's (relative past magnitude 1)
    assert expression_gap(program, reduce, seed) < 1e-10, program


def test_the_comparison_sees_a_wrong_local_derivative(monkeypatch):
    """The check above can fail: tanh's derivative written as 1 - tanh (not 1 - tanh²) is caught."""
    program = ["tanh", "add"]
    assert expression_gap(program, "sum", 0) < 1e-12

    def wrong_tanh(self):
        out = np.tanh(self.value)
        return Variable(out, (self,), lambda g: (g * (1 - out),))

    monkeypatch.setattr(Variable, "tanh", wrong_tanh)
    assert expression_gap(program, "sum", 0) > 1e-3


def test_the_topological_order_puts_every_node_after_its_inputs_even_in_a_deep_graph():
    x = Variable(1.0, name="x")
    y = x
    for _ in range(5000):  # deeper than Python's recursion limit
        y = y * 1.0001 + x
    order = topological_order(y)
    position = {id(node): i for i, node in enumerate(order)}
    assert all(position[id(parent)] < position[id(node)] for node in order for parent in node.parents)
    (grad,) = gradients(y, [x])
    expected = sum(1.0001**k for k in range(5001))  # y = x (1.0001^5000 + Σ_{k<5000} 1.0001^k)
    assert grad == pytest.approx(expected, rel=1e-9)


def test_backward_needs_a_scalar():
    with pytest.raises(ValueError, match="needs a scalar output"):
        (Variable(np.ones(3)) * 2.0).backward()


def test_the_xor_network_trained_with_written_out_autodiff_classifies_all_four_points():
    losses, probability = train_xor(steps=3000, lr=0.5, hidden=2, seed=0)
    points = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    assert (probability(points)[:, 0] > 0.5).tolist() == [False, True, True, False]
    assert losses[-1] < 0.05 < losses[0]
