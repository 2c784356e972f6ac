"""Progress you can follow: in a log, a line every N steps or seconds (also inside a bundle of
steps) with step/total, epoch, loss, speed and ETA; epochs counted from 1; early stopping and
max_time say that they ended the run; a SIGTERM inside a bundle stops at the bundle's end, one
during validation stops there, and the run resumed from either ends as the uninterrupted one."""

import os
import re
import signal

import lightning as L
import pytest

from tests.conftest import compose_train
from zoo.checkpoint import load_checkpoint
from zoo.commands.train import train
from zoo.errors import Interrupted
from zoo.training.progress import duration, parse_every

PLAIN = ["callbacks.progress=plain", "data=digits", "trainer.max_epochs=2"]


def test_plain_lines_come_every_n_steps_even_inside_a_bundle(tmp_path, caplog):
    with caplog.at_level("INFO", logger="zoo"):
        summary = train(compose_train([*PLAIN, "callbacks.progress_every=10"], tmp_path / "run"))
    total = summary["global_step"]
    steps = [int(step) for step in re.findall(r"step (\d+)/", caplog.text)]
    assert steps == list(range(10, total + 1, 10))  # 10, 20, ...: inside the bundles of 32 steps
    line = next(line for line in caplog.text.splitlines() if "step 10/" in line)
    assert re.search(
        rf"step 10/{total} \(\d+%\)  epoch 1/2  loss \d+\.\d{{4}}  [\d.,]+ steps/s  ETA \d+:\d\d", line
    )
    epochs = re.findall(r"\bepoch (\d)/2  train/acc", caplog.text)
    assert epochs == ["1", "2"]  # counted from 1, as the step lines count them


def test_early_stopping_and_max_time_say_why_the_run_ended(tmp_path, caplog):
    overrides = ["callbacks.progress=plain", "data=circles", "trainer.max_epochs=300", "optimizer.lr=0.5"]
    with caplog.at_level("INFO", logger="zoo"):
        summary = train(compose_train([*overrides, "callbacks.early_stopping={patience: 2}"], tmp_path / "a"))
    stopped = re.search(
        r"early stopping at epoch (\d+): val/acc did not improve for 2 epochs \(best", caplog.text
    )
    assert stopped and int(stopped.group(1)) == summary["epochs"] < 300
    caplog.clear()
    with caplog.at_level("INFO", logger="zoo"):
        train(compose_train([*overrides, "+trainer.max_time=00:00:00:02"], tmp_path / "b"))
    assert re.search(r"max_time reached: stopped at step [\d,]+ of [\d,]+, epoch \d+", caplog.text)


def test_progress_every_reads_steps_or_seconds():
    assert parse_every(500) == (500, None) and parse_every("30s") == (None, 30.0)
    assert duration(59) == "0:59" and duration(3725) == "1:02:05"
    for bad in (0, "30", "xs", -5, True):
        with pytest.raises(Exception, match="progress_every"):
            parse_every(bad)


class SignalAt(L.Callback):
    """SIGTERM to this process after training step `step` (inside a bundle), or during the
    validation after epoch `epoch`."""

    def __init__(self, step: int | None = None, epoch: int | None = None):
        self.step, self.epoch = step, epoch

    def on_step_in_bundle(self, trainer, step, loss):
        if step == self.step:
            os.kill(os.getpid(), signal.SIGTERM)

    def on_validation_batch_end(self, trainer, *args):
        if not trainer.sanity_checking and trainer.current_epoch + 1 == self.epoch:
            os.kill(os.getpid(), signal.SIGTERM)


@pytest.mark.parametrize(("where", "saved_at"), [({"step": 5}, 20), ({"epoch": 1}, 20)])
def test_sigterm_stops_within_a_step_and_the_resumed_run_ends_as_the_whole_one(tmp_path, where, saved_at):
    overrides = ["data=digits", "trainer.max_epochs=3"]  # 20 steps an epoch, in one bundle
    whole = train(compose_train(overrides, tmp_path / "whole"))
    with pytest.raises(Interrupted):
        train(compose_train(overrides, tmp_path / "run"), extra_callbacks=[SignalAt(**where)])
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    assert load_checkpoint(last)["global_step"] == saved_at
    resumed = train(compose_train([*overrides, f"ckpt_path={last}"], tmp_path / "run"))
    assert resumed["global_step"] == whole["global_step"]
    assert resumed["test"] == pytest.approx(whole["test"], abs=1e-6)


def test_the_live_bar_counts_the_runs_steps(tmp_path, capsys):
    summary = train(
        compose_train(["callbacks.progress=rich", "data=digits", "trainer.max_epochs=2"], tmp_path / "run")
    )
    shown = capsys.readouterr().out
    assert f"{summary['global_step']}/{summary['global_step']} steps" in shown  # real batches, not bundles
    assert "epoch 2/2  train/acc" in shown and "steps/s" in shown and "ETA" in shown


def test_a_step_limit_inside_an_epoch_is_validated_and_no_line_repeats_stale_values(tmp_path, caplog):
    overrides = [*PLAIN, "trainer.max_epochs=5", "trainer.max_steps=30", "trainer.steps_per_batch=1"]
    with caplog.at_level("INFO", logger="zoo"):
        summary = train(compose_train([*overrides, "+trainer.check_val_every_n_epoch=1"], tmp_path / "a"))
    assert summary["global_step"] == 30  # 10 steps into epoch 2 (20 steps an epoch)
    import csv
    from pathlib import Path

    rows = list(csv.DictReader(Path(summary["run_dir"], "metrics.csv").read_text().splitlines()))
    validated_at = [int(row["step"]) for row in rows if row.get("val/loss")]
    assert validated_at[-1] == 29  # a validation after the last step (logged at step index 29)
    lines = [line for line in caplog.text.splitlines() if re.search(r"epoch \d/5  ", line)]
    assert len(lines) == 2 and "val/loss" in lines[-1]
    values = [re.search(r"val/loss (\S+)", line).group(1) for line in lines]
    assert values[0] != values[1]  # epoch 2's line shows its own validation, not epoch 1's
