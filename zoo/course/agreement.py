"""How closely each written-out algorithm agrees with the library's own, measured: the numbers of
the course section of docs/RESULTS.md (scripts/reproduce.py) and what tests/course asserts.

- autodiff against torch.autograd on random expressions (float64), and the XOR network trained
  by both from the same initial weights;
- backprop by its equations against autograd, and gradient checking (central differences),
  on an MLP reading real images (scikit-learn's 8×8 digits);
- the course's optimizers against torch.optim, step for step on an ill-conditioned quadratic.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from zoo.course import optimizers as course_optimizers
from zoo.course.autodiff import Variable, gradients, train_xor, xor_data, xor_initial_weights
from zoo.course.backprop import gradients as written_gradients
from zoo.course.backprop import linear_layers
from zoo.course.gradcheck import gradient_check
from zoo.models.feedforward import MLP

ROWS, COLUMNS = 3, 4
# Each step applies one operation to the running expression e (ROWS × COLUMNS) and, for binary
# ones, an input: A and B (ROWS × COLUMNS), v (COLUMNS,: broadcast over rows), M (COLUMNS × COLUMNS).
# The same code runs on Variables and on torch tensors: both have these operators and methods.
EXPRESSION_STEPS: dict[str, Callable[[Any, dict[str, Any]], Any]] = {
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
SHAPES = {"A": (ROWS, COLUMNS), "B": (ROWS, COLUMNS), "v": (COLUMNS,), "M": (COLUMNS, COLUMNS)}


def evaluate_expression(program: list[str], inputs: dict[str, Any], reduce: str) -> Any:
    e = inputs["A"]
    for step in program:
        e = EXPRESSION_STEPS[step](e, inputs)
    return e.sum() if reduce == "sum" else e.mean()


def expression_gap(program: list[str], reduce: str, seed: int) -> float:
    """The largest difference between autodiff and torch.autograd over the expression's value and
    every input's gradient, each relative to max(1, |torch's value|), on inputs uniform in [-2, 2]."""
    rng = np.random.default_rng(seed)
    values = {name: rng.uniform(-2, 2, shape) for name, shape in SHAPES.items()}
    ours = {name: Variable(value, name=name) for name, value in values.items()}
    theirs = {name: torch.tensor(value, requires_grad=True) for name, value in values.items()}
    output = evaluate_expression(program, ours, reduce)
    expected = evaluate_expression(program, theirs, reduce)
    pairs = [(output.value, expected.detach().numpy())]
    their_grads = torch.autograd.grad(expected, list(theirs.values()), allow_unused=True)
    for name, got, want in zip(ours, gradients(output, ours.values()), their_grads, strict=True):
        pairs.append((got, np.zeros(SHAPES[name]) if want is None else want.numpy()))
    return max(float(np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want)))) for got, want in pairs)


def random_expressions_gap(count: int, seed: int = 0, max_length: int = 8) -> float:
    """The worst `expression_gap` over `count` random programs of 1..max_length steps."""
    rng = np.random.default_rng(seed)
    names = sorted(EXPRESSION_STEPS)
    worst = 0.0
    for _ in range(count):
        program = [names[i] for i in rng.integers(0, len(names), rng.integers(1, max_length + 1))]
        reduce = "sum" if rng.random() < 0.5 else "mean"
        worst = max(worst, expression_gap(program, reduce, int(rng.integers(0, 2**31 - 1))))
    return worst


def xor_with_torch(steps: int, lr: float, hidden: int, seed: int) -> list[float]:
    """The loss of every step of train_xor's network and descent, from the same initial weights,
    with every gradient from torch.autograd: the curve autodiff must reproduce."""
    x, y = (torch.tensor(a) for a in xor_data())
    w1, b1, w2, b2 = (torch.tensor(w, requires_grad=True) for w in xor_initial_weights(hidden, seed))
    losses = []
    for _ in range(steps):
        p = torch.sigmoid(torch.tanh(x @ w1 + b1) @ w2 + b2)
        loss = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
        grads = torch.autograd.grad(loss, [w1, b1, w2, b2])
        with torch.no_grad():
            for weight, grad in zip((w1, b1, w2, b2), grads, strict=True):
                weight -= lr * grad
        losses.append(loss.item())
    return losses


def xor_agreement(steps: int = 2000, lr: float = 0.5, hidden: int = 2, seed: int = 0) -> dict[str, Any]:
    """The XOR network trained by written-out autodiff and by torch.autograd from the same weights:
    both loss curves, the largest gap between them, and the points autodiff's net gets right."""
    losses, probability = train_xor(steps=steps, lr=lr, hidden=hidden, seed=seed)
    torch_losses = xor_with_torch(steps, lr, hidden, seed)
    x, y = xor_data()
    correct = int(((probability(x) > 0.5) == (y > 0.5)).sum())
    gap = max(abs(a - b) for a, b in zip(losses, torch_losses, strict=True))
    return {"losses": losses, "torch_losses": torch_losses, "largest_gap": gap, "correct": correct}


def digits_mlp(
    hidden: list[int], activation: str, examples: int, seed: int
) -> tuple[Any, Any, Any, list[torch.Tensor], Callable[[], list[torch.Tensor]]]:
    """An MLP in float64 on `examples` real 8×8 digit images scaled to [0, 1]: (net, images,
    labels, its layers' weights and biases, the written-out backprop's gradients of them in the
    same order for the mean cross-entropy)."""
    # scikit-learn loads only where its bundled datasets are read (predicting needs none of it)
    from sklearn.datasets import load_digits

    torch.manual_seed(seed)
    images, labels = load_digits(return_X_y=True)
    x = torch.tensor(images[:examples] / 16.0)
    y = torch.tensor(labels[:examples])
    net = MLP(64, 10, hidden=hidden, activation=activation).double()
    parameters = [p for layer in linear_layers(net) for p in (layer.weight, layer.bias)]

    def written() -> list[torch.Tensor]:
        return [g for pair in written_gradients(net, x, y, activation) for g in pair]

    return net, x, y, parameters, written


def backprop_gap(hidden: list[int], activation: str = "tanh", examples: int = 256, seed: int = 0) -> float:
    """The largest difference between the written-out backprop's gradients (zoo.course.backprop)
    and autograd's, relative to the largest gradient, for the mean cross-entropy on digit images."""
    net, x, y, parameters, written = digits_mlp(hidden, activation, examples, seed)
    automatic = torch.autograd.grad(torch.nn.functional.cross_entropy(net(x), y), parameters)
    scale = max(float(g.abs().max()) for g in automatic)
    return max(float((a - b).abs().max()) for a, b in zip(written(), automatic, strict=True)) / scale


def gradient_check_error(
    hidden: list[int],
    activation: str = "tanh",
    examples: int = 256,
    samples: int = 100,
    seed: int = 0,
    first_layer_off_by: float = 1.0,
) -> float:
    """gradient_check's worst relative error (central differences against the written-out
    backprop) over `samples` weights of the MLP on digit images; with `first_layer_off_by`
    (e.g. 1.3) the first layer's weight gradient is scaled by it: a wrong gradient to catch."""

    net, x, y, parameters, written = digits_mlp(hidden, activation, examples, seed)
    result = gradient_check(
        lambda: torch.nn.functional.cross_entropy(net(x), y),
        parameters,
        num_samples=samples,
        seed=seed,
        gradient=lambda: [g * (first_layer_off_by if i == 0 else 1.0) for i, g in enumerate(written())],
    )
    return result["worst_relative_error"]


# The course's optimizers and torch's, with the settings under which their rules are the same
OPTIMIZER_PAIRS: dict[str, tuple[str, dict[str, Any], str, dict[str, Any]]] = {
    "SGD": ("CourseSGD", {"lr": 0.005}, "SGD", {"lr": 0.005}),
    "SGD with momentum": ("CourseSGD", {"lr": 0.005, "momentum": 0.9}, "SGD", {"lr": 0.005, "momentum": 0.9}),
    "RMSprop": ("CourseRMSprop", {"lr": 0.01}, "RMSprop", {"lr": 0.01}),
    # torch places ε outside the square root; the course's default (inside) differs where v̂ ~ ε
    "Adam": ("CourseAdam", {"lr": 0.01, "eps_inside_sqrt": False}, "Adam", {"lr": 0.01}),
}


def optimizer_trajectory(optimizer: type, options: dict[str, Any], steps: int = 100) -> torch.Tensor:
    """The weights after each step on 0.5 wᵀAw + Σw with A = diag(1, 3, 10, 30, 100) (float64)."""
    torch.manual_seed(0)
    w = torch.nn.Parameter(torch.randn(5, dtype=torch.float64))
    a = torch.diag(torch.tensor([1.0, 3.0, 10.0, 30.0, 100.0], dtype=torch.float64))  # ill-conditioned
    instance = optimizer([w], **options)
    points = []
    for _ in range(steps):
        instance.zero_grad()
        (0.5 * w @ a @ w + w.sum()).backward()
        instance.step()
        points.append(w.detach().clone())
    return torch.stack(points)


def optimizer_gaps(steps: int = 100) -> dict[str, float]:
    """{optimizer: the largest difference between the course's and torch's weights over `steps`}."""
    gaps = {}
    for name, (ours, our_options, theirs, their_options) in OPTIMIZER_PAIRS.items():
        mine = optimizer_trajectory(getattr(course_optimizers, ours), our_options, steps)
        reference = optimizer_trajectory(getattr(torch.optim, theirs), their_options, steps)
        gaps[name] = float((mine - reference).abs().max())
    return gaps
