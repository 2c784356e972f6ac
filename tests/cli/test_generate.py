"""Text generation from a language-model checkpoint alone, in a fresh process."""

import json

import pytest

from tests.conftest import run_zoo
from zoo.data import grammar


@pytest.fixture(scope="module")
def lm_checkpoint(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("lm")
    result = run_zoo(
        ["train", "model=lstm_lm", "data=grammar", "optimizer.lr=0.005", "trainer.max_epochs=3"], cwd
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = (cwd / "runs" / "lstm_lm_grammar").iterdir()
    return cwd, json.loads((run_dir / "summary.json").read_text())["best_checkpoint"]


def test_generation_continues_a_prompt_with_grammar_words(lm_checkpoint):
    cwd, checkpoint = lm_checkpoint
    result = run_zoo(["predict", f"ckpt_path={checkpoint}", "input='the happy'", "max_new_tokens=30"], cwd)
    assert result.returncode == 0, result.stderr
    words = result.stdout.split()
    assert words[:2] == ["the", "happy"] and len(words) > 5
    assert set(words) <= set(grammar.vocabulary())  # only the corpus's words (sentence ends are line breaks)


def test_empty_prompt_starts_a_sentence_and_unknown_words_become_unk(lm_checkpoint):
    cwd, checkpoint = lm_checkpoint
    empty = run_zoo(
        ["predict", f"ckpt_path={checkpoint}", "input=''", "max_new_tokens=10", "temperature=0"], cwd
    )
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.split()[0] in grammar.DETERMINERS  # every sentence opens with a determiner
    unknown = run_zoo(["predict", f"ckpt_path={checkpoint}", "input='the zebra'", "max_new_tokens=5"], cwd)
    assert unknown.returncode == 0, unknown.stderr
    assert "1 prompt token(s) unknown" in unknown.stdout


def test_tagger_and_sentence_classifier_predict_from_a_checkpoint(tmp_path, train_run):
    # trained in this process (the CLI's training is tested elsewhere), predicted in a fresh one
    for model, data, expected in (
        ("bilstm_tagger", "grammar_pos", "watch/NOUN"),
        ("lstm_classifier", "grammar_sentiment", "negative"),
    ):
        summary = train_run([f"model={model}", f"data={data}", "optimizer.lr=0.005", "trainer.max_epochs=4"])
        predicted = run_zoo(
            ["predict", f"ckpt_path={summary['best_checkpoint']}", "input='the cruel watch sleeps'"], tmp_path
        )
        assert predicted.returncode == 0, predicted.stderr
        assert expected in predicted.stdout
