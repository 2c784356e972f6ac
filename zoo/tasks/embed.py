"""Task `WordEmbedding`: trains a skip-gram model by its negative-sampling loss."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torchmetrics import MetricCollection

from zoo.data.base import TaggedWords, TokenizedText
from zoo.tasks.base import Task
from zoo.tasks.inference.embed import WordEmbeddingInference, group_accuracy
from zoo.tasks.word_vector_scores import word_vector_scores
from zoo.viz.evaluation import embedding_projection

if TYPE_CHECKING:
    from zoo.data.base import DataModule

PLOTTED_WORDS = 300  # labelled points of the projection: more is unreadable


class WordEmbedding(WordEmbeddingInference, Task):
    monitor: ClassVar[str] = "val/loss"
    monitor_mode: ClassVar[str] = "min"

    def __init__(
        self,
        net: dict[str, Any],
        vocab_size: int,
        optimizer: dict[str, Any] | None = None,
        scheduler: dict[str, Any] | None = None,
        regularizer: dict[str, Any] | None = None,
    ):
        super().__init__(net, vocab_size)
        self.save_hyperparameters()
        self.setup_training()

    def make_metrics(self) -> MetricCollection:
        return MetricCollection({})  # the negative-sampling loss itself is the measure

    def loss_and_outputs(
        self, batch: Any, stage: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        centre, context, noise = batch
        loss = self.net(centre, context, noise)
        return loss, centre, centre  # no metric reads the outputs

    def on_validation_epoch_end(self) -> None:
        self.log_group_accuracy("val")

    def on_test_epoch_end(self) -> None:
        self.log_group_accuracy("test")
        self.log_word_vector_tests()

    def log_word_vector_tests(self) -> None:
        """test/<set> (Spearman ρ) and test/<set>_coverage for each similarity set, test/analogy and
        test/analogy_coverage, when the data read the word-vector test sets."""
        datamodule = self.trainer.datamodule
        if not getattr(datamodule, "similarity_sets", None):
            return
        for name, value in vocabulary_scores(self.net.input_vectors.weight, datamodule).items():
            self.log(f"test/{name}", value)

    def log_group_accuracy(self, stage: str) -> None:
        """<stage>/groups: group_accuracy of the data's word groups (the same words at every stage:
        a measure of the vectors, not of the split), when the data has groups."""
        groups = getattr(self.trainer.datamodule, "group_ids", None)
        if groups:
            self.log(f"{stage}/groups", group_accuracy(self.net.input_vectors.weight, groups), prog_bar=True)

    def evaluation_plots(self, datamodule: DataModule, folder: Path) -> list[tuple[str, Path]]:
        """The word vectors projected to 2-D (PCA), labelled (by part of speech where the data
        knows it)."""

        tokenizer = datamodule.tokenizer if isinstance(datamodule, TokenizedText) else None
        if tokenizer is None:
            return []
        vectors = self.net.input_vectors.weight.detach().float().cpu().numpy()
        vocabulary = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
        words = [
            (word, index) for word, index in vocabulary if not word.startswith("<") and index < len(vectors)
        ][:PLOTTED_WORDS]  # a word-level tokenizer numbers words by frequency: the most frequent
        tags = (datamodule.word_tags if isinstance(datamodule, TaggedWords) else None) or {}
        labels = [tags.get(word, "other") for word, _ in words] if tags else None
        chosen, names = [i for _, i in words], [w for w, _ in words]
        path = embedding_projection(
            vectors[chosen], names, folder / "embeddings.png", labels, title="word vectors (PCA)"
        )
        return [("plots/embeddings", path)]


def vocabulary_scores(vectors: torch.Tensor, datamodule: Any) -> dict[str, float]:
    """word_vector_scores of vectors whose rows are the data's tokenizer vocabulary."""
    tokenizer = datamodule.tokenizer
    index = {word: i for word, i in tokenizer.get_vocab().items() if not word.startswith("<")}
    normalize = tokenizer.normalizer.normalize_str if tokenizer.normalizer else str
    matrix = vectors.detach().float().cpu().numpy()
    return word_vector_scores(matrix, index, datamodule.similarity_sets, datamodule.analogies, normalize)
