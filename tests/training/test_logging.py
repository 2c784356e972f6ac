"""Logging every N steps (trainer.log_every_n_steps) reports the values of those steps exactly."""

import csv

import lightning as L
import pytest

from tests.conftest import compose_train
from zoo.commands.train import train
from zoo.data.base import Bundle


class RecordLosses(L.Callback):
    """The training loss of every step, as the step computed it."""

    def __init__(self):
        self.losses: dict[int, float] = {}
        self.sizes: dict[int, int] = {}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        losses = outputs["loss"].reshape(-1).tolist()  # a bundle of steps (steps_per_batch): several
        first = trainer.global_step - len(losses)
        self.losses.update({first + index: loss for index, loss in enumerate(losses)})
        batches = batch if isinstance(batch, Bundle) else [batch]
        self.sizes.update({first + index: len(part[-1]) for index, part in enumerate(batches)})


@pytest.mark.parametrize("steps_per_batch", ["1", "auto"])
def test_every_nth_step_is_logged_with_the_loss_that_step_computed(tmp_path, steps_per_batch):
    record = RecordLosses()
    overrides = [
        "model=mlp",
        "data=digits",
        "trainer.max_epochs=2",
        "trainer.log_every_n_steps=7",
        f"trainer.steps_per_batch={steps_per_batch}",
    ]
    summary = train(compose_train(overrides, tmp_path / "run"), extra_callbacks=[record])
    with open(f"{summary['run_dir']}/metrics.csv") as file:
        rows = list(csv.DictReader(file))
    logged = {int(row["step"]): float(row["train/loss_step"]) for row in rows if row["train/loss_step"]}
    steps = summary["global_step"]
    assert len(record.losses) == steps == 40  # 2 epochs of 20 batches
    assert sorted(logged) == [step for step in range(steps) if (step + 1) % 7 == 0]
    for step, value in logged.items():
        assert abs(value - record.losses[step]) <= 1e-6 * max(1.0, abs(value)), step
    # the epoch's train/loss: the mean loss per example, each batch's weighted by its size (the
    # last batch of an epoch is smaller: 41 of the 1,257 training images)
    epoch_means = [float(row["train/loss"]) for row in rows if row["train/loss"]]
    assert len(epoch_means) == 2 and sorted(set(record.sizes.values())) == [41, 64]
    for epoch, logged_mean in enumerate(epoch_means):
        epoch_steps = range(20 * epoch, 20 * (epoch + 1))
        weighted = sum(record.losses[s] * record.sizes[s] for s in epoch_steps) / sum(
            record.sizes[s] for s in epoch_steps
        )
        assert abs(logged_mean - weighted) <= 1e-5 * weighted, (epoch, logged_mean, weighted)


def logged_values(run_dir, logger: str) -> list[float]:
    """The val/acc values the logger kept, read back the way its own tools read them."""
    from pathlib import Path

    run_dir = Path(run_dir)
    if logger == "csv":
        with open(run_dir / "metrics.csv") as file:
            return [float(row["val/acc"]) for row in csv.DictReader(file) if row.get("val/acc")]
    if logger == "tensorboard":
        from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

        events = EventAccumulator(str(run_dir / "tensorboard")).Reload()
        return [event.value for event in events.Scalars("val/acc")]
    if logger == "wandb":
        import re

        # The offline run's record file: protobuf HistoryItems, key (field 2) then value_json
        # (field 16), each a length-prefixed string; wandb's own reader is not public any more.
        (record,) = (run_dir / "wandb").glob("offline-run-*/*.wandb")
        data = record.read_bytes()
        items = re.finditer(rb"\x12\x07val/acc\x82\x01(.)", data, re.DOTALL)
        return [float(data[m.end() : m.end() + m.group(1)[0]]) for m in items]
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{run_dir.parent / 'mlflow.db'}")
    (experiment,) = [e for e in client.search_experiments() if e.name == "zoo"]
    (found,) = client.search_runs([experiment.experiment_id])
    return [metric.value for metric in client.get_metric_history(found.info.run_id, "val/acc")]


@pytest.mark.parametrize("logger", ["csv", "tensorboard", "wandb", "mlflow"])
def test_each_logger_preset_logs_an_epoch_offline(tmp_path, logger, monkeypatch):
    monkeypatch.setenv("WANDB_SILENT", "true")
    overrides = [
        "model=mlp",
        "data=xor",
        "trainer.max_epochs=1",
        f"logger={logger}",
        f"paths.log_dir={tmp_path}",
    ]
    summary = train(compose_train(overrides, tmp_path / "run"))
    values = logged_values(summary["run_dir"], logger)
    # one epoch: one value (W&B keeps it twice, in the history and in the run summary)
    assert values and len(set(values)) == 1 and 0.0 <= values[0] <= 1.0, values
