"""A trained encoder-decoder's answers: a sentence translated greedily or by beam search, with
where each output token looked (attention models)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import torch

from zoo.errors import ZooError
from zoo.models.decoding import Hypotheses, beam_search, greedy_decode
from zoo.tasks.inference.base import Inference, token_inputs, unknown_note
from zoo.viz.attention import attention_map
from zoo.vocabulary import BOS, EOS, PAD

if TYPE_CHECKING:
    from zoo.data.base import DataModule


class Seq2SeqInference(Inference):
    def __init__(
        self,
        net: dict[str, Any],
        src_vocab_size: int,
        tgt_vocab_size: int,
        beam_size: int = 1,
        length_penalty: float = 0.0,
        max_length: int | None = None,
        compile: bool = False,
        **training: Any,
    ):
        super().__init__()
        if beam_size < 1:
            raise ValueError(f"beam_size must be at least 1, got {beam_size}")
        self.beam_size, self.length_penalty, self.output_limit = beam_size, length_penalty, max_length
        self.build_net({**net, "src_vocab_size": src_vocab_size, "tgt_vocab_size": tgt_vocab_size}, compile)

    def forward(
        self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        return self.net(src, src_lengths, tgt_in)

    def max_length(self, src_lengths: torch.Tensor) -> int:
        """The longest output decoded: model.max_length, or twice the longest source plus 10."""
        return self.output_limit or 2 * int(src_lengths.max()) + 10

    @torch.no_grad()
    def translate(
        self,
        src: torch.Tensor,
        src_lengths: torch.Tensor,
        beam_size: int | None = None,
        length_penalty: float | None = None,
    ) -> Hypotheses:
        """Decode a batch of sources: greedy for beam_size 1, else beam search."""
        beam_size = beam_size or self.beam_size
        max_length = self.max_length(src_lengths)
        if beam_size == 1:
            return greedy_decode(self.net, src, src_lengths, max_length, BOS, EOS, PAD)
        penalty = self.length_penalty if length_penalty is None else length_penalty
        return beam_search(self.net, src, src_lengths, max_length, BOS, EOS, PAD, beam_size, penalty)

    def onnx_inputs(self, datamodule: DataModule) -> dict[str, torch.Tensor] | None:
        return token_inputs(self.net, "src", "src_lengths", "tgt_in")

    def describe(self, result: dict[str, Any]) -> list[str]:
        lines = [unknown_note(result["unknown_tokens"], "input")]
        lines.append(f"[bold]{result['input']}[/bold] → {result['translation']}")
        if result.get("plot"):
            lines.append(f"attention heatmap written to {result['plot']}")
        return [line for line in lines if line]

    def predict_raw(
        self, inputs: Any, datamodule: DataModule, options: dict[str, Any]
    ) -> Iterator[list[dict[str, Any]]]:
        """Translate one sentence (beam search with options beam_size; 1 is greedy); with
        plot=true (or plot=path.png) also save the attention heatmap."""
        text = inputs
        if not isinstance(text, str) or not text.strip():
            raise ZooError('a sequence-to-sequence model reads a sentence: input="ein Mann fährt Fahrrad"')
        ids, unknown = datamodule.encode_source(text)
        if not ids:
            raise ZooError(f"the input {text!r} has no tokens the model's tokenizer can read")
        beam_size = int(options.get("beam_size") or 1)
        result = self.translate(torch.tensor([ids]), torch.tensor([len(ids)]), beam_size=beam_size)
        output = {
            "input": text,
            "translation": datamodule.decode_target(result.tokens[0].tolist()),
            "log_prob": float(result.log_prob[0]),
            "unknown_tokens": unknown,
        }
        plot = options.get("plot")
        if plot:
            if result.attention is None:
                raise ZooError("this model has no attention to plot (it decodes from a fixed context)")

            weights, source, target = attention_of(result, 0, ids, datamodule)
            path = "attention.png" if plot is True else str(plot)
            output["plot"] = str(attention_map(weights, source, target, path, title=text))
        yield [output]


def attention_of(
    result: Hypotheses, row: int, source_ids: list[int], datamodule: DataModule
) -> tuple[Any, list[str], list[str]]:
    """Row `row` of decoded hypotheses as (attention weights (target, source), source tokens,
    generated tokens up to and including <eos>)."""
    generated = result.tokens[row].tolist()
    generated = generated[: generated.index(EOS) + 1] if EOS in generated else generated
    weights = result.attention[row, : len(generated), : len(source_ids)].float().cpu().numpy()
    return weights, datamodule.source_tokens(source_ids), datamodule.target_tokens(generated)
