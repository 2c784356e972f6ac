"""Predicting needs no training framework: `zoo.load` and `zoo predict` build each kind of task's
Inference class (zoo.tasks.inference) and a plain data module, in a fresh interpreter that never
imports Lightning, torchmetrics or torchvision, and give the same answers as the whole Lightning
task restored from the same checkpoint."""

import json
import subprocess
import sys

import pytest

from tests.conftest import compose_train, zoo_env
from zoo.checkpoint import restore
from zoo.commands.train import train
from zoo.predictor import Predictor

ONE_STEP = [
    "trainer.max_epochs=1",
    "+trainer.limit_train_batches=3",
    "+trainer.limit_val_batches=1",
    "+trainer.limit_test_batches=1",
]
# One model of each kind of task (and both kinds of state a language model carries), with an input
KINDS = {
    "classifier": (["model=mlp", "data=digits"], [[float(i % 17) for i in range(64)]] * 3),
    "regressor": (["model=mlp_regressor", "data=diabetes"], [[0.01 * i for i in range(10)]]),
    "images": (["model=lenet5", "data=digits_images"], [[[(r * c) % 256 for c in range(32)] for r in range(32)]]),  # noqa: E501
    "sentence_classifier": (["model=lstm_classifier", "data=grammar_sentiment"], "the dog sees the cat"),
    "language_model": (["model=lstm_lm", "data=grammar"], "the dog"),
    "transformer_lm": (["model=transformer_lm", "data=grammar"], "the dog"),
    "tagger": (["model=bilstm_tagger", "data=grammar_pos"], "the dog sees the cat"),
    "translation": (["model=transformer_seq2seq", "data=grammar_translation"], "the dog sees the cat"),
    "masked_lm": (["experiment=bert_mini_mlm_grammar"], "the dog [MASK] the cat"),
    "embedding": (["model=skipgram", "data=grammar_skipgram"], "dog"),
}  # fmt: skip
HEAVY = ("lightning", "torchmetrics", "torchvision", "sklearn")

PREDICT_ALL = """
import json, sys
import zoo
results = {}
for kind, (path, inputs) in json.loads(sys.argv[1]).items():
    predictor = zoo.load(path)
    results[kind] = {"class": type(predictor.task).__name__, "results": predictor.predict(inputs)}
results["imported"] = sorted(m for m in HEAVY if m in sys.modules)
print(json.dumps(results))
""".replace("HEAVY", repr(HEAVY))


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp("kinds")
    return {
        kind: train(compose_train([*overrides, *ONE_STEP], folder / kind))["last_checkpoint"]
        for kind, (overrides, _) in KINDS.items()
    }


def test_every_kind_predicts_without_lightning_and_as_its_lightning_task_does(checkpoints):
    jobs = {kind: (path, KINDS[kind][1]) for kind, path in checkpoints.items()}
    done = subprocess.run(
        [sys.executable, "-c", PREDICT_ALL, json.dumps(jobs)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    fresh = json.loads(done.stdout)
    assert fresh.pop("imported") == []
    for kind, path in checkpoints.items():
        assert fresh[kind]["class"].endswith("Inference"), kind
        whole_task = Predictor(*restore(path, for_trainer=True))  # the Lightning task, as training holds it
        expected = json.loads(json.dumps(whole_task.predict(KINDS[kind][1])))
        assert fresh[kind]["results"] == expected, kind


def test_zoo_predict_and_an_exported_folder_import_no_lightning(checkpoints, tmp_path):
    from zoo.commands.export import export
    from zoo.registry import compose

    folder = tmp_path / "exported"
    export(compose("export", [f"ckpt_path={checkpoints['classifier']}", f"output={folder}",
                              f"paths.output_dir={tmp_path}"]))  # fmt: skip
    script = f"""
import sys
from zoo.cli import main
row = "input={[i % 17 for i in range(64)]}"
code = main(["predict", "ckpt_path={folder}", row, "hydra.run.dir={tmp_path}/h"])
print("CODE", code, sorted(m for m in {HEAVY!r} if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=zoo_env(tmp_path)
    )
    assert "CODE 0 []" in done.stdout, done.stdout + done.stderr
    assert "probability" in done.stdout


def test_a_checkpoint_names_only_known_inference_classes(checkpoints, tmp_path):
    import torch

    from zoo.errors import ZooError

    checkpoint = torch.load(checkpoints["classifier"], weights_only=True)
    for target in ("os.system", "zoo.tasks.inference.base.subprocess", "zoo.tasks.inference.nothing.X"):
        checkpoint["zoo"]["inference"] = target
        torch.save(checkpoint, tmp_path / "bad.ckpt")
        with pytest.raises(ZooError, match="unknown inference class"):
            Predictor.from_checkpoint(tmp_path / "bad.ckpt")
