"""A data module for datasets that fit in memory as one feature array and one target array
(the toy sets and scikit-learn's bundled sets).

Splits are deterministic: a permutation drawn from `seed` cuts the rows into train/val/test
(unless the subclass supplies its own splits). Features are standardised with the training
split's mean and standard deviation; those statistics and the class names are the module's
state_dict, which Lightning stores in every checkpoint, so `zoo predict` can prepare raw feature
rows exactly as in training without the dataset.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from torch.utils.data import TensorDataset

from zoo.data.base import TensorDataModule
from zoo.data.preprocessing import Rescale, Standardize
from zoo.data.stored import (
    check_lengths,
    check_stored_state,
    is_count,
    is_finite_number,
    is_names,
    is_positive_number,
)
from zoo.errors import ZooError

Splits = dict[str, tuple[np.ndarray, np.ndarray]]


# what a checkpoint may store for these modules (zoo.data.stored)
STATE_RULES = {
    "num_features": (is_count, "a positive integer"),
    "feature_names": (is_names, "a list of strings"),
    "target_mean": (is_finite_number, "a finite number"),
    "target_std": (is_positive_number, "a positive number"),
}


class ArrayDataModule(TensorDataModule):
    """Subclasses implement `load_splits()` returning {"train"|"val"|"test": (X, y)}.

    `num_features` / `num_classes` may be given by the config (model configs interpolate them);
    they are checked against the data at setup.
    """

    regression = False
    feature_names: list[str] | None = None  # a table's column names, which predict matches by name

    def __init__(
        self,
        batch_size: int = 64,
        seed: int = 0,
        val_fraction: float = 0.15,
        test_fraction: float = 0.15,
        standardize: bool = True,
        num_workers: int = 0,
        num_features: int | None = None,
        num_classes: int | None = None,
        train_size: int | None = None,
    ):
        super().__init__(batch_size, seed, num_workers)
        for key, value in (("num_features", num_features), ("num_classes", num_classes)):
            if value is not None and not is_count(value):
                raise ValueError(
                    f"data.{key} must be a positive integer, got {value!r} (a {type(value).__name__})"
                )
        if not (0 < val_fraction < 1 and 0 < test_fraction < 1 and val_fraction + test_fraction < 1):
            # an empty validation or test split has nothing to pick the best checkpoint or report on
            raise ValueError("data.val_fraction and data.test_fraction must be above 0 and sum below 1")
        if train_size is not None and (not isinstance(train_size, int) or train_size < 1):
            raise ValueError(f"data.train_size must be a positive number of examples, got {train_size!r}")
        self.train_size = train_size  # the first N of the training split (learning from few examples)
        self.val_fraction = val_fraction
        self.test_fraction = test_fraction
        self.standardize = standardize
        self.num_features = num_features
        self.num_classes = num_classes
        self.class_names: list[str] = []
        self.mean: list[float] | None = None
        self.std: list[float] | None = None
        self.target_mean: float | None = None  # regression targets are standardised too
        self.target_std: float | None = None

    # --- what a subclass provides ---------------------------------------------------------------
    def load_splits(self) -> Splits:
        raise NotImplementedError

    def default_class_names(self, num_classes: int) -> list[str]:
        return [str(c) for c in range(num_classes)]

    # --- shared ---------------------------------------------------------------------------------
    def split(self, x: np.ndarray, y: np.ndarray) -> Splits:
        """Cut (x, y) into train/val/test by a permutation drawn from the seed."""
        order = np.random.default_rng(self.seed).permutation(len(x))
        n_test = round(len(x) * self.test_fraction)
        n_val = round(len(x) * self.val_fraction)
        parts = {
            "test": order[:n_test],
            "val": order[n_test : n_test + n_val],
            "train": order[n_test + n_val :],
        }
        return {name: (x[index], y[index]) for name, index in parts.items()}

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        splits = self.load_splits()
        if self.train_size is not None:
            x, y = splits["train"]
            if self.train_size > len(x):
                raise ZooError(f"data.train_size={self.train_size} is more than the {len(x)} examples")
            splits["train"] = (x[: self.train_size], y[: self.train_size])
        x_train = splits["train"][0].reshape(len(splits["train"][0]), -1).astype(np.float64)
        self.check_facts(splits)
        if self.standardize and self.mean is None:
            self.mean = x_train.mean(axis=0).tolist()
            self.std = np.where(x_train.std(axis=0) > 1e-8, x_train.std(axis=0), 1.0).tolist()
        if self.regression and self.target_mean is None:
            y_train = splits["train"][1].astype(np.float64)
            self.target_mean, self.target_std = float(y_train.mean()), float(y_train.std() or 1.0)
        for name, (x, y) in splits.items():
            self.datasets[name] = TensorDataset(self.features(x), self.targets(y))

    def check_facts(self, splits: Splits) -> None:
        x, y = splits["train"]
        features = int(np.prod(x.shape[1:]))
        if self.num_features is not None and self.num_features != features:
            raise ZooError(f"data.num_features is {self.num_features} but the data has {features} features")
        self.num_features = features
        if not self.regression:
            classes = int(max(split_y.max() for _, split_y in splits.values() if len(split_y)) + 1)
            if self.num_classes is not None and self.num_classes < classes:
                raise ZooError(f"data.num_classes is {self.num_classes} but the data has {classes} classes")
            self.num_classes = self.num_classes or classes
            if not self.class_names:
                self.class_names = self.default_class_names(self.num_classes)

    def found_facts(self) -> dict[str, Any]:
        """What the data says (zoo.run.facts_found): its feature and class counts, class names."""
        self.prepare_data()
        self.setup("fit")
        return {
            "num_features": self.num_features,
            "feature_names": self.feature_names,
            "num_classes": self.num_classes,
            "class_names": self.class_names,
        }

    def features(self, x: np.ndarray) -> torch.Tensor:
        """Raw feature rows → the float tensor the model sees (standardised as in training)."""
        x = np.asarray(x, dtype=np.float64)
        x = x.reshape(len(x), -1)
        if self.num_features is not None and x.shape[1] != self.num_features:
            raise ZooError(f"expected {self.num_features} features per row, got {x.shape[1]}")
        if self.mean is not None:
            x = (x - np.asarray(self.mean)) / np.asarray(self.std)
        return torch.as_tensor(x, dtype=torch.float32)

    def raw_input_module(self) -> Standardize:
        """`features` as a torch module (zoo.data.preprocessing): what an export puts before the net."""
        return Standardize(self.mean, self.std)

    def raw_output_module(self) -> Rescale:
        """`target_values` as a torch module: a regressor's outputs in the target's own units."""
        return Rescale(self.target_mean or 0.0, self.target_std or 1.0)

    def targets(self, y: np.ndarray) -> torch.Tensor:
        if self.regression:
            y = (np.asarray(y, dtype=np.float64) - self.target_mean) / self.target_std
            return torch.as_tensor(y.reshape(len(y), -1), dtype=torch.float32)
        return torch.as_tensor(np.asarray(y, dtype=np.int64))

    def target_values(self, prediction: torch.Tensor) -> np.ndarray:
        """Regression outputs back in the target's own units."""
        return prediction.cpu().numpy() * self.target_std + self.target_mean

    def state_dict(self) -> dict[str, Any]:
        return {
            "mean": self.mean,
            "std": self.std,
            "class_names": self.class_names,
            "num_features": self.num_features,
            "feature_names": self.feature_names,
            "num_classes": self.num_classes,
            "target_mean": self.target_mean,
            "target_std": self.target_std,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        check_stored_state(type(self).__name__, state, STATE_RULES)
        check_lengths(type(self).__name__, state, state.get("num_features", self.num_features), "features")
        self.mean, self.std = state.get("mean"), state.get("std")
        self.class_names = list(state.get("class_names") or [])
        self.num_features = state.get("num_features", self.num_features)
        self.feature_names = state.get("feature_names")
        if self.feature_names is not None and len(self.feature_names) != self.num_features:
            raise ZooError(
                f"the stored state of {type(self).__name__}: {len(self.feature_names)} feature_names "
                f"for {self.num_features} features"
            )
        self.num_classes = state.get("num_classes", self.num_classes)
        self.target_mean, self.target_std = state.get("target_mean"), state.get("target_std")
