"""Tables of features: scikit-learn's bundled datasets, available offline - digits (8×8 images,
10 classes), breast cancer (30 features, 2 classes) and diabetes (10 features, a regression
target) - and your own CSV files (CsvDataModule)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from zoo.data.arrays import ArrayDataModule, Splits
from zoo.data.files import read_text
from zoo.data.inputs import parses_as_number as is_number
from zoo.errors import ZooError

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


class CsvDataModule(ArrayDataModule):
    """Your own table: per split a CSV with a header row (data.files.train; val and test are cut
    from it when left out), the `target` column to predict and the `features` columns (default:
    every other column) as numbers, standardised with the training split's statistics. A class
    target may be text ("setosa"): the classes are `class_names` (the values in class order) or the
    training values sorted; a regression target (`task: regress`) is a number."""

    def __init__(
        self,
        files: dict[str, str] | None = None,
        target: str | None = None,
        features: list[str] | None = None,
        task: str = "classify",
        class_names: list[str] | None = None,
        **common,
    ):
        if task not in ("classify", "regress"):
            raise ValueError(f"data.task must be 'classify' or 'regress', got {task!r}")
        if not target:
            raise ValueError("data=csv needs data.target=<the column to predict>")
        self.paths = {split: Path(path) for split, path in (files or {}).items() if path not in (None, "???")}
        if "train" not in self.paths or set(self.paths) - {"train", "val", "test"}:
            raise ValueError("data=csv needs data.files.train=path (data.files.val and .test are optional)")
        super().__init__(**common)
        self.target, self.feature_columns = target, list(features) if features else None
        self.regression = task == "regress"
        self.class_names = [str(name) for name in class_names or []]

    def load_splits(self) -> Splits:
        tables = {split: read_csv_table(path) for split, path in self.paths.items()}
        header = tables["train"][0]
        columns = self.feature_columns or [name for name in header if name != self.target]
        self.feature_names = list(columns)  # predict takes a CSV's columns by these names
        for split, (names, _) in tables.items():
            for name in [self.target, *columns]:
                if name not in names:
                    raise ZooError(
                        f"{self.paths[split]}: no column {name!r} (its columns: {', '.join(names)})"
                    )
        if not self.regression and not self.class_names:
            self.class_names = sorted({row[header.index(self.target)] for row in tables["train"][1]})
        if not self.regression:
            self.num_classes = self.num_classes or len(self.class_names)
        arrays = {split: self.to_arrays(split, *table, columns) for split, table in tables.items()}
        if "val" in arrays and "test" in arrays:
            return arrays
        cut = self.split(*arrays["train"])
        return {split: arrays.get(split, cut[split]) if split != "train" else cut["train"] for split in cut}

    def to_arrays(self, split: str, names: list[str], rows: list[list[str]], columns: list[str]) -> tuple:
        path, where = self.paths[split], [names.index(name) for name in columns]
        x = np.empty((len(rows), len(columns)), dtype=np.float32)
        for number, row in enumerate(rows, 2):  # line 1 is the header
            try:
                x[number - 2] = [float(row[i]) for i in where]
            except ValueError:
                bad = next(name for name, i in zip(columns, where, strict=True) if not is_number(row[i]))
                raise ZooError(
                    f"{path}:{number}: column {bad!r} is not a number: {row[names.index(bad)]!r}"
                ) from None
        values = [row[names.index(self.target)] for row in rows]
        if self.regression:
            if not all(map(is_number, values)):
                raise ZooError(
                    f"{path}: the target column {self.target!r} must hold numbers for task=regress"
                )
            return x, np.asarray(values, dtype=np.float32)
        unknown = sorted(set(values) - set(self.class_names))
        if unknown:
            classes = ", ".join(self.class_names)
            raise ZooError(
                f"{path}: the {split} split has class {unknown[0]!r}, which is not a class ({classes})"
            )
        index = {name: i for i, name in enumerate(self.class_names)}
        return x, np.asarray([index[value] for value in values], dtype=np.int64)


def read_csv_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """(header, rows) of a CSV (a .tsv: tab-separated); every row as wide as the header."""
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    lines = [row for row in csv.reader(io.StringIO(read_text(path, "data file")), delimiter=delimiter) if row]
    if len(lines) < 2:
        raise ZooError(f"{path} needs a header row and at least one data row")
    header = [name.strip() for name in lines[0]]
    for number, row in enumerate(lines[1:], 2):
        if len(row) != len(header):
            raise ZooError(
                f"{path}:{number}: {len(row)} values for the header's {len(header)} columns (ragged rows)"
            )
    return header, [[value.strip() for value in row] for row in lines[1:]]
