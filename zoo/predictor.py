"""A trained model with the preprocessing it was trained with: `zoo.load(path)` returns a
`Predictor`, and `zoo predict` is a Predictor whose results are printed.

What `predict` reads, by the kind of model:
- feature rows (MLP, regressors, image models): a .csv file (numeric rows, an optional header
  line), a .npy file, a NumPy array or a list (one row) / list of lists (rows);
- image models also: an image file of any size and colour mode (converted as the training data
  was), a folder of images, or an array of pixel values 0..255 (N, [C,] H, W) or rows of C·H·W;
- text models: a string (a sentence to tag, classify or translate, a prompt to continue, a
  sentence with [MASK], a word or a sum of words for embeddings).
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from zoo.data.images import IMAGE_SUFFIXES
from zoo.data.vision import image_files
from zoo.errors import ZooError
from zoo.tasks import Classifier, LanguageModel, MaskedLM, Regressor, Seq2Seq, Tagger, WordEmbedding


class Predictor:
    """Predictions for raw inputs from a trained task and its data pipeline's stored state.

    >>> import zoo
    >>> predictor = zoo.load("runs/mlp_digits/2026-01-01_00-00-00/checkpoints/best.ckpt")  # doctest: +SKIP
    >>> predictor.predict([[0.0] * 64])[0]["class"]  # doctest: +SKIP
    '0'
    """

    def __init__(self, task: Any, datamodule: Any, config: dict[str, Any]):
        self.task, self.datamodule, self.config = task, datamodule, config

    def __repr__(self) -> str:
        net = self.config.get("model", {}).get("net", {}).get("_target_", "?").rsplit(".", 1)[-1]
        return f"Predictor({type(self.task).__name__} of {net}, data={self.config['data'].get('dataset')})"

    def predict(self, inputs: Any, **options: Any) -> list[dict[str, Any]]:
        """One result dict per input row, image or text. Options: top_k (classes, fillers,
        neighbours), batch_size (rows or images per forward pass, 256), beam_size (translation),
        max_new_tokens, temperature, seed (generation), plot (a path for the attention heatmap of
        a translation)."""
        return [result for chunk in self.predict_chunks(inputs, **options) for result in chunk]

    def predict_chunks(self, inputs: Any, **options: Any) -> Iterator[list[dict[str, Any]]]:
        """`predict`'s results a chunk at a time (feature rows and images: CHUNK_ROWS rows per
        chunk), read, prepared and predicted as they come: memory stays that of one chunk however
        many rows the input holds."""
        task, datamodule = self.task, self.datamodule
        if isinstance(inputs, str) and not is_utf8(inputs):
            raise ZooError("the input is not valid UTF-8 text")
        top_k = int(options.get("top_k") or 5)
        if isinstance(task, MaskedLM):
            yield [fill_mask(task, datamodule.tokenizer, inputs, top_k)]
        elif isinstance(task, Seq2Seq):
            yield [translate_text(task, datamodule, inputs, options)]
        elif isinstance(task, WordEmbedding):
            yield [nearest_words(task, datamodule.tokenizer, inputs, top_k)]
        elif hasattr(datamodule, "encode") and hasattr(datamodule, "collate"):  # token sequences
            result = label_sentence(task, datamodule, inputs, top_k)
            result["input"] = inputs
            yield [result]
        elif isinstance(task, LanguageModel):
            generation = {"max_new_tokens": 50, "temperature": 1.0, "top_k": None, "seed": 0, **options}
            yield [generate_text(task, datamodule.tokenizer, inputs, generation)]
        elif isinstance(task, Classifier | Regressor):
            batch_size = int(options.get("batch_size") or 256)
            for x, names in model_inputs(datamodule, inputs):
                if isinstance(task, Classifier):
                    predictions = classify(task, x, datamodule.class_names, top_k, batch_size)
                else:
                    values = datamodule.target_values(
                        in_batches(task.predict_values, x, batch_size, task.device)
                    )
                    predictions = [{"value": [float(v) for v in row]} for row in values]
                for prediction, name in zip(predictions, names, strict=True):
                    prediction["input"] = name
                yield predictions
        else:
            raise ZooError(f"predict does not support {type(task).__name__} yet")


def is_utf8(text: str) -> bool:
    """False for a string holding undecodable bytes (Python keeps them as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


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


def csv_chunks(path: Path, chunk_rows: int) -> Iterator[np.ndarray]:
    """The numeric rows of a CSV file, `chunk_rows` at a time. A UTF-8 byte-order mark is dropped.
    The first line is a header only when it names every column (no cell of it is a number); a
    first line with some numbers and some words is an error, never a row silently lost."""
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
            pending = [first] if all(numeric) else []
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


def row_chunks(source: Any, chunk_rows: int | None = None) -> Iterator[np.ndarray]:
    """Feature rows (N, F) from a path (.csv/.npy), an array or an inline list, in chunks of
    `chunk_rows` (CHUNK_ROWS); each chunk is checked for NaN and infinite values."""
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
            chunks = csv_chunks(path, chunk_rows)
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
    if not isinstance(source, str | Path):
        return False
    path = Path(str(source))
    return path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES


def model_inputs(datamodule: Any, source: Any) -> Iterator[tuple[Any, list[str]]]:
    """(the model's input tensor, a name per input row), a chunk at a time, for any supported
    source. Rows whose prepared values are not finite (1e308 after standardisation) are refused."""
    if not is_image_source(source):
        first = 0
        for rows in row_chunks(source):
            x = datamodule.features(rows)
            if not bool(x.isfinite().all()):
                row = first + int((~x.isfinite()).reshape(len(x), -1).any(1).nonzero()[0, 0])
                raise ZooError(
                    f"input row {row}: its values are too large for the model (not finite once "
                    "prepared as in training)"
                )
            yield x, [str(i) for i in range(first, first + len(rows))]
            first += len(rows)
        return
    path = Path(str(source))
    if not path.exists():
        raise ZooError(f"input file not found: {path}")
    if not hasattr(datamodule, "read_images"):
        raise ZooError("this model was not trained on images: give feature rows (.csv, .npy or a list)")
    paths = image_files(path) if path.is_dir() else [path]
    if not paths:
        raise ZooError(f"no image files in {path}")
    for start in range(0, len(paths), CHUNK_ROWS):
        chunk = paths[start : start + CHUNK_ROWS]  # read as they are predicted
        yield datamodule.read_images(chunk), [str(p) for p in chunk]


def generate_text(task: LanguageModel, tokenizer: Any, prompt: Any, config: dict[str, Any]) -> dict[str, Any]:
    """Continue `prompt`; an empty prompt starts a new sequence (after <eos>); words the tokenizer
    does not know become <unk>, as the tokenizer defines, and are counted in the output."""
    import torch

    from zoo.data.text import EOS, UNK

    if isinstance(prompt, list | tuple | dict) or prompt is None:
        raise ZooError('a language model\'s input is a text prompt: input="some words"')
    prompt = str(prompt)
    ids = tokenizer.encode(prompt).ids if prompt.strip() else []
    unknown = sum(1 for token in ids if token == UNK)
    context = torch.tensor([[EOS, *ids]])
    generator = torch.Generator().manual_seed(int(config.get("seed") or 0))
    tokens = task.generate(
        context, int(config["max_new_tokens"]), float(config["temperature"]), config.get("top_k"), generator
    )
    continuation = tokenizer.decode(tokens[0, len(ids) + 1 :].tolist(), skip_special_tokens=False)
    return {
        "prompt": prompt,
        "generated": continuation.replace("<eos>", "\n").strip(),
        "unknown_tokens": unknown,
    }


def label_sentence(task: Any, datamodule: Any, text: Any, top_k: int) -> dict[str, Any]:
    """A tag per word (Tagger) or the classes of the whole sentence (sequence Classifier)."""
    import torch

    if not isinstance(text, str) or not text.split():
        raise ZooError('this model reads a sentence: input="the dog runs"')
    words = text.split()
    ids, _ = datamodule.encode(words, [None] * len(words) if datamodule.target == "tags" else 0)
    tokens, lengths = torch.tensor([ids]), torch.tensor([len(ids)])
    with torch.no_grad():
        scores = task(tokens, lengths)
    if isinstance(task, Tagger):
        tags = [datamodule.tags[i] for i in scores[0].argmax(-1).tolist()]
        return {"input": text, "tags": tags}
    return classify(task, (tokens, lengths), datamodule.class_names, top_k)[0]


def nearest_words(task: WordEmbedding, tokenizer: Any, query: Any, top_k: int) -> dict[str, Any]:
    """`dog` → its nearest words; `king - man + woman` → the words nearest that sum of vectors."""
    import re

    import torch

    terms = re.findall(r"([+-]?)\s*([^\s+-]+)", str(query or ""))
    if not terms:
        raise ZooError('give a word or a sum of words: input="dog" or input="king - man + woman"')
    vectors = task.net.input_vectors.weight.detach()
    total, used = torch.zeros(vectors.shape[1]), []
    for sign, word in terms:
        index = tokenizer.token_to_id(word)
        if index is None:
            raise ZooError(f"{word!r} is not in the embedding's vocabulary")
        total += -vectors[index] if sign == "-" else vectors[index]
        used.append(index)
    neighbours = task.net.similar(total, top_k, exclude=used)
    result = [(tokenizer.id_to_token(i), score) for i, score in neighbours]
    return {"input": query, "nearest": result}


def translate_text(task: Seq2Seq, datamodule: Any, text: Any, config: dict[str, Any]) -> dict[str, Any]:
    """Translate one sentence (beam search with config beam_size; 1 is greedy); with plot=true
    (or plot=path.png) also save the attention heatmap."""
    import torch

    if not isinstance(text, str) or not text.strip():
        raise ZooError('a sequence-to-sequence model reads a sentence: input="ein Mann fährt Fahrrad"')
    ids, unknown = datamodule.encode_source(text)
    if not ids:
        raise ZooError(f"the input {text!r} has no tokens the model's tokenizer can read")
    beam_size = int(config.get("beam_size") or 1)
    result = task.translate(torch.tensor([ids]), torch.tensor([len(ids)]), beam_size=beam_size)
    generated = result.tokens[0].tolist()
    translation = datamodule.decode_target(generated)
    output = {"input": text, "translation": translation, "log_prob": float(result.log_prob[0])}
    output["unknown_tokens"] = unknown
    plot = config.get("plot")
    if plot:
        if result.attention is None:
            raise ZooError("this model has no attention to plot (it decodes from a fixed context)")
        from zoo.data.text import EOS
        from zoo.viz.attention import attention_map

        shown = generated[: generated.index(EOS) + 1] if EOS in generated else generated
        path = attention_map(
            result.attention[0, : len(shown)].numpy(),
            datamodule.source_tokens(ids),
            datamodule.target_tokens(shown),
            "attention.png" if plot is True else str(plot),
            title=text,
        )
        output["plot"] = str(path)
    return output


def fill_mask(task: MaskedLM, tokenizer: Any, text: Any, top_k: int) -> dict[str, Any]:
    """The most probable tokens for each [MASK] (or <mask>) of a sentence, with probabilities."""
    import torch

    if not isinstance(text, str) or "[MASK]" not in text.replace("<mask>", "[MASK]"):
        raise ZooError('a masked language model fills [MASK]: input="the river [MASK] five feet"')
    ids = tokenizer.encode(text.replace("[MASK]", "<mask>")).ids
    fillers = task.fill_mask(torch.tensor([ids]), top_k)
    result = [[(tokenizer.id_to_token(i), p) for i, p in candidates] for candidates in fillers]
    return {"input": text, "fillers": result}


def in_batches(function: Any, x: Any, batch_size: int, device: Any) -> Any:
    """function(x) computed `batch_size` rows at a time on `device`, concatenated on the CPU: a
    folder of many images or a large array never needs one forward pass over all."""
    import torch

    parts = [
        function(x[start : start + batch_size].to(device)).cpu() for start in range(0, len(x), batch_size)
    ]
    return torch.cat(parts)


def classify(
    task: Classifier, x: Any, class_names: list[str], top_k: int, batch_size: int = 256
) -> list[dict[str, Any]]:
    if isinstance(x, tuple):  # token sequences and their lengths: one sentence
        probabilities = task.predict_proba(*x)
    else:
        probabilities = in_batches(task.predict_proba, x, batch_size, task.device)
    k = min(top_k, probabilities.shape[1])
    top_p, top_index = probabilities.topk(k, dim=1)
    names = class_names or [str(c) for c in range(probabilities.shape[1])]
    rows = zip(top_p.float().tolist(), top_index.tolist(), strict=True)  # Python numbers at once
    return [
        {
            "input": i,
            "class": names[index[0]],
            "probability": p[0],
            "top": [(names[c], q) for c, q in zip(index, p, strict=True)],
        }
        for i, (p, index) in enumerate(rows)
    ]
