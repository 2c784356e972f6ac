"""trainer.steps_per_batch: several optimizer steps per Lightning batch take the same steps, log
the same values at the same steps and stop at the same place as one step per batch."""

import csv

import lightning as L
import pytest
import torch

from tests.conftest import compose_train
from zoo.checkpoint import load_checkpoint
from zoo.commands.train import train
from zoo.data import build_datamodule
from zoo.errors import ZooError
from zoo.registry import plain
from zoo.training.steps import resolve_steps_per_batch


def run(tmp_path, steps_per_batch, extra):
    overrides = [
        "model=mlp",
        "data=digits",
        "trainer.max_epochs=3",
        "trainer.log_every_n_steps=7",
        f"trainer.steps_per_batch={steps_per_batch}",
        *extra,
    ]
    summary = train(compose_train(overrides, tmp_path / f"k{steps_per_batch}"))
    weights = load_checkpoint(summary["last_checkpoint"])["state_dict"]
    with open(f"{summary['run_dir']}/metrics.csv") as file:
        rows = list(csv.DictReader(file))
    return summary, weights, rows


def logged(rows, key):
    return [(row["step"], float(row[key])) for row in rows if row.get(key)]


@pytest.mark.parametrize(
    "extra",
    [
        # clipping, a penalty and a per-step schedule, on the plain step
        ["trainer.gradient_clip_val=0.1", "regularizer=l2", "scheduler=onecycle"],
        # an epoch schedule on the validation loss, value clipping, and the per-step gradient
        # norms (a callback hook around the step: Lightning's own step path)
        [
            "scheduler=plateau",
            "scheduler.patience=0",
            "trainer.gradient_clip_val=0.05",
            "trainer.gradient_clip_algorithm=value",
            "callbacks.gradient_norms=5",
        ],
        # max_steps inside a bundle
        ["trainer.max_steps=45", "optimizer=sgd", "scheduler=step", "scheduler.step_size=1"],
    ],
    ids=["plain-step", "lightning-step", "max-steps"],
)
def test_bundles_of_steps_train_and_log_exactly_as_one_step_per_batch(tmp_path, extra):
    one, one_weights, one_rows = run(tmp_path, 1, extra)
    bundled, bundled_weights, bundled_rows = run(tmp_path, 8, extra)  # 20 batches: bundles 8, 8, 4
    assert bundled["global_step"] == one["global_step"] == (45 if "trainer.max_steps=45" in extra else 60)
    for name, value in one_weights.items():
        assert torch.equal(value, bundled_weights[name]), name
    assert bundled["test"] == one["test"] and bundled["best_val"] == one["best_val"]
    for key in ("train/loss_step", "val/acc", "train/acc"):
        assert logged(bundled_rows, key) == logged(one_rows, key), key
    # the epoch's mean loss: the same sum, added up in another order
    one_mean, bundled_mean = logged(one_rows, "train/loss"), logged(bundled_rows, "train/loss")
    assert [step for step, _ in bundled_mean] == [step for step, _ in one_mean] and len(one_mean) == 3
    assert [value for _, value in bundled_mean] == pytest.approx([value for _, value in one_mean], rel=1e-6)
    assert logged(one_rows, "train/loss_step")  # the comparison compared something
    norms = [key for key in one_rows[0] if key.startswith("grad_2.0_norm")]
    assert bool(norms) == ("callbacks.gradient_norms=5" in extra)
    for key in norms:
        assert logged(bundled_rows, key) == logged(one_rows, key), key


def resolved(overrides, tmp_path):
    config = plain(compose_train(overrides, tmp_path))
    return resolve_steps_per_batch(config, build_datamodule(config["data"]))


def test_auto_bundles_in_memory_data_only_and_a_bad_setting_is_one_line(tmp_path):
    assert resolved(["data=digits"], tmp_path) == 32
    # windows of a token stream carry state from batch to batch: one per Lightning batch
    assert resolved(["model=lstm_lm", "data=synthetic_tokens"], tmp_path) == 1
    # a setting counted in Lightning batches keeps Lightning's automatic optimisation
    assert resolved(["data=digits", "callbacks.every_n_train_steps=5"], tmp_path) == 1
    assert resolved(["data=digits", "+trainer.accumulate_grad_batches=2"], tmp_path) == 1
    with pytest.raises(ZooError, match="positive integer or auto"):
        resolved(["data=digits", "trainer.steps_per_batch=0"], tmp_path)
    with pytest.raises(ZooError, match="callbacks.every_n_train_steps"):
        resolved(["data=digits", "trainer.steps_per_batch=4", "callbacks.every_n_train_steps=5"], tmp_path)
    with pytest.raises(ZooError, match="yields one batch at a time"):
        resolved(["model=lstm_lm", "data=synthetic_tokens", "trainer.steps_per_batch=4"], tmp_path)


class SaveAt(L.Callback):
    """Writes a checkpoint at the end of the batch that reaches `step` (a bundle's end)."""

    def __init__(self, step, path):
        self.step, self.path = step, path

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        if trainer.global_step == self.step:
            trainer.save_checkpoint(self.path)


def test_a_run_resumed_between_two_bundles_of_an_epoch_ends_with_the_same_weights(tmp_path):
    overrides = ["model=mlp", "data=digits", "model.net.dropout=0.3", "trainer.max_epochs=2",
                 "trainer.steps_per_batch=8"]  # fmt: skip
    middle = tmp_path / "step36.ckpt"  # epoch 2 (20 batches: bundles 8, 8, 4), after its second bundle
    whole = train(compose_train(overrides, tmp_path / "whole"), extra_callbacks=[SaveAt(36, middle)])
    resumed = train(compose_train([*overrides, f"ckpt_path={middle}"], tmp_path / "resumed"))
    assert resumed["global_step"] == whole["global_step"] == 40
    expected = load_checkpoint(whole["last_checkpoint"])["state_dict"]
    got = load_checkpoint(resumed["last_checkpoint"])["state_dict"]
    assert all(torch.equal(expected[name], got[name]) for name in expected)
