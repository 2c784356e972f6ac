"""Adding a kind of task touches zoo/tasks/ and configs/ only: a task defined here, outside zoo/,
trains, writes its checkpoint, loads with zoo.load and predicts from raw input through the public
entry points, with nothing in zoo/ edited."""

import re
from collections.abc import Iterator
from typing import Any, ClassVar

import torch
import torch.nn.functional as F
from torchmetrics import MetricCollection
from torchmetrics.classification import BinaryAccuracy

import zoo
from tests.conftest import compose_train
from zoo.commands.train import train
from zoo.data.inputs import model_inputs
from zoo.tasks import Task
from zoo.tasks.classify import with_output_size


class Logistic(Task):
    """Binary logistic regression on top of any net with one output: p = σ(net(x))."""

    monitor: ClassVar[str] = "val/acc"
    monitor_mode: ClassVar[str] = "max"

    def __init__(self, net: dict[str, Any], optimizer=None, scheduler=None, regularizer=None):
        super().__init__()
        self.save_hyperparameters()
        self.setup_task(with_output_size(net, 1))

    def make_metrics(self) -> MetricCollection:
        return MetricCollection({"acc": BinaryAccuracy()})

    def loss_and_outputs(self, batch: Any, stage: str | None = None):
        x, y = batch
        logit = self.net(x).squeeze(-1)
        return F.binary_cross_entropy_with_logits(logit, y.float()), torch.sigmoid(logit), y

    def predict_raw(self, inputs: Any, datamodule: Any, options: dict[str, Any]) -> Iterator[list[dict]]:
        for x, names in model_inputs(datamodule, inputs):
            with torch.no_grad():
                p = torch.sigmoid(self.net(x.to(self.device)).squeeze(-1)).tolist()
            yield [{"input": name, "p": q} for name, q in zip(names, p, strict=True)]


def test_a_task_defined_outside_the_package_trains_checkpoints_loads_and_predicts(tmp_path):
    overrides = ["model=mlp", "data=moons", f"model._target_={__name__}.Logistic", "~model.num_classes",
                 "~model.output", "~model.label_smoothing", "trainer.max_epochs=15"]  # fmt: skip
    summary = train(compose_train(overrides, tmp_path / "run"))
    assert summary["monitor"] == "val/acc" and summary["test"]["test/acc"] > 0.85
    predictor = zoo.load(summary["best_checkpoint"])
    (far_left, far_right) = predictor.predict([[-1.0, 0.5], [2.0, -0.5]])  # one point of each moon
    assert far_left["p"] < 0.5 < far_right["p"]
    assert type(predictor.task).__name__ == "Logistic"


def test_a_new_tasks_results_print_through_zoo_predict(tmp_path, capsys):
    """`zoo predict` asks the task how to show a result (Inference.describe, by default every key
    and value): a kind of task the CLI has never heard of prints its answers."""
    from zoo import cli

    overrides = ["model=mlp", "data=moons", f"model._target_={__name__}.Logistic", "~model.num_classes",
                 "~model.output", "~model.label_smoothing", "trainer.max_epochs=2"]  # fmt: skip
    summary = train(compose_train(overrides, tmp_path / "run"))
    capsys.readouterr()
    assert cli.main(["predict", f"ckpt_path={summary['best_checkpoint']}", "input=[-1.0,0.5]"]) == 0
    printed = capsys.readouterr().out
    assert re.search(r"input: 0, p: 0\.\d+", printed), printed
