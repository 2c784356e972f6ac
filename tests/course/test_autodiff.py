"""The written-out reverse-mode autodiff against torch.autograd, on random expressions (float64,
to 1e-10), and the XOR network trained with it."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from zoo.course.autodiff import Variable, gradients, topological_order, train_xor

ROWS, COLUMNS = 3, 4
# Each step applies one operation to the running expression e (ROWS × COLUMNS) and, for binary
# ones, an input: A and B (ROWS × COLUMNS), v (COLUMNS,: broadcast over rows), M (COLUMNS × COLUMNS).
STEPS = {
    "add": lambda e, i: e + i["B"],
    "sub": lambda e, i: i["A"] - e,
    "mul": lambda e, i: e * i["B"],
    "div": lambda e, i: e / (i["B"] * i["B"] + 1.0),
    "broadcast_add": lambda e, i: e + i["v"],
    "broadcast_mul": lambda e, i: i["v"] * e,
    "matmul": lambda e, i: e @ i["M"],
    "tanh": lambda e, i: e.tanh(),
    "sigmoid": lambda e, i: e.sigmoid(),
    "relu": lambda e, i: e.relu(),
    "exp_of_tanh": lambda e, i: e.tanh().exp(),
    "log_of_square": lambda e, i: (e * e + 1.0).log(),
    "square": lambda e, i: e**2,
    "reuse": lambda e, i: e * e.tanh() + e,  # one node used twice: gradients must add up
}


def evaluate(program: list[str], inputs: dict, reduce: str):
    e = inputs["A"]
    for step in program:
        e = STEPS[step](e, inputs)
    return e.sum() if reduce == "sum" else e.mean()


@settings(max_examples=150, deadline=None)
@given(
    program=st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=8),
    reduce=st.sampled_from(["sum", "mean"]),
    seed=st.integers(0, 2**31 - 1),
)
def test_gradients_equal_torch_autograd_on_random_expressions(program, reduce, seed):
    rng = np.random.default_rng(seed)
    shapes = {"A": (ROWS, COLUMNS), "B": (ROWS, COLUMNS), "v": (COLUMNS,), "M": (COLUMNS, COLUMNS)}
    values = {name: rng.uniform(-2, 2, shape) for name, shape in shapes.items()}
    ours = {name: Variable(value, name=name) for name, value in values.items()}
    theirs = {
        name: torch.tensor(value, dtype=torch.float64, requires_grad=True) for name, value in values.items()
    }
    output = evaluate(program, ours, reduce)
    expected = evaluate(program, theirs, reduce)  # the same operations on torch tensors
    np.testing.assert_allclose(output.value, expected.item(), rtol=1e-10, atol=1e-10)
    grads = gradients(output, ours.values())
    expected_grads = torch.autograd.grad(expected, list(theirs.values()), allow_unused=True)
    for name, got, want in zip(ours, grads, expected_grads, strict=True):
        want = np.zeros(shapes[name]) if want is None else want.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10, err_msg=f"∂/∂{name} of {program}")


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
