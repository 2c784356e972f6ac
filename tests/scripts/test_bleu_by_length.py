"""scripts/bleu_by_length.py: several translation models' BLEU by source length on one plot."""

from __future__ import annotations

from scripts import bleu_by_length


def test_two_models_are_scored_on_the_same_buckets_and_drawn_together(tmp_path, capsys):
    from tests.conftest import compose_train
    from zoo.commands.train import train
    from zoo.tasks.seq2seq import bleu_by_source_length

    common = ["model=rnn_seq2seq", "data=grammar_translation", "trainer.max_epochs=1"]
    attention = train(compose_train(common, tmp_path / "att"))["best_checkpoint"]
    fixed = train(compose_train([*common, "model.net.attention=none"], tmp_path / "fixed"))["best_checkpoint"]
    output = tmp_path / "by_length.png"
    capsys.readouterr()  # the training runs' output
    named = [f"{attention}=attention", f"{fixed}=fixed context"]
    assert bleu_by_length.main([*named, "--output", str(output)]) == 0
    assert output.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out.splitlines()
    assert printed[0].startswith("attention: ") and printed[1].startswith("fixed context: ")
    # the numbers are the ones the run's own plot is drawn from
    model, datamodule, _ = bleu_by_length.restore(attention)
    datamodule.setup("validate")
    labels, scores = bleu_by_source_length(model, datamodule)
    buckets = ", ".join(f"{label} {score:.3f}" for label, score in zip(labels, scores, strict=True))
    assert printed[0] == f"attention: {buckets}"
