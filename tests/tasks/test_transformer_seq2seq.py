"""The Transformer encoder-decoder in task Seq2Seq: what it reaches on date normalisation, and its
cached step decoding against re-reading the whole prefix, on the trained model."""

import torch

from tests.conftest import compose_train
from zoo.checkpoint import restore
from zoo.commands.train import train
from zoo.models.decoding import greedy_decode
from zoo.vocabulary import BOS, EOS


def test_transformer_dates_reaches_95_percent_and_its_cache_changes_no_token(tmp_path):
    summary = train(compose_train(["experiment=transformer_dates"], tmp_path / "run"))
    assert summary["test"]["test/exact"] >= 0.95, summary["test"]  # measured: 0.995 (token accuracy 0.998)

    task, data, _ = restore(summary["best_checkpoint"], for_trainer=True)
    data.setup()
    src, lengths, _ = data.collate(data.datasets["test"][:100])
    net = task.net.eval()
    cached = greedy_decode(net, src, lengths, 14, BOS, EOS).tokens  # one new position per step
    with torch.no_grad():  # uncached: the decoder re-reads its whole output at every step
        memory = net.encode(src, lengths)
        uncached = torch.full((len(src), 1), BOS)
        for _ in range(cached.shape[1]):
            logits = net.decode(uncached, memory)[:, -1]
            uncached = torch.cat([uncached, logits.argmax(-1, keepdim=True)], dim=1)
    finished = (torch.cumsum(cached == EOS, 1) - (cached == EOS).long()) > 0  # after <eos>: padding
    assert torch.equal(cached[~finished], uncached[:, 1:][~finished])
