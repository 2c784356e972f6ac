"""scripts/bench_lm.py at a tiny size: the text and split both sides read, the validation score,
and the zoo's side end to end (nanoGPT's side needs a checkout: `--nanogpt DIR`, run by hand)."""

import json
import math
import pickle

import numpy as np
import torch
import torch.nn.functional as F

from scripts import bench_lm


def test_the_text_is_the_first_million_characters_split_90_10(tmp_path):
    files = bench_lm.prepare_text(tmp_path)
    train, val = files["train"].read_text(), files["val"].read_text()
    assert len(train) + len(val) == bench_lm.CHARACTERS and len(train) == int(0.9 * bench_lm.CHARACTERS)
    assert files["test"] == files["val"]


def test_nanogpts_files_hold_the_zoos_own_tokens(tmp_path):
    files = bench_lm.prepare_text(tmp_path / "text")
    data, streams = bench_lm.zoo_streams(files)
    bench_lm.write_nanogpt_data(tmp_path / "nano", data, streams)
    for split in ("train", "val"):
        written = np.fromfile(tmp_path / "nano" / f"{split}.bin", dtype=np.uint16)
        assert np.array_equal(written, streams[split].numpy())
    meta = pickle.loads((tmp_path / "nano" / "meta.pkl").read_bytes())
    assert meta["vocab_size"] == data.actual_vocab_size > int(written.max())
    # the stream is the text in order: the first validation line, encoded, starts it
    first = files["val"].read_text().splitlines()[0].strip()
    assert data.tokenizer.decode(streams["val"][: len(first)].tolist()).replace(" ", "") == first.replace(
        " ", ""
    )


def test_the_validation_score_is_the_mean_cross_entropy_of_every_window():
    torch.manual_seed(0)
    table = torch.randn(10, 10)
    stream = torch.randint(0, 10, (1000,))
    got = bench_lm.windows_loss(lambda x: table[x], stream)
    context = bench_lm.RECIPE["context"]
    count = 999 // context
    inputs, targets = stream[: count * context], stream[1 : count * context + 1]
    assert math.isclose(got, F.cross_entropy(table[inputs], targets).item(), rel_tol=1e-6)


def test_the_zoos_side_runs_and_is_scored(tmp_path):
    output = tmp_path / "lm.json"
    assert bench_lm.main(["--steps", "3", "--work", str(tmp_path / "work"), "--json", str(output)]) == 0
    (pair,) = json.loads(output.read_text())["pairs"]
    zoo = pair["zoo"]
    assert zoo["tokens_per_s"] > 0 and zoo["wall_s"] > 0 and zoo["peak_rss_gb"] > 0.1
    assert 3.0 < zoo["val_loss"] < 5.0  # three steps from GPT-2's start: about log(82 symbols) = 4.4
