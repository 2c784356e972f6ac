"""scripts/reproduce.py runs presets, their claims' contrasting runs, and writes RESULTS.md."""

import json
from pathlib import Path
from typing import Any

import pytest
from omegaconf import OmegaConf

from scripts import reproduce


def test_reproduce_writes_the_results_and_claims_tables_and_says_what_it_skipped(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the runs and the file go here
    output = tmp_path / "docs" / "RESULTS.md"
    code = reproduce.main(
        [
            "--tiny",
            "--only",
            "xor_mlp,claim_per_example_sgd,lenet5_mnist",
            "--output",
            str(output),
            "--runs",
            "runs",
        ]
    )
    assert code == 0
    text = output.read_text()
    assert "| experiment | command | metric | reached | expected | met | wall time | plots |" in text
    rows = {line.split(" | ")[0].strip("| "): line for line in section(text, "## Experiments")}
    assert "`zoo train experiment=xor_mlp`" in rows["xor_mlp"] and "| test/acc |" in rows["xor_mlp"]
    assert "[decision_boundary](results/xor_mlp/decision_boundary.png)" in rows["xor_mlp"]
    assert (output.parent / "results" / "xor_mlp" / "decision_boundary.png").is_file()  # copied beside it
    assert (tmp_path / "runs" / "xor_mlp" / "plots" / "decision_boundary.png").is_file()
    # the claims: each with its contrasting run, which ran in its own folder
    assert "| XOR needs a hidden layer | xor_mlp | test/acc " in text
    assert "`model.net.hidden=[]` | test/acc " in text
    assert "`data.batch_size=2000` | test/acc " in text
    assert (tmp_path / "runs" / "claim_per_example_sgd_contrast" / "summary.json").is_file()
    # a claim compared on test/acc: both runs' validation curves on one plot, linked from its row
    assert (output.parent / "results" / "xor_mlp" / "claim.png").is_file()
    assert "[claim](results/xor_mlp/claim.png)" in text
    # how fast each trained: the run's parameters, steps and speed
    speed = {line.split(" | ")[0].strip("| "): line for line in section(text, "## Training speed")}
    summary = json.loads((tmp_path / "runs" / "xor_mlp" / "summary.json").read_text())
    assert speed["xor_mlp"].startswith(
        f"| xor_mlp | {summary['parameters']:,} | {summary['global_step']:,} | "
    )
    assert speed["xor_mlp"].endswith(" | - |")  # points, not tokens
    # the course's written-out algorithms against torch's, measured at every run, in their order
    course = section(text, "## The course's algorithms, written out")
    assert [row.split(" | ")[0][2:].split(" ")[0] for row in course] == ["reverse-mode", "XOR", "backprop",
                                                                         "gradient", "SGD,"]  # fmt: skip
    assert "4/4 points right" in course[1] and "[xor_autodiff](results/course/xor_autodiff.png)" in course[1]
    assert (output.parent / "results" / "course" / "xor_autodiff.png").is_file()
    # MNIST is not on disk here: listed, with the reason, not run
    assert "| lenet5_mnist | data not present" in text
    assert not Path(tmp_path / "runs" / "lenet5_mnist").exists()
    # --only again: its rows are replaced, the others kept
    assert reproduce.main(["--tiny", "--only", "circles_mlp", "--output", str(output), "--runs", "runs"]) == 0
    again = output.read_text()
    assert "| circles_mlp | `zoo train experiment=circles_mlp`" in again and rows["xor_mlp"] in again
    assert (
        "| lenet5_mnist | data not present" in again
        and sum(line.startswith("| xor_mlp |") for line in section(again, "## Experiments")) == 1
    )
    assert speed["xor_mlp"] in section(again, "## Training speed")


def section(text: str, title: str) -> list[str]:
    """The table rows under a results file's heading."""
    rows = text.split(f"\n{title}\n", 1)[1].split("\n## ", 1)[0].splitlines()
    return [row for row in rows if row.startswith("| ")][1:]  # after the header


def test_every_link_in_the_committed_results_resolves():
    import re

    results = Path(__file__).resolve().parents[2] / "docs" / "RESULTS.md"
    links = re.findall(r"\]\(([^)]+)\)", results.read_text(encoding="utf-8"))
    assert links, "RESULTS.md links no plots"
    broken = [link for link in links if not (results.parent / link).is_file()]
    assert not broken, f"{len(broken)} of {len(links)} links in {results} lead nowhere, e.g. {broken[0]}"


def test_an_unknown_experiment_is_one_clear_error(capsys):
    assert reproduce.main(["--only", "xor_mlpp"]) == 2
    assert "unknown experiment 'xor_mlpp'" in capsys.readouterr().err


def test_the_ngram_baseline_reads_the_test_split_as_the_model_does():
    import math

    from zoo.registry import compose

    cfg = compose("train", ["model=lstm_lm", "data=grammar", "data.num_sentences=300", "name=x"])
    value = reproduce.ngram_baseline(cfg, 3)
    # the grammar's exact entropy is known: a trigram cannot beat it, and is far better than uniform
    from zoo.data.text import LanguageModelDataModule

    data = LanguageModelDataModule(corpus="grammar", num_sentences=300, seed=cfg.seed)
    data.setup()
    vocab = data.tokenizer.get_vocab_size()
    assert data.true_cross_entropy["test"] - 0.05 < value < math.log(vocab) - 1.0, (value, vocab)


def test_a_claim_compares_on_its_own_metric_from_the_test_or_the_last_training_epoch():
    result = {"status": "ok", "train": {"train/loss": 0.09}, "test": {"test/acc": 0.9}}
    assert reproduce.reached(result, "train/loss") == 0.09 and reproduce.reached(result, "test/acc") == 0.9
    assert reproduce.reached({**result, "status": "stopped: ..."}, "test/acc") is None


def test_a_preset_s_samples_are_what_zoo_predict_answers(tmp_path):
    """The Samples table holds the best checkpoint's answers to the preset's inputs, one row per
    input (line breaks shown as ⏎), kept when another experiment is run with --only."""
    import zoo
    from tests.conftest import compose_train
    from zoo.commands.train import train

    summary = train(compose_train(["model=lstm_lm", "data=grammar", "trainer.max_epochs=1"], tmp_path / "lm"))
    samples = reproduce.generated_samples(
        summary["best_checkpoint"], {"input": ["the", "a"], "max_new_tokens": 12}
    )
    expected = zoo.load(summary["best_checkpoint"]).predict("a", max_new_tokens=12, seed=0)[0]["generated"]
    assert samples[1] == {"prompt": "a", "options": "max_new_tokens=12", "output": expected}
    assert samples[0]["prompt"] == "the" and samples[0]["options"] == "max_new_tokens=12"
    row = {"name": "lm", "command": "zoo train", "expected": None, "claim": None, "value": None,
           "result": {"status": "ok", "run_dir": str(tmp_path / "lm"), "wall_time_s": 1.0},
           "samples": [{**samples[0], "output": "a | b\nc"}]}  # fmt: skip
    output = tmp_path / "RESULTS.md"
    reproduce.write_results(output, [row], [], tiny=False)
    line = "| lm | `the` | max_new_tokens=12 | a \\| b ⏎ c |"
    assert line in output.read_text()
    reproduce.write_results(output, [{**row, "name": "other", "samples": None}], [], tiny=False, merge=True)
    assert line in output.read_text()


def test_an_embedding_preset_s_samples_are_nearest_words(tmp_path):
    from tests.conftest import compose_train
    from zoo.commands.train import train

    overrides = ["model=skipgram", "data=grammar_skipgram", "trainer.max_epochs=1"]
    summary = train(compose_train(overrides, tmp_path / "sg"))
    (sample,) = reproduce.generated_samples(summary["best_checkpoint"], {"input": "dog", "top_k": 3})
    assert sample["options"] == "top_k=3" and sample["output"].count("(") == 3  # "word (0.71), ..."


def test_a_translation_preset_s_samples_are_its_translations(tmp_path):
    import zoo
    from tests.conftest import compose_train
    from zoo.commands.train import train

    overrides = ["model=rnn_seq2seq", "data=grammar_translation", "trainer.max_epochs=1"]
    checkpoint = train(compose_train(overrides, tmp_path / "s2s"))["best_checkpoint"]
    sentence = "the dog sees a cat"
    (sample,) = reproduce.generated_samples(checkpoint, {"input": sentence, "beam_size": 3})
    expected = zoo.load(checkpoint).predict(sentence, beam_size=3)[0]["translation"]
    assert sample == {"prompt": sentence, "options": "beam_size=3", "output": expected}


def test_a_baseline_is_given_in_the_units_of_the_preset_s_metric():
    import math

    assert reproduce.in_units_of("test/ppl", 2.0) == math.exp(2.0)
    assert reproduce.in_units_of("test/loss", 2.0) == 2.0


def test_re_evaluated_rows_sit_beside_the_value_as_trained(tmp_path):
    expected = {"metric": "test/bleu", "value": 0.9}
    result = {"status": "ok", "run_dir": str(tmp_path), "wall_time_s": 1.0}
    row = {"name": "s2s", "command": "zoo train", "expected": expected, "claim": None, "value": 0.91,
           "result": result, "reevaluated": [("beam_size=5", 0.93)]}  # fmt: skip
    output = tmp_path / "RESULTS.md"
    reproduce.write_results(output, [row], [], tiny=False)
    assert "| s2s | beam_size=5 | test/bleu | 0.9100 | 0.9300 |" in output.read_text()


def test_a_baseline_row_compares_on_the_baseline_s_own_metric(tmp_path):
    expected = {"metric": "test/groups", "value": 0.5}
    result = {"status": "ok", "run_dir": str(tmp_path), "wall_time_s": 1.0,
              "test": {"test/groups": 0.7, "test/loss": 2.6}}  # fmt: skip
    baseline = {"name": "context-word frequency alone", "value": 2.7, "metric": "test/loss"}
    row = {"name": "sg", "command": "zoo train", "expected": expected, "claim": None, "value": 0.7,
           "result": result, "baseline": baseline}  # fmt: skip
    output = tmp_path / "RESULTS.md"
    reproduce.write_results(output, [row], [], tiny=False)
    assert "| sg | test/loss | 2.6000 | context-word frequency alone | 2.7000 |" in output.read_text()


def test_the_context_frequency_baseline_sits_between_an_untrained_and_a_trained_skip_gram(train_run):
    import math

    from tests.conftest import compose_train

    overrides = ["model=skipgram", "data=grammar_skipgram", "optimizer=adam", "optimizer.lr=0.01"]
    cfg = compose_train(overrides, Path("unused"))
    with_baseline = OmegaConf.merge(cfg, {"baseline": {"context_frequency": True}})
    baseline = reproduce.preset_baseline(with_baseline, None)
    assert baseline["name"] == "context-word frequency alone"
    untrained = (1 + cfg.data.negatives) * math.log(2)  # every score 0: σ = 1/2 for each word
    trained = train_run([*overrides, "trainer.max_epochs=5"])["test"]["test/loss"]
    assert trained < baseline["value"] < untrained, (trained, baseline["value"], untrained)


def test_the_scripts_train_again_into_their_own_folders(tmp_path):
    """reproduce.py, bench.py and gpu_check.py write each run into the same scratch folder every
    time they run: they say overwrite=true, which a finished run's folder otherwise refuses."""
    from scripts import bench, gpu_check
    from zoo.commands.train import train

    short = ["trainer.max_epochs=1", "logger=csv"]
    cfg = reproduce.compose_experiment("xor_mlp", short, tmp_path / "xor")
    assert cfg.overwrite is True
    train(cfg)
    assert train(reproduce.compose_experiment("xor_mlp", short, tmp_path / "xor"))["global_step"] > 0
    assert bench.compose_workload("mlp_digits", "cpu", True, 2, 1, tmp_path).overwrite is True
    assert gpu_check.composed("mlp_fashion_mnist", [], tmp_path, True)[0].overwrite is True


def test_a_section_another_script_wrote_is_kept(tmp_path):
    output = tmp_path / "RESULTS.md"
    output.write_text(
        "# Results\n\n## Experiments\n\n| a | b |\n\n## Next to nanoGPT\n\nmeasured by hand\n| x | 1 |\n"
    )
    reproduce.write_results(output, [], [], tiny=True, merge=True, course=[])
    text = output.read_text()
    assert (
        text.endswith("## Next to nanoGPT\n\nmeasured by hand\n| x | 1 |\n")
        and text.count("## Next to nanoGPT") == 1
    )


def compose_own_files(tmp_path: Path, overrides: list[str], suffix: str) -> Any:
    """A training config over train<suffix> (also the validation split) and test<suffix> in tmp_path."""
    from zoo.registry import compose

    files = [f"data.files.{split}={tmp_path / name}{suffix}" for split, name in
             (("train", "train"), ("val", "train"), ("test", "test"))]  # fmt: skip
    return compose("train", [*overrides, *files])


def test_the_most_frequent_tag_baseline_tags_each_word_by_its_training_counts(tmp_path):
    (tmp_path / "train.conll").write_text("I PRON\nsaw VERB\n\nI PRON\nsaw VERB\n\na DET\nsaw NOUN\n")
    (tmp_path / "test.conll").write_text(
        "I PRON\nsaw NOUN\nzebras NOUN\n"
    )  # saw: VERB (2 of 3); zebras: unseen
    cfg = compose_own_files(tmp_path, ["model=bilstm_tagger", "data=tagged"], ".conll")
    # I -> PRON (right), saw -> VERB (wrong), zebras -> the commonest tag overall, PRON (wrong)
    assert reproduce.most_frequent_tag_baseline(cfg) == 1 / 3


def test_the_copy_source_baseline_scores_the_words_the_two_languages_share(tmp_path):
    (tmp_path / "train.tsv").write_text("Moses spoke to Aaron\tMoisés habló á Aarón\nthe king\tel rey\n")
    # the copy "a b c d e f" against the reference "a b c d x f": 5 of 6 words, 3 of 5 bigrams,
    # 2 of 4 trigrams, 1 of 3 four-grams; equal lengths, so no brevity penalty
    (tmp_path / "test.tsv").write_text("a b c d e f\ta b c d x f\n")
    cfg = compose_own_files(
        tmp_path, ["model=rnn_seq2seq", "data=parallel", "+baseline.copy_source=true"], ".tsv"
    )
    baseline = reproduce.preset_baseline(cfg, "test/bleu")
    assert baseline["name"] == "the source copied" and baseline["metric"] == "test/bleu"
    # the target tokenizer, learnt on Spanish, knows none of a..f: every word is <unk>, which BLEU
    # never counts as a match
    assert baseline["value"] == 0.0
    (tmp_path / "train.tsv").write_text("Moses spoke\ta b c d e f x\n")
    assert reproduce.preset_baseline(cfg, "test/bleu")["value"] == pytest.approx(
        (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25
    )


def test_a_tiny_check_leaves_the_measured_results_and_runs_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    measured = tmp_path / "docs" / "RESULTS.md"
    measured.parent.mkdir()
    measured.write_text("# Results\n\nmeasured\n")
    assert reproduce.main(["--tiny", "--only", "xor_mlp"]) == 0
    assert measured.read_text() == "# Results\n\nmeasured\n"
    assert not (tmp_path / "runs" / "reproduce").exists()
    assert (tmp_path / "runs" / "reproduce-tiny" / "xor_mlp" / "summary.json").is_file()
    assert "**--tiny" in (tmp_path / "runs" / "reproduce-tiny" / "RESULTS.md").read_text()


def test_the_naive_bayes_baseline_counts_the_training_texts_holding_each_word(tmp_path):
    # pos: good 2, film 1, fun 1 (of 4 + 4 words); neg: bad 1, film 1 (2 + 4); priors 2/3, 1/3.
    # "bad film": pos 2/3·1/8·2/8 = 1/48 < neg 1/3·2/6·2/6 = 1/27; "film zebra" (zebra unseen):
    # pos 2/3·2/8 = 1/6 > neg 1/3·2/6 = 1/9, wrong; "good good": good counted once, pos, right
    (tmp_path / "train.csv").write_text("pos,good film\npos,good fun good\nneg,bad film\n")
    (tmp_path / "test.csv").write_text("neg,bad film\nneg,film zebra\npos,good good\n")
    cfg = compose_own_files(
        tmp_path, ["model=cnn_text", "data=labelled_text", "+baseline.naive_bayes=true"], ".csv"
    )
    baseline = reproduce.preset_baseline(cfg, "test/acc")
    assert baseline["metric"] == "test/acc" and baseline["value"] == 2 / 3


def test_a_stop_by_signal_is_said_in_two_lines_not_a_traceback(monkeypatch, capsys):
    from zoo.errors import Interrupted

    def stopped(argv):
        raise Interrupted("SIGTERM", 15, Path("runs/reproduce/x/checkpoints/last.ckpt"), 78)

    monkeypatch.setattr(reproduce, "main", stopped)
    assert reproduce.stopped_cleanly(["--only", "x"]) == 128 + 15
    said = capsys.readouterr().err.splitlines()
    assert said[0] == (
        "reproduce: stopped by SIGTERM at step 78: saved runs/reproduce/x/checkpoints/last.ckpt;"
        " the results file was not written"
    )
    assert len(said) == 2
