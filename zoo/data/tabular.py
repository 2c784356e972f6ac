"""scikit-learn's bundled datasets, available offline: digits (8×8 images, 10 classes),
breast cancer (30 features, 2 classes) and diabetes (10 features, a regression target)."""

from __future__ import annotations

import numpy as np

from zoo.data.arrays import ArrayDataModule, Splits

# scikit-learn's loader of each (imported when the data is read, not to predict: 1 s)
LOADERS = {"digits": "load_digits", "breast_cancer": "load_breast_cancer", "diabetes": "load_diabetes"}


class SklearnDataModule(ArrayDataModule):
    def __init__(self, dataset: str = "digits", **common):
        if dataset not in LOADERS:
            raise ValueError(f"unknown dataset {dataset!r}; choose one of {', '.join(LOADERS)}")
        super().__init__(**common)
        self.dataset = dataset
        self.regression = dataset == "diabetes"

    def load_splits(self) -> Splits:
        # scikit-learn loads only where its bundled datasets are read (predicting needs none of it)
        from sklearn import datasets

        bunch = getattr(datasets, LOADERS[self.dataset])()
        if not self.regression and not self.class_names:
            self.class_names = [str(name) for name in bunch.target_names]
        y = bunch.target.astype(np.float32 if self.regression else np.int64)
        return self.split(bunch.data.astype(np.float32), y)
