import csv

import torch

from zoo.checkpoint import load_checkpoint, task_from_checkpoint
from zoo.data.sequences import SequenceDataModule
from zoo.tasks.tag import EntityF1, bio_spans


def test_bilstm_tagger_reaches_98_percent_on_the_grammars_parts_of_speech(train_run):
    summary = train_run(
        ["model=bilstm_tagger", "data=grammar_pos", "optimizer.lr=0.005", "trainer.max_epochs=5"]
    )
    assert summary["test"]["test/acc"] >= 0.98


def test_recurrent_sentiment_classifier_reaches_95_percent(train_run):
    summary = train_run(
        [
            "model=lstm_classifier",
            "data=grammar_sentiment",
            "optimizer.lr=0.005",
            "trainer.max_epochs=5",
            "model.net.pooling=mean",
        ]
    )
    assert summary["test"]["test/acc"] >= 0.95


def symbol_gradient(summary) -> float:
    """‖∂loss/∂(embeddings of the symbols)‖ on test batches: the symbols appear only in the first
    steps, 20+ steps before they must be recalled, so this is the gradient that crosses the lag."""
    checkpoint = load_checkpoint(summary["last_checkpoint"])
    task = task_from_checkpoint(checkpoint)
    dm = SequenceDataModule(source="copy", tags=[f"s{i}" for i in range(8)], num_sentences=400, seed=42)
    dm.load_state_dict(checkpoint["SequenceDataModule"])
    dm.setup()
    loss, _, _ = task.loss_and_outputs(next(iter(dm.test_dataloader())))
    loss.backward()
    rows = [dm.tokenizer.token_to_id(f"s{i}") for i in range(8)]
    return task.net.encoder.embedding.weight.grad[rows].norm().item()


def test_lstm_learns_a_long_lag_copy_that_the_vanilla_rnn_cannot(train_run):
    runs = {
        mode: train_run(["experiment=rnn_vs_lstm_copy", f"model.net.mode={mode}"]) for mode in ("lstm", "rnn")
    }
    assert runs["lstm"]["test"]["test/acc"] >= 0.95
    assert runs["rnn"]["test"]["test/acc"] <= 0.3  # chance is 1/8
    # the gradient-norm log was written, and the gradient reaching the start has vanished for the RNN
    for summary in runs.values():
        with open(f"{summary['run_dir']}/metrics.csv") as file:
            assert any(
                column.startswith("grad_2.0_norm/net.encoder.rnn.weight_hh_l0")
                for column in next(csv.reader(file))
            )
    assert symbol_gradient(runs["lstm"]) > 10 * symbol_gradient(runs["rnn"])


def test_bio_spans_follow_conlleval():
    tags = ["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-ORG", "B-ORG", "I-PER"]
    assert bio_spans(tags) == {(0, 2, "PER"), (3, 5, "LOC"), (5, 6, "ORG"), (6, 7, "ORG"), (7, 8, "PER")}


def test_entity_f1_needs_exact_span_and_type():
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    metric = EntityF1(tags)
    gold = torch.tensor([[1, 2, 0, 3, -100]])  # PER(0,2), LOC(3,4); last step unscored
    guess = torch.tensor([[1, 2, 0, 1, 0]])  # PER right, LOC typed as PER
    metric.update(guess, gold)
    assert metric.compute().item() == 0.5  # precision 1/2, recall 1/2


def test_ner_on_generated_entities_and_zoo_predict_names_the_entities(tmp_path):
    """bilstm_ner_grammar at small scale (measured, full preset: test entity F1 1.000; the
    Transformer tagger's preset: 0.9996)."""
    from tests.conftest import compose_train, run_zoo
    from zoo.commands.train import train

    budget = ["experiment=bilstm_ner_grammar", "data.num_sentences=1500", "trainer.max_epochs=6"]
    summary = train(compose_train(budget, tmp_path / "run"))
    assert summary["test"]["test/f1"] >= 0.9, summary["test"]
    sentence = "input=rose taylor likes the rose in reading"
    done = run_zoo(["predict", f"ckpt_path={summary['best_checkpoint']}", sentence], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "entities: rose taylor (PER), reading (LOC)" in done.stdout, done.stdout
