"""Toy 2-D datasets generated in code, with known ground truth.

- Boolean functions on the ±1 encoding: x ∈ {-1, +1}², y = f(x₁, x₂) ∈ {-1, +1} for AND, OR, XOR.
  Class 0 stands for -1 and class 1 for +1. The whole truth table is the data: training sees it
  `repeat` times per epoch (shuffled), validation and test see it once.
- circles (one class inside the other), moons (scikit-learn's generators), and two interleaved
  spirals.
"""

from __future__ import annotations

import numpy as np

from zoo.data.arrays import ArrayDataModule, Splits

BOOLEAN_FUNCTIONS = {
    "and": lambda a, b: np.where((a > 0) & (b > 0), 1, -1),
    "or": lambda a, b: np.where((a > 0) | (b > 0), 1, -1),
    "xor": lambda a, b: np.where((a > 0) != (b > 0), 1, -1),
}
TRUTH_TABLE = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float32)


def boolean(function: str) -> tuple[np.ndarray, np.ndarray]:
    """The truth table of `function` on ±1 inputs: (x of shape (4, 2), y ∈ {-1, +1})."""
    y = BOOLEAN_FUNCTIONS[function](TRUTH_TABLE[:, 0], TRUTH_TABLE[:, 1])
    return TRUTH_TABLE.copy(), y


def spirals(num_samples: int, noise: float, seed: int, turns: float = 1.5) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spiral arms, r ∝ angle; class c is the arm rotated by c·π."""
    rng = np.random.default_rng(seed)
    per_arm = num_samples // 2
    angle = np.sqrt(rng.uniform(0, 1, per_arm)) * turns * 2 * np.pi
    arms = []
    for c in range(2):
        phase = angle + c * np.pi
        arm = np.stack([angle * np.cos(phase), angle * np.sin(phase)], axis=1) / (turns * 2 * np.pi)
        arms.append(arm + rng.normal(0, noise, arm.shape))
    x = np.concatenate(arms).astype(np.float32)
    y = np.repeat([0, 1], per_arm)
    return x, y


DATASETS = ("and", "or", "xor", "circles", "moons", "spirals")


class ToyDataModule(ArrayDataModule):
    def __init__(
        self,
        dataset: str = "circles",
        num_samples: int = 1000,
        noise: float = 0.1,
        repeat: int = 64,
        **common,
    ):
        if dataset not in DATASETS:
            raise ValueError(f"unknown toy dataset {dataset!r}; choose one of {', '.join(DATASETS)}")
        common.setdefault("standardize", dataset not in BOOLEAN_FUNCTIONS)
        super().__init__(**common)
        self.dataset = dataset
        self.num_samples = num_samples
        self.noise = noise
        self.repeat = repeat

    def load_splits(self) -> Splits:
        if self.dataset in BOOLEAN_FUNCTIONS:
            x, y = boolean(self.dataset)
            classes = (y > 0).astype(np.int64)
            return {
                "train": (np.tile(x, (self.repeat, 1)), np.tile(classes, self.repeat)),
                "val": (x, classes),
                "test": (x, classes),
            }
        from sklearn.datasets import make_circles, make_moons  # to read the data, not to predict

        if self.dataset == "circles":
            x, y = make_circles(self.num_samples, noise=self.noise, factor=0.5, random_state=self.seed)
        elif self.dataset == "moons":
            x, y = make_moons(self.num_samples, noise=self.noise, random_state=self.seed)
        else:
            x, y = spirals(self.num_samples, self.noise, self.seed)
        return self.split(x.astype(np.float32), y.astype(np.int64))

    def default_class_names(self, num_classes: int) -> list[str]:
        if self.dataset in BOOLEAN_FUNCTIONS:
            return ["-1", "+1"]
        return super().default_class_names(num_classes)


class IllConditionedDataModule(ArrayDataModule):
    """Linear regression whose squared-error surface is a long narrow valley: x₁ ~ N(0, 1) and
    x₂ ~ N(0, 1/κ), y = x₁ + √κ·x₂ + noise, so the Hessian of the loss is ∝ diag(1, 1/κ) with
    condition number κ. Features are not standardised (that would remove the problem): plain
    gradient descent must take steps small enough for the steep direction and then crawls
    along the flat one, which momentum and Adam are known to fix."""

    regression = True

    def __init__(self, condition: float = 100.0, num_samples: int = 1000, noise: float = 0.1, **common):
        if condition < 1:
            raise ValueError(f"data.condition must be at least 1, got {condition}")
        common.setdefault("standardize", False)
        super().__init__(**common)
        self.condition, self.num_samples, self.noise = condition, num_samples, noise

    def load_splits(self) -> Splits:
        rng = np.random.default_rng(self.seed)
        x = rng.normal(size=(self.num_samples, 2)) * np.array([1.0, 1.0 / np.sqrt(self.condition)])
        y = x @ np.array([1.0, np.sqrt(self.condition)]) + rng.normal(0, self.noise, self.num_samples)
        return self.split(x.astype(np.float32), y.astype(np.float32))
