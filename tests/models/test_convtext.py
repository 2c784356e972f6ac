"""Kim's CNN sentence classifier: the feature maps are the written formula c_i = f(w · x_{i:i+h-1} + b),
the max over time ignores padding, and it learns the grammar's sentiment."""

from __future__ import annotations

import pytest
import torch

from zoo.models.convtext import ConvSentenceClassifier


def test_feature_maps_are_the_written_formula():
    torch.manual_seed(0)
    net = ConvSentenceClassifier(vocab_size=20, num_classes=2, embed_dim=6, filters=3, widths=[2, 3]).eval()
    tokens, lengths = torch.tensor([[4, 5, 6, 7, 8]]), torch.tensor([5])
    x = net.embedding(tokens)[0]  # (T, embed_dim): x_1 ... x_n
    pooled = []
    for convolution, h in zip(net.convolutions, net.widths, strict=True):
        w, b = convolution.weight, convolution.bias  # (filters, embed_dim, h), (filters,)
        c = torch.stack([torch.relu((w * x[i : i + h].T).sum(dim=(1, 2)) + b) for i in range(5 - h + 1)])
        pooled.append(c.max(dim=0).values)  # ĉ = max_i c_i
    expected = net.output(torch.cat(pooled))
    assert torch.allclose(net(tokens, lengths)[0], expected, atol=1e-6)


def test_padding_never_wins_the_max_and_short_sentences_work():
    torch.manual_seed(0)
    net = ConvSentenceClassifier(vocab_size=20, num_classes=2, embed_dim=6, filters=4).eval()
    alone = net(torch.tensor([[4, 5, 6, 7]]), torch.tensor([4]))
    padded = net(torch.tensor([[4, 5, 6, 7, 0, 0, 0], [9, 9, 9, 9, 9, 9, 9]]), torch.tensor([4, 7]))
    assert torch.allclose(alone[0], padded[0], atol=1e-6)
    assert net(torch.tensor([[3]]), torch.tensor([1])).shape == (1, 2)  # shorter than every filter


def test_widths_must_be_positive():
    with pytest.raises(ValueError, match="widths must be positive integers"):
        ConvSentenceClassifier(10, 2, widths=[3, 0])


def test_the_cnn_learns_the_grammars_sentiment(train_run):
    summary = train_run(
        ["model=cnn_text", "data=grammar_sentiment", "optimizer=adam", "trainer.max_epochs=4"]
    )
    assert summary["test"]["test/acc"] >= 0.85
