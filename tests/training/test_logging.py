"""Logging every N steps (trainer.log_every_n_steps) reports the values of those steps exactly."""

import csv

import lightning as L

from tests.conftest import compose_train
from zoo.commands.train import train


class RecordLosses(L.Callback):
    """The training loss of every step, as the step computed it."""

    def __init__(self):
        self.losses: dict[int, float] = {}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        self.losses[trainer.global_step - 1] = float(outputs["loss"])


def test_every_nth_step_is_logged_with_the_loss_that_step_computed(tmp_path):
    record = RecordLosses()
    overrides = ["model=mlp", "data=digits", "trainer.max_epochs=2", "trainer.log_every_n_steps=7"]
    summary = train(compose_train(overrides, tmp_path / "run"), extra_callbacks=[record])
    with open(f"{summary['run_dir']}/metrics.csv") as file:
        logged = {
            int(row["step"]): float(row["train/loss_step"])
            for row in csv.DictReader(file)
            if row["train/loss_step"]
        }
    steps = summary["global_step"]
    assert len(record.losses) == steps == 40  # 2 epochs of 20 batches
    assert sorted(logged) == [step for step in range(steps) if (step + 1) % 7 == 0]
    for step, value in logged.items():
        assert abs(value - record.losses[step]) <= 1e-6 * max(1.0, abs(value)), step
