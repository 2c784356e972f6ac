"""Your own labelled data, each kind through the README's commands: a CSV table, a CoNLL-style
tagged file and a labelled-text CSV, trained and predicted from; and their readers' one-line
errors (missing column, ragged rows, a label or tag of val/test that training never saw)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

import zoo
from tests.conftest import run_zoo
from zoo.data import build_datamodule, grammar
from zoo.data.corpus_readers import read_labelled_folder, read_labelled_texts, read_tagged
from zoo.errors import ZooError

SEQUENCES = "zoo.data.sequences.SequenceDataModule"
QUIET = [
    "callbacks.progress=none",
    "logger=csv",
    "callbacks.learning_curves=false",
    "callbacks.evaluation_plots=false",
]


def write_grammar_conll(path: Path, count: int, seed: int) -> None:
    """Generated sentences as 3-column CoNLL: word, a lemma-like column, the POS tag."""
    lines = []
    for sentence in grammar.generate(count, seed):
        lines += [
            f"{word}\t{word.lower()}\t{tag}" for word, tag in zip(sentence.words, sentence.tags, strict=True)
        ]
        lines.append("")
    path.write_text("\n".join(lines))


def write_grammar_sentiment_csv(path: Path, count: int, seed: int) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", "sentence", "mood"])
        for index, sentence in enumerate(grammar.generate(count, seed)):
            writer.writerow([index, " ".join(sentence.words), ("sad", "glad")[sentence.sentiment]])


def summary_of(cwd: Path, name: str) -> dict:
    (run_dir,) = (cwd / "runs" / name).iterdir()
    return json.loads((run_dir / "summary.json").read_text())


def test_your_csv_table_trains_and_predicts(tmp_path: Path):
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer()
    names = [name.replace(" ", "_") for name in data.feature_names]
    with (tmp_path / "cells.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow([*names, "diagnosis"])
        for row, target in zip(data.data[:500], data.target[:500], strict=True):
            writer.writerow([*row, data.target_names[target]])
    (tmp_path / "new.csv").write_text(
        "\n".join([",".join(names), *(",".join(map(str, row)) for row in data.data[500:505])])
    )
    train = run_zoo(["train", "model=mlp", "data=csv", "data.files.train=cells.csv", "data.target=diagnosis",
                     "trainer.max_epochs=20", *QUIET], tmp_path)  # fmt: skip
    assert train.returncode == 0, train.stderr[-2000:]
    summary = summary_of(tmp_path, "mlp_csv")
    assert summary["test"]["test/acc"] >= 0.9
    predict = run_zoo(
        ["predict", f"ckpt_path={summary['best_checkpoint']}", "input=new.csv", "output=out.csv"], tmp_path
    )
    assert predict.returncode == 0, predict.stderr[-2000:]
    predicted = [row["class"] for row in csv.DictReader((tmp_path / "out.csv").open())]
    expected = [data.target_names[t] for t in data.target[500:505]]
    assert sum(p == e for p, e in zip(predicted, expected, strict=True)) >= 4
    # a table with a header is read by column name: other order, an id and the target are no matter
    with (tmp_path / "shuffled.csv").open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["id", *reversed(names), "diagnosis"])
        for number, row in enumerate(data.data[500:505]):
            writer.writerow([f"cell-{number}", *reversed(row), "?"])
    predictor = zoo.load(summary["best_checkpoint"])
    by_name = [result["top"] for result in predictor.predict(str(tmp_path / "shuffled.csv"))]
    in_order = [result["top"] for result in predictor.predict(str(tmp_path / "new.csv"))]
    assert by_name == in_order
    short = [",".join(names[1:]), ",".join(["1"] * (len(names) - 1))]
    (tmp_path / "short.csv").write_text("\n".join(short) + "\n")
    with pytest.raises(ZooError, match=f"short.csv has no column '{names[0]}': the model reads the columns"):
        predictor.predict(str(tmp_path / "short.csv"))


def train_then_predict(cwd: Path, command: list[str], run_name: str, text: str) -> tuple[dict, str]:
    """`zoo train <command>` as the README shows it, then `zoo predict` of its best checkpoint on
    `text`: the run's summary and what predict printed."""
    train = run_zoo(["train", *command, *QUIET], cwd)
    assert train.returncode == 0, train.stderr[-2000:]
    summary = summary_of(cwd, run_name)
    predict = run_zoo(["predict", f"ckpt_path={summary['best_checkpoint']}", f"input={text}"], cwd)
    assert predict.returncode == 0, predict.stderr[-2000:]
    return summary, predict.stdout


def test_your_conll_file_trains_a_tagger_and_predicts(tmp_path: Path):
    write_grammar_conll(tmp_path / "train.conll", 600, seed=1)
    write_grammar_conll(tmp_path / "test.conll", 100, seed=2)
    command = ["model=bilstm_tagger", "data=tagged", "data.files.train=train.conll",
               "data.files.test=test.conll", "data.tag_column=2", "trainer.max_epochs=4"]  # fmt: skip
    summary, printed = train_then_predict(tmp_path, command, "bilstm_tagger_tagged", "the old dog sees a cat")
    assert summary["test"]["test/acc"] >= 0.9
    assert "DET" in printed and "NOUN" in printed


def test_your_labelled_texts_train_a_classifier_and_predict(tmp_path: Path):
    write_grammar_sentiment_csv(tmp_path / "moods.csv", 1500, seed=3)
    command = ["model=lstm_classifier", "data=labelled_text", "data.files.train=moods.csv",
               "data.label_column=mood", "data.text_column=sentence", "trainer.max_epochs=6"]  # fmt: skip
    run = "lstm_classifier_labelled_text"
    summary, printed = train_then_predict(tmp_path, command, run, "the dog loves a good cat")
    assert summary["test"]["test/acc"] >= 0.8
    assert "glad" in printed or "sad" in printed


# --- the readers' errors ---------------------------------------------------------------------------
def test_tagged_reader_chooses_columns_and_refuses_ragged_rows(tmp_path: Path):
    (tmp_path / "a.conll").write_text(
        "# a comment\nEU\tNNP\tB-ORG\nrejects\tVBZ\tO\n\n-DOCSTART-\tX\tO\nGo\tVB\tO\n"
    )
    assert read_tagged(tmp_path / "a.conll") == [(["EU", "rejects"], ["B-ORG", "O"]), (["Go"], ["O"])]
    assert read_tagged(tmp_path / "a.conll", tag_column=1)[0][1] == ["NNP", "VBZ"]
    with pytest.raises(ZooError, match="tag_column=5 but the rows have 3 columns"):
        read_tagged(tmp_path / "a.conll", tag_column=5)
    (tmp_path / "words.txt").write_text("EU\nrejects\n")
    with pytest.raises(ZooError, match="the token and the tag are the same column"):
        read_tagged(tmp_path / "words.txt")
    (tmp_path / "b.conll").write_text("EU NNP B-ORG\nrejects O\n")
    with pytest.raises(ZooError, match=r"b.conll:2: 2 columns, the first token line 3 \(ragged rows\)"):
        read_tagged(tmp_path / "b.conll")


def test_a_tag_of_the_test_file_that_training_never_saw_is_one_line(tmp_path: Path):
    (tmp_path / "train.conll").write_text("a DET\ndog NOUN\n\nthe DET\ncat NOUN\n")
    (tmp_path / "test.conll").write_text("a DET\nruns VERB\n")
    train, test = str(tmp_path / "train.conll"), str(tmp_path / "test.conll")
    files = {"train": train, "val": train, "test": test}
    data = build_datamodule({"_target_": SEQUENCES, "source": "tagged", "files": files})
    with pytest.raises(ZooError, match=r"tags \['VERB'\] are not in data.tags \['DET', 'NOUN'\]"):
        data.setup("fit")


def test_labelled_text_reader_reads_quoted_csv_by_name_or_position(tmp_path: Path):
    (tmp_path / "a.csv").write_text('label,text\npos,"good, ""very"" good\nfilm"\nneg,bad\n')
    assert read_labelled_texts(tmp_path / "a.csv", "label", "text") == [
        ("pos", 'good, "very" good\nfilm'),
        ("neg", "bad"),
    ]
    (tmp_path / "b.tsv").write_text("bad film\t0\ngood\t1\n")
    assert read_labelled_texts(tmp_path / "b.tsv", 1, 0) == [("0", "bad film"), ("1", "good")]
    with pytest.raises(ZooError, match="no column 'score'"):
        read_labelled_texts(tmp_path / "a.csv", "score", "text")
    (tmp_path / "c.csv").write_text("pos,good\nneg\n")
    with pytest.raises(ZooError, match="row 2 has 1 columns"):
        read_labelled_texts(tmp_path / "c.csv")


def test_labelled_folders_and_an_unknown_test_label(tmp_path: Path):
    for label, texts in (("neg", ["bad", "awful"]), ("pos", ["good", "great"])):
        (tmp_path / "train" / label).mkdir(parents=True)
        for index, text in enumerate(texts):
            (tmp_path / "train" / label / f"{index}.txt").write_text(text)
    assert read_labelled_folder(tmp_path / "train") == [
        ("neg", "bad"),
        ("neg", "awful"),
        ("pos", "good"),
        ("pos", "great"),
    ]
    (tmp_path / "test.csv").write_text("neutral,fine\n")
    files = {
        "train": str(tmp_path / "train"),
        "val": str(tmp_path / "train"),
        "test": str(tmp_path / "test.csv"),
    }
    data = build_datamodule(
        {"_target_": SEQUENCES, "source": "labelled_text", "target": "label", "files": files}
    )
    with pytest.raises(
        ZooError, match="the test split has label 'neutral', which is not a class \\(neg, pos\\)"
    ):
        data.setup("fit")


@pytest.mark.parametrize(
    ("text", "options", "message"),
    [
        ("a,b,y\n1,2,x\n3,4\n", {}, r"t.csv:3: 2 values for the header's 3 columns \(ragged rows\)"),
        ("a,b,y\n1,2,x\n", {"target": "label"}, "no column 'label'"),
        ("a,b,y\n1,two,x\n", {}, "t.csv:2: column 'b' is not a number: 'two'"),
        ("a,b,y\n1,2,x\n", {"task": "regress"}, "must hold numbers for task=regress"),
    ],
)
def test_csv_table_errors_are_one_line(tmp_path: Path, text: str, options: dict, message: str):
    (tmp_path / "t.csv").write_text(text)
    config = {
        "_target_": "zoo.data.tabular.CsvDataModule",
        "files": {"train": str(tmp_path / "t.csv")},
        "target": "y",
    }
    with pytest.raises(ZooError, match=message):
        build_datamodule({**config, **options}).setup("fit")


def test_csv_table_refuses_a_test_class_training_never_saw(tmp_path: Path):
    (tmp_path / "train.csv").write_text("a,y\n1,x\n2,z\n3,x\n")
    (tmp_path / "test.csv").write_text("a,y\n1,w\n")
    files = {
        "train": str(tmp_path / "train.csv"),
        "val": str(tmp_path / "train.csv"),
        "test": str(tmp_path / "test.csv"),
    }
    data = build_datamodule({"_target_": "zoo.data.tabular.CsvDataModule", "files": files, "target": "y"})
    with pytest.raises(ZooError, match="test split has class 'w', which is not a class \\(x, z\\)"):
        data.setup("fit")
