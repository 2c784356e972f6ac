"""A trained model with the preprocessing it was trained with: `zoo.load(path)` returns a
`Predictor`, and `zoo predict` is a Predictor whose results are printed.

What `predict` reads, by the kind of model:
- feature rows (MLP, regressors, image models): a .csv file (numeric rows, an optional header
  line), a .npy file, a NumPy array or a list (one row) / list of lists (rows);
- image models also: an image file of any size and colour mode (converted as the training data
  was), a PIL image, a folder of images, a list of image files or PIL images, or an array of pixel
  values 0..255 (N, [C,] H, W) or rows of C·H·W;
- text models: a string (a sentence to tag, classify or translate, a prompt to continue, a
  sentence with [MASK], a word or a sum of words for embeddings), or a list of them.

`predictor(inputs)` is `predictor.predict(inputs)`; `predictor.model` is the torch module from raw
input tensors to answers (feature rows and pixels: the preprocessing inside; token models: ids in,
logits out); `predictor.to("cuda")` moves it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from zoo.checkpoint import restore
from zoo.data.inputs import is_image_source
from zoo.errors import ZooError

if TYPE_CHECKING:
    from zoo.data.base import DataModule


class Predictor:
    """Predictions for raw inputs from a trained task and its data pipeline's stored state.

    >>> import zoo
    >>> predictor = zoo.load("runs/mlp_digits/2026-01-01_00-00-00/checkpoints/best.ckpt")  # doctest: +SKIP
    >>> predictor.predict([[0.0] * 64])[0]["class"]  # doctest: +SKIP
    '0'
    """

    def __init__(self, task: Any, datamodule: DataModule, config: dict[str, Any]):
        self.task, self.datamodule, self.config = task, datamodule, config
        self.model = task.end_to_end(datamodule)

    def __call__(self, inputs: Any, **options: Any) -> list[dict[str, Any]]:
        return self.predict(inputs, **options)

    def to(self, device: Any) -> Predictor:
        """Move the model (and its preprocessing) to `device`; inputs follow it. Returns self."""
        self.model.to(device)
        self.task.to(device)
        return self

    @property
    def device(self) -> Any:
        return self.task.device

    @classmethod
    def from_checkpoint(cls, path: str | Path) -> Predictor:
        """The predictor of a checkpoint file or a `zoo export` folder: the task's Inference
        class (zoo.tasks.inference; no Lightning, no torchmetrics) and its data module's
        preprocessing. A checkpoint whose task has no Inference class of its own (one written
        before there were any, or a task that defines predict_raw itself) builds the whole task."""

        return cls(*restore(path))

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
        many rows the input holds. Each kind of task says how it reads raw input
        (`Task.predict_raw`)."""
        if is_text_list(inputs):  # prompts or sentences: each answered as one input is
            for text in inputs:
                yield from self.predict_chunks(text, **options)
            return
        if isinstance(inputs, str) and not is_utf8(inputs):
            raise ZooError("the input is not valid UTF-8 text")
        yield from self.task.predict_raw(inputs, self.datamodule, options)


def is_text_list(inputs: Any) -> bool:
    """A list of texts (not of image files, not of numbers)."""
    return (
        isinstance(inputs, list | tuple)
        and bool(inputs)
        and all(isinstance(item, str) for item in inputs)
        and not is_image_source(list(inputs))
    )


def is_utf8(text: str) -> bool:
    """False for a string holding undecodable bytes (Python keeps them as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
