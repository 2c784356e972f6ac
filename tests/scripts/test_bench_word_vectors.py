"""scripts/bench_word_vectors.py's pieces at a tiny size (the whole comparison is run by hand: it
trains on the whole Brown corpus): the vectors file loads as `model.embeddings`, and the training
text is the zoo's own tokens."""

import numpy as np
import torch
from torch import nn

from scripts import bench_word_vectors
from zoo.models.embeddings import load_pretrained


def test_the_vectors_file_loads_as_model_embeddings(tmp_path):
    vectors = np.arange(12, dtype=np.float32).reshape(3, 4) / 7
    bench_word_vectors.write_vectors(tmp_path / "v.txt", vectors, {"king": 0, "queen": 1, "dog": 2})
    layer = nn.Embedding(5, 4)
    assert load_pretrained(layer, {"queen": 3, "dog": 4, "cat": 0}, tmp_path / "v.txt") == 2
    assert torch.allclose(layer.weight[3], torch.tensor(vectors[1]), atol=1e-5)
    assert torch.allclose(layer.weight[4], torch.tensor(vectors[2]), atol=1e-5)


def test_the_training_text_is_the_zoos_tokens():
    class Data:  # the three things training_sentences reads of a SkipGramDataModule
        train_on = ["train", "val"]

        def sentences(self):
            return {"train": ["The cat's hat."], "val": ["A dog"], "test": ["never read"]}

    from zoo.data.text import train_tokenizer

    Data.tokenizer = train_tokenizer("wordpunct", ["The cat's hat.", "A dog"], 100)
    assert bench_word_vectors.training_sentences(Data()) == [
        ["the", "cat", "'", "s", "hat", "."],
        ["a", "dog"],
    ]
