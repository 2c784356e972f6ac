"""Raw inputs as a trained model's data pipeline reads them: feature rows from a .csv or .npy file,
an array or a list, and image files or folders, a chunk at a time (memory stays that of one chunk
however many rows an input holds). Knows no model: a task asks for its inputs here.
"""

from __future__ import annotations

import csv
import itertools
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from zoo.data.base import ImageFiles
from zoo.data.images import IMAGE_SUFFIXES
from zoo.data.vision import image_files
from zoo.errors import ZooError

if TYPE_CHECKING:
    from zoo.data.base import DataModule

# Feature rows are read, prepared and predicted this many at a time: memory stays constant in the
# number of rows (a CSV of a million rows predicts in the memory of one chunk)
CHUNK_ROWS = 8192


def parses_as_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def numeric_rows(path: Path, numbered_lines: list[tuple[int, str]]) -> np.ndarray:
    """Lines of comma-separated numbers as an (N, F) array: NumPy's parser, and on its error,
    Python's, line by line, to name the first bad line."""
    lines = [line for _, line in numbered_lines]
    try:
        return np.loadtxt(lines, delimiter=",", dtype=np.float64, ndmin=2, quotechar='"')
    except ValueError:
        pass
    rows = []
    for (number, _), row in zip(numbered_lines, csv.reader(lines), strict=True):
        try:
            rows.append([float(cell) for cell in row])
        except ValueError:
            raise ZooError(f"{path}, line {number}: not a row of numbers: {','.join(row)[:80]!r}") from None
        if len(rows[-1]) != len(rows[0]):
            raise ZooError(
                f"{path}, line {number}: {len(rows[-1])} values where line {numbered_lines[0][0]} "
                f"has {len(rows[0])}"
            )
    return np.asarray(rows, dtype=np.float64)


def csv_chunks(path: Path, chunk_rows: int, names: list[str] | None = None) -> Iterator[np.ndarray]:
    """The numeric rows of a CSV file, `chunk_rows` at a time. A UTF-8 byte-order mark is dropped.
    The first line is a header only when it names every column (no cell of it is a number); a
    first line with some numbers and some words is an error, never a row silently lost. With a
    header and the `names` of the columns the model reads (a table's features), those columns are
    taken by name, in the model's order, and the others (an id, the target) left out; without a
    header the columns are the features in order."""
    columns = None
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            numbered = ((n, line) for n, line in enumerate(file, start=1) if line.strip(" \t\r\n,"))
            first = next(numbered, None)
            if first is None:
                raise ZooError(f"{path} holds no rows of numbers")
            cells = next(csv.reader([first[1]]))
            numeric = [parses_as_number(cell) for cell in cells]
            if any(numeric) and not all(numeric):
                words = [cell for cell, number in zip(cells, numeric, strict=True) if not number]
                raise ZooError(
                    f"{path}, line {first[0]}: {', '.join(repr(w) for w in words[:3])} not numbers (a header "
                    "line names every column; a data row is all numbers)"
                )
            header = None if all(numeric) else [cell.strip() for cell in cells]
            if header is not None and names:
                numbered = selected_cells(path, numbered, column_indices(path, header, names))
            pending = [first] if header is None else []
            while True:
                pending += list(itertools.islice(numbered, chunk_rows - len(pending)))
                if not pending:
                    break
                rows = numeric_rows(path, pending)
                if columns is not None and rows.shape[1] != columns:
                    raise ZooError(
                        f"{path}, line {pending[0][0]}: {rows.shape[1]} values where earlier rows "
                        f"have {columns}"
                    )
                columns = rows.shape[1]
                yield rows
                pending = []
    except UnicodeDecodeError:
        raise ZooError(f"{path} is not a UTF-8 text CSV file") from None
    if columns is None:
        raise ZooError(f"{path} holds no rows of numbers")


def column_indices(path: Path, header: list[str], names: list[str]) -> list[int]:
    """Where each of `names` sits in the header; a name it lacks is an error naming both."""
    missing = [name for name in names if name not in header]
    if missing:
        raise ZooError(
            f"{path} has no column {missing[0]!r}: the model reads the columns {', '.join(names)} "
            f"(the file's: {', '.join(header)})"
        )
    return [header.index(name) for name in names]


def selected_cells(
    path: Path, numbered: Iterator[tuple[int, str]], indices: list[int]
) -> Iterator[tuple[int, str]]:
    """Each (line number, line) with only the cells at `indices`, in that order."""
    for number, line in numbered:
        cells = next(csv.reader([line]))
        if len(cells) <= max(indices):
            raise ZooError(f"{path}, line {number}: {len(cells)} values, fewer than the header's columns")
        yield number, ",".join(cells[i] for i in indices)


def npy_chunks(path: Path, chunk_rows: int) -> Iterator[np.ndarray]:
    """The rows of a numeric .npy array (no pickles), read from disk `chunk_rows` at a time."""
    try:
        array = np.load(path, allow_pickle=False, mmap_mode="r")
    except (ValueError, OSError) as error:
        raise ZooError(f"cannot read {path} as a numeric .npy array: {error}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
        raise ZooError(f"{path} is not an array of numbers")
    if array.ndim == 0:
        raise ZooError(f"{path} holds a single number, not rows of features")
    array = array.reshape(1, -1) if array.ndim == 1 else array
    for start in range(0, len(array), chunk_rows):
        yield np.asarray(array[start : start + chunk_rows], dtype=np.float64)


def row_chunks(
    source: Any, chunk_rows: int | None = None, names: list[str] | None = None
) -> Iterator[np.ndarray]:
    """Feature rows (N, F) from a path (.csv/.npy), an array or an inline list, in chunks of
    `chunk_rows` (CHUNK_ROWS); each chunk is checked for NaN and infinite values. A CSV with a
    header gives the columns `names` (csv_chunks)."""
    chunk_rows = chunk_rows or CHUNK_ROWS
    if hasattr(source, "detach"):  # a torch tensor
        source = source.detach().cpu().numpy()
    if isinstance(source, list | tuple | np.ndarray):
        try:
            rows = np.asarray(source, dtype=np.float64)
        except (TypeError, ValueError):
            raise ZooError("input list must hold numbers (one row) or lists of numbers (rows)") from None
        chunks: Iterator[np.ndarray] = iter([rows.reshape(1, -1) if rows.ndim <= 1 else rows])
    else:
        path = Path(str(source))
        if not path.is_file():
            raise ZooError(f"input file not found: {path}")
        if path.suffix == ".npy":
            chunks = npy_chunks(path, chunk_rows)
        elif path.suffix in (".csv", ".txt"):
            chunks = csv_chunks(path, chunk_rows, names)
        else:
            raise ZooError(
                f"unsupported input {path.name}: give a .csv or .npy file of feature rows, or a list"
            )
    empty = True
    for rows in chunks:
        if rows.size == 0:
            continue
        if not np.isfinite(rows).all():
            raise ZooError("input holds NaN or infinite values")
        empty = False
        yield rows
    if empty:
        raise ZooError("input is empty")


def is_image_source(source: Any) -> bool:
    """An image file or folder, a PIL image, or a list of image files or PIL images."""
    if isinstance(source, list | tuple):
        return bool(source) and all(is_image(item) for item in source)
    if is_pil_image(source):
        return True
    if not isinstance(source, str | Path):
        return False
    path = Path(str(source))
    return path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES


def is_image(item: Any) -> bool:
    """One image: a PIL image, or the name of a file with an image suffix."""
    return (
        is_pil_image(item)
        or isinstance(item, str | Path)
        and Path(str(item)).suffix.lower() in IMAGE_SUFFIXES
    )


def is_pil_image(item: Any) -> bool:
    """A PIL image, known without importing Pillow (only a program that has loaded it holds one)."""
    pil = sys.modules.get("PIL.Image")
    return pil is not None and isinstance(item, pil.Image)


def image_list(source: Any) -> tuple[list[Any], list[str]]:
    """(the images to read, a name for each) of an image source: a folder's files, a file, a PIL
    image or a list of those."""
    if isinstance(source, list | tuple) or is_pil_image(source):
        items = list(source) if isinstance(source, list | tuple) else [source]
        for item in items:
            if not is_pil_image(item) and not Path(str(item)).is_file():
                raise ZooError(f"input file not found: {item}")
        names = [f"image {index}" if is_pil_image(item) else str(item) for index, item in enumerate(items)]
        return items, names
    path = Path(str(source))
    if not path.exists():
        raise ZooError(f"input file not found: {path}")
    paths = image_files(path) if path.is_dir() else [path]
    if not paths:
        raise ZooError(f"no image files in {path}")
    return paths, [str(p) for p in paths]


def model_inputs(datamodule: DataModule, source: Any) -> Iterator[tuple[Any, list[str]]]:
    """(the model's input tensor, a name per input row), a chunk at a time, for any supported
    source. Rows whose prepared values are not finite (1e308 after standardisation) are refused."""
    if not is_image_source(source):
        first = 0
        for rows in row_chunks(source, names=getattr(datamodule, "feature_names", None)):
            x = datamodule.features(rows)
            if not bool(x.isfinite().all()):
                row = first + int((~x.isfinite()).reshape(len(x), -1).any(1).nonzero()[0, 0])
                raise ZooError(
                    f"input row {row}: its values are too large for the model (not finite once "
                    "prepared as in training)"
                )
            # one name per prepared input: one image of C×H×W arrives as C rows of an array
            yield x, [str(i) for i in range(first, first + len(x))]
            first += len(x)
        return
    images, names = image_list(source)  # a missing file is named first
    if not isinstance(datamodule, ImageFiles):
        raise ZooError("this model was not trained on images: give feature rows (.csv, .npy or a list)")
    for start in range(0, len(images), CHUNK_ROWS):
        chunk = images[start : start + CHUNK_ROWS]  # read as they are predicted
        yield datamodule.read_images(chunk), names[start : start + CHUNK_ROWS]
