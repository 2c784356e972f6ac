"""A trained tagger's answers: a tag per word of a sentence, and with BIO tags (named entities)
the entities they mark."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from zoo.models.sequence import BYTE_IDS
from zoo.tasks.inference.base import Inference, encode_sentence, token_inputs, with_output_size

if TYPE_CHECKING:
    from zoo.data.base import DataModule


def bio_spans(tags: list[str]) -> set[tuple[int, int, str]]:
    """Entity spans (start, end exclusive, type) of a BIO sequence; an I- tag that does not continue
    an entity of its type starts one (the conlleval convention)."""
    spans, start, kind = set(), None, None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        continues = prefix == "I" and kind == label
        if start is not None and not continues:
            spans.add((start, i, kind))
            start, kind = None, None
        if prefix in ("B", "I") and not continues:
            start, kind = i, label
    return spans


def is_bio(tags: list[str]) -> bool:
    return any(tag.startswith("B-") for tag in tags) and all(
        tag == "O" or tag[:2] in ("B-", "I-") for tag in tags
    )


class TaggerInference(Inference):
    def __init__(self, net: dict[str, Any], tags: list[str], compile: bool = False, **training: Any):
        super().__init__()
        if not tags:
            raise ValueError("model.tags is empty: the tagger needs the list of tags (data.tags)")
        self.tags = list(tags)
        self.build_net(with_output_size(net, len(self.tags)), compile)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        return self.net(tokens, lengths)

    def onnx_inputs(self, datamodule: DataModule) -> dict[str, torch.Tensor] | None:
        inputs = token_inputs(self.net, "tokens", "lengths")
        width = getattr(datamodule, "characters", 0)
        if width:  # each word's id, then its bytes (SequenceDataModule's characters)
            spelling = torch.randint(
                1, BYTE_IDS, (*inputs["tokens"].shape, width), generator=torch.Generator().manual_seed(0)
            )
            inputs["tokens"] = torch.cat([inputs["tokens"].unsqueeze(-1), spelling], dim=-1)
        return inputs

    def describe(self, result: dict[str, Any]) -> list[str]:
        words = result["input"].split()
        lines = [" ".join(f"{w}/[bold]{t}[/bold]" for w, t in zip(words, result["tags"], strict=True))]
        if "entities" in result:
            lines.append(f"entities: {entities_text(result['entities'])}")
        return lines

    def predict_raw(
        self, inputs: Any, datamodule: DataModule, options: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """A tag per word of one sentence."""
        tokens, lengths = encode_sentence(datamodule, inputs)
        with torch.no_grad():
            scores = self(tokens, lengths)
        tags = [datamodule.tags[i] for i in scores[0].argmax(-1).tolist()]
        result: dict[str, Any] = {"input": inputs, "tags": tags}
        if is_bio(datamodule.tags):  # named entities: the spans the tags mark, in order
            words = inputs.split()
            spans = sorted(bio_spans(tags))
            result["entities"] = [(" ".join(words[start:end]), kind) for start, end, kind in spans]
        yield [result]


def entities_text(entities: list[tuple[str, str]]) -> str:
    """ "rose taylor (PER), reading (LOC)", or "no entity": how predict and RESULTS.md show them."""
    return ", ".join(f"{text} ({kind})" for text, kind in entities) or "no entity"
