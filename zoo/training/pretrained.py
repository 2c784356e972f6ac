"""What a run takes from outside before it trains (`model.embeddings`, `model.pretrained`): word
vectors into the first embedding layer, a masked-LM checkpoint's encoder and its tokenizer."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from tokenizers import Tokenizer
from torch import nn

from zoo.data.base import TokenizedText
from zoo.errors import ZooError, first_lines
from zoo.models.embeddings import load_pretrained

if TYPE_CHECKING:
    from zoo.data.base import DataModule

log = logging.getLogger("zoo")


# model options applied after the task is built
PRETRAINED_KEYS = ("embeddings", "freeze_embeddings", "pretrained", "freeze_pretrained")


def load_embeddings(task: Any, datamodule: DataModule, path: str, freeze: bool) -> None:
    """Pretrained word vectors (GloVe or word2vec text) into the net's first embedding layer, by the
    data's tokenizer vocabulary (`model.embeddings=path`, `model.freeze_embeddings=true`)."""

    layer = next((m for m in task.net.modules() if isinstance(m, nn.Embedding)), None)
    tokenizer = datamodule.tokenizer if isinstance(datamodule, TokenizedText) else None
    if layer is None or tokenizer is None:
        raise ZooError(
            "model.embeddings needs a model with an embedding layer and text data with a tokenizer"
        )
    try:
        found = load_pretrained(layer, tokenizer.get_vocab(), path, bool(freeze))
    except (OSError, ValueError) as error:
        raise ZooError(f"cannot load model.embeddings: {error}") from None
    log.info(
        "pretrained vectors for %d of %d words from %s%s",
        found,
        layer.num_embeddings,
        path,
        " (frozen)" if freeze else "",
    )


def use_pretrained_tokenizer(datamodule: DataModule, checkpoint: dict[str, Any]) -> None:
    """Give the data the tokenizer the pretrained encoder was trained with (before setup)."""
    tokenizers = [
        state["tokenizer"]
        for state in checkpoint.values()
        if isinstance(state, dict) and state.get("tokenizer")
    ]
    if not tokenizers or not isinstance(datamodule, TokenizedText):
        raise ZooError("model.pretrained: the checkpoint holds no tokenizer for this text data")

    datamodule.tokenizer = Tokenizer.from_str(tokenizers[0])


def load_pretrained_encoder(task: Any, checkpoint: dict[str, Any], freeze: bool) -> None:
    """Copy a masked-LM checkpoint's encoder (net.encoder.*) into this model's encoder."""
    encoder = getattr(task.net, "encoder", None)
    prefix = "net.encoder."
    weights = {k.removeprefix(prefix): v for k, v in checkpoint["state_dict"].items() if k.startswith(prefix)}
    if encoder is None or not weights:
        raise ZooError("model.pretrained needs a model with an encoder and a checkpoint with one (bert_mlm)")
    try:
        encoder.load_state_dict(weights)
    except RuntimeError as error:
        raise ZooError(f"the pretrained encoder does not fit this model: {first_lines(error)}") from None
    encoder.requires_grad_(not freeze)
    log.info("encoder initialised from the pretrained checkpoint%s", " (frozen)" if freeze else "")
