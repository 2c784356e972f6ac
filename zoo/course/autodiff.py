"""Reverse-mode automatic differentiation, written out: backpropagation on a computational graph.

Every operation on `Variable`s makes a new node that remembers its inputs and how to send a
gradient back to them (its local derivative). `backward()` on a scalar output visits the graph in
reverse topological order (every node after all the nodes that use it) and accumulates

    ∂out/∂x = Σ over the nodes y that use x of  ∂out/∂y · ∂y/∂x      (the chain rule)

so each node's gradient is complete before it is passed on. Values are NumPy float64 arrays; an
operation that broadcast an input sums the gradient back to the input's shape. This is what
torch.autograd does (tests/course/test_autodiff.py checks them against each other on random
expressions), without its speed; `train_xor` trains the course's 2-2-1 XOR network with it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

ArrayLike = float | int | list | np.ndarray


class Variable:
    """A value in the graph and, after `backward()`, the gradient of the output with respect to it."""

    __array_ufunc__ = None  # `array * variable` calls Variable.__rmul__, not NumPy's element loop

    def __init__(
        self,
        value: ArrayLike,
        parents: tuple[Variable, ...] = (),
        backward: Callable[[np.ndarray], tuple[np.ndarray, ...]] | None = None,
        name: str = "",
    ):
        self.value = np.asarray(value, dtype=np.float64)
        self.parents = parents
        self.local_backward = backward  # output gradient -> one gradient per parent
        self.grad = np.zeros_like(self.value)
        self.name = name

    def __repr__(self) -> str:
        return f"Variable({self.name or 'value'}, shape={self.value.shape})"

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    # --- operations: each returns a node with its local derivatives -----------------------------
    def __add__(self, other: ArrayLike | Variable) -> Variable:
        other = lift(other)
        return Variable(self.value + other.value, (self, other), lambda g: (g, g))

    def __mul__(self, other: ArrayLike | Variable) -> Variable:
        other = lift(other)
        a, b = self.value, other.value
        return Variable(a * b, (self, other), lambda g: (g * b, g * a))

    def __neg__(self) -> Variable:
        return Variable(-self.value, (self,), lambda g: (-g,))

    def __sub__(self, other: ArrayLike | Variable) -> Variable:
        return self + (-lift(other))

    def __pow__(self, exponent: float) -> Variable:
        a = self.value
        return Variable(a**exponent, (self,), lambda g: (g * exponent * a ** (exponent - 1),))

    def __truediv__(self, other: ArrayLike | Variable) -> Variable:
        return self * lift(other) ** -1.0

    __radd__ = __add__
    __rmul__ = __mul__

    def __rsub__(self, other: ArrayLike) -> Variable:
        return lift(other) - self

    def __rtruediv__(self, other: ArrayLike) -> Variable:
        return lift(other) / self

    def __matmul__(self, other: Variable) -> Variable:
        """(n, k) @ (k, m): ∂/∂A = G Bᵀ, ∂/∂B = Aᵀ G."""
        a, b = self.value, other.value
        return Variable(a @ b, (self, other), lambda g: (g @ b.T, a.T @ g))

    def sum(self, axis: int | None = None) -> Variable:
        shape = self.value.shape

        def backward(g: np.ndarray) -> tuple[np.ndarray]:
            g = g if axis is None else np.expand_dims(g, axis)
            return (np.broadcast_to(g, shape).copy(),)

        return Variable(self.value.sum(axis=axis), (self,), backward)

    def mean(self) -> Variable:
        return self.sum() * (1.0 / self.value.size)

    def exp(self) -> Variable:
        out = np.exp(self.value)
        return Variable(out, (self,), lambda g: (g * out,))

    def log(self) -> Variable:
        a = self.value
        return Variable(np.log(a), (self,), lambda g: (g / a,))

    def tanh(self) -> Variable:
        out = np.tanh(self.value)
        return Variable(out, (self,), lambda g: (g * (1 - out**2),))

    def sigmoid(self) -> Variable:
        out = 1 / (1 + np.exp(-self.value))
        return Variable(out, (self,), lambda g: (g * out * (1 - out),))

    def relu(self) -> Variable:
        a = self.value
        return Variable(np.maximum(a, 0), (self,), lambda g: (g * (a > 0),))

    # --- the backward pass ----------------------------------------------------------------------
    def backward(self) -> None:
        """Gradients of this scalar with respect to every node it was computed from (added to
        their `.grad`, as torch accumulates)."""
        if self.value.size != 1:
            raise ValueError(f"backward() needs a scalar output, got shape {self.value.shape}")
        gradients = {id(self): np.ones_like(self.value)}
        for node in reversed(topological_order(self)):
            g = gradients.pop(id(node), None)
            if g is None:
                continue
            node.grad = node.grad + g
            if node.local_backward is None:
                continue
            for parent, parent_g in zip(node.parents, node.local_backward(g), strict=True):
                parent_g = unbroadcast(parent_g, parent.value.shape)
                gradients[id(parent)] = gradients.get(id(parent), 0) + parent_g


def lift(value: ArrayLike | Variable) -> Variable:
    """A constant as a node with no parents (its gradient is computed but not used)."""
    return value if isinstance(value, Variable) else Variable(value, name="constant")


def unbroadcast(gradient: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum a gradient over the axes broadcasting added or stretched, back to the input's shape."""
    while gradient.ndim > len(shape):
        gradient = gradient.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and gradient.shape[axis] != 1:
            gradient = gradient.sum(axis=axis, keepdims=True)
    return gradient


def topological_order(output: Variable) -> list[Variable]:
    """Every node the output depends on, each after its parents (iteratively: deep graphs too)."""
    order: list[Variable] = []
    visited: set[int] = set()
    stack: list[tuple[Variable, bool]] = [(output, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        stack.extend((parent, False) for parent in node.parents if id(parent) not in visited)
    return order


def binary_cross_entropy(p: Variable, y: np.ndarray) -> Variable:
    """-mean(y log p + (1 - y) log(1 - p)): the course's binary cost."""
    return -(y * p.log() + (1 - y) * (1 - p).log()).mean()


def xor_data() -> tuple[np.ndarray, np.ndarray]:
    """The four points and their labels, (4, 2) and (4, 1)."""
    return np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]]), np.array([[0.0], [1.0], [1.0], [0.0]])


def xor_initial_weights(hidden: int, seed: int) -> list[np.ndarray]:
    """W1 (2, hidden) and W2 (hidden, 1) standard normal, b1 and b2 zero."""
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 1, (2, hidden)), np.zeros(hidden), rng.normal(0, 1, (hidden, 1)), np.zeros(1)]


def train_xor(
    steps: int = 2000, lr: float = 0.5, hidden: int = 2, seed: int = 0
) -> tuple[list[float], Callable[[np.ndarray], np.ndarray]]:
    """The course's XOR network (2 inputs, `hidden` tanh units, a sigmoid output) trained by
    full-batch gradient descent on the binary cross-entropy, every gradient from `backward()`.
    Returns the loss of every step and the trained network's p(y = 1 | x)."""
    x, y = xor_data()
    names = ("W1", "b1", "W2", "b2")
    parameters = [Variable(w, name=n) for w, n in zip(xor_initial_weights(hidden, seed), names, strict=True)]

    def network(inputs: np.ndarray) -> Variable:
        w1, b1, w2, b2 = parameters
        h = (Variable(inputs) @ w1 + b1).tanh()
        return (h @ w2 + b2).sigmoid()

    losses = []
    for _ in range(steps):
        for parameter in parameters:
            parameter.grad = np.zeros_like(parameter.value)
        loss = binary_cross_entropy(network(x), y)
        loss.backward()
        for parameter in parameters:
            parameter.value = parameter.value - lr * parameter.grad
        losses.append(float(loss.value))
    return losses, lambda inputs: network(inputs).value


def gradients(output: Variable, inputs: Iterable[Variable]) -> list[np.ndarray]:
    """∂output/∂input for each input (their .grad reset first)."""
    inputs = list(inputs)
    for variable in inputs:
        variable.grad = np.zeros_like(variable.value)
    output.backward()
    return [variable.grad for variable in inputs]
