"""Trained word vectors' answers: the nearest words of a word, or of a sum of words (analogies)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from zoo.errors import ZooError
from zoo.tasks.inference.base import Inference

if TYPE_CHECKING:
    from zoo.data.base import DataModule


class WordEmbeddingInference(Inference):
    def __init__(self, net: dict[str, Any], vocab_size: int, **training: Any):
        super().__init__()
        self.build_net({**net, "vocab_size": vocab_size})

    def describe(self, result: dict[str, Any]) -> list[str]:
        nearest = ", ".join(f"{word} {score:.3f}" for word, score in result["nearest"])
        return [f"[bold]{result['input']}[/bold] ≈ {nearest}"]

    def predict_raw(
        self, inputs: Any, datamodule: DataModule, options: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """`dog` → its nearest words; `king - man + woman` → the words nearest that sum of vectors."""
        tokenizer = datamodule.tokenizer
        terms = re.findall(r"([+-]?)\s*([^\s+-]+)", str(inputs or ""))
        if not terms:
            raise ZooError('give a word or a sum of words: input="dog" or input="king - man + woman"')
        vectors = self.net.input_vectors.weight.detach()
        total, used = torch.zeros(vectors.shape[1]), []
        for sign, word in terms:
            if tokenizer.normalizer is not None:  # a lowercasing tokenizer's vocabulary: "King" is "king"
                word = tokenizer.normalizer.normalize_str(word)
            index = tokenizer.token_to_id(word)
            if index is None:
                raise ZooError(f"{word!r} is not in the embedding's vocabulary")
            total += -vectors[index] if sign == "-" else vectors[index]
            used.append(index)
        neighbours = self.net.similar(total, int(options.get("top_k") or 5), exclude=used)
        yield [{"input": inputs, "nearest": [(tokenizer.id_to_token(i), score) for i, score in neighbours]}]


def group_accuracy(vectors: torch.Tensor, groups: dict[str, list[int]]) -> float:
    """The share of the groups' words whose nearest other listed word (by cosine similarity) is of
    their own group: 1.0 when every group is a tight cluster, about `chance_level` for noise."""
    rows = [row for members in groups.values() for row in members]
    labels = torch.tensor([label for label, members in enumerate(groups.values()) for _ in members])
    unit = torch.nn.functional.normalize(vectors[rows].detach().float().cpu(), dim=-1)
    similarity = unit @ unit.T
    similarity.fill_diagonal_(-2.0)  # a word is not its own neighbour
    return (labels[similarity.argmax(1)] == labels).float().mean().item()


def chance_level(groups: dict[str, list[int]]) -> float:
    """group_accuracy's expectation when the nearest listed word is any other at random."""
    total = sum(len(members) for members in groups.values())
    return sum(len(members) * (len(members) - 1) for members in groups.values()) / (total * (total - 1))
