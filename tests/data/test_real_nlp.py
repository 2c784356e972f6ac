"""The real corpora learnt from, at a size the suite can afford (the full runs are presets in
scripts/reproduce.py): a fresh data folder fetched and trained on, NER on 1,000 CoNLL sentences,
universal POS on 2,000 Brown sentences."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import REAL_DATA_DIR, real_corpus, run_zoo


def test_a_fresh_machine_fetches_ptb_and_trains_the_preset(tmp_path: Path):
    fetched = run_zoo(["data", "fetch", "ptb"], tmp_path)  # ZOO_DATA_DIR is tmp_path/data, empty
    assert fetched.returncode == 0, fetched.stderr[-2000:]
    assert "ptb: 3 files in" in fetched.stdout
    registry = " ".join(
        run_zoo(["list", "data"], tmp_path).stdout.split()
    )  # one line, rich's wrapping undone
    assert "[in data/]" in registry.split(" ptb ", 1)[1].split(" tiny_shakespeare ")[0]
    assert "[not in data/: zoo data fetch mr]" in registry
    listed = run_zoo(["data"], tmp_path)
    assert [line.split()[:2] for line in listed.stdout.splitlines() if line.split()[:1] == ["ptb"]] == [
        ["ptb", "yes"]
    ]
    limits = [
        "+trainer.limit_train_batches=30",
        "+trainer.limit_val_batches=5",
        "+trainer.limit_test_batches=5",
    ]
    quiet = ["callbacks.progress=none", "logger=csv"]
    trained = run_zoo(
        ["train", "experiment=lstm_ptb_small", "trainer.max_epochs=1", *limits, *quiet], tmp_path
    )
    assert trained.returncode == 0, trained.stderr[-2000:]
    (run_dir,) = (tmp_path / "runs" / "lstm_ptb_small").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["test"]["test/ppl"] < 2000  # 30 steps: far below the 10,002 of a uniform guess


def test_ner_on_1000_conll_sentences_beats_the_all_o_tagger(train_run):
    real_corpus("conll2003")
    data = [f"paths.data_dir={REAL_DATA_DIR}", "+data.labelled=1000"]
    summary = train_run(
        ["experiment=bilstm_ner_conll2003", *data, "trainer.max_epochs=3", "+trainer.limit_val_batches=10"]
    )
    assert summary["test"]["test/f1"] > 0.2  # tagging every word O finds no entity: F1 0


def test_universal_pos_on_2000_brown_sentences(train_run):
    real_corpus("brown")
    data = [f"paths.data_dir={REAL_DATA_DIR}", "+data.labelled=2000"]
    limits = ["+trainer.limit_val_batches=10", "+trainer.limit_test_batches=40"]
    summary = train_run(
        ["experiment=bilstm_pos_brown", *data, "trainer.max_epochs=4", "optimizer.lr=0.005", *limits]
    )
    assert summary["test"]["test/acc"] > 0.8
