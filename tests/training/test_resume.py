"""A run killed with SIGKILL at any step and resumed from its last checkpoint ends with the same
weights as a run never interrupted; a kill during a checkpoint save never leaves a broken file."""

import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.conftest import compose_train, zoo_env
from zoo.checkpoint import load_checkpoint
from zoo.commands.train import train

ROOT = Path(__file__).resolve().parents[2]
# Dropout draws random numbers at every step; last.ckpt every 3 steps. The MLP: 20 shuffled
# batches an epoch. The LSTM LM: 4 windows an epoch, in order, its state carried between them.
RUN = ["model=mlp", "data=digits", "model.net.dropout=0.3", "trainer.max_epochs=3",
       "callbacks.every_n_train_steps=3"]  # fmt: skip
LM_RUN = ["model=lstm_lm", "data=grammar", "data.num_sentences=600", "model.net.dropout=0.3",
          "trainer.max_epochs=3", "callbacks.every_n_train_steps=3"]  # fmt: skip
# LeNet-5 with random crops and flips drawn on the CPU while the loader prefetches the next batch.
AUGMENTED_RUN = ["model=lenet5", "data=digits_images", "data.augment=crop_flip",
                 "trainer.max_epochs=2", "callbacks.every_n_train_steps=3"]  # fmt: skip
RUNS = {"mlp": (RUN, 60), "lstm_lm": (LM_RUN, 12), "lenet_augmented": (AUGMENTED_RUN, 40)}  # overrides, steps

KILLED_RUN = """
import os, signal, sys
import lightning as L
from tests.conftest import compose_train
from zoo.commands.train import train

class KillAt(L.Callback):
    def on_train_batch_end(self, trainer, *args):
        if trainer.global_step == int(sys.argv[2]):
            os.kill(os.getpid(), signal.SIGKILL)

train(compose_train(sys.argv[3:], sys.argv[1]), extra_callbacks=[KillAt()])
"""


def weights(checkpoint: str | Path) -> dict[str, torch.Tensor]:
    return load_checkpoint(checkpoint)["state_dict"]


@pytest.fixture(scope="module")
def whole_runs(tmp_path_factory):
    """name -> the summary of that run never interrupted (trained on first use)."""
    runs = {}

    def get(name: str) -> dict:
        if name not in runs:
            runs[name] = train(compose_train(RUNS[name][0], tmp_path_factory.mktemp("whole") / name))
        return runs[name]

    return get


@pytest.fixture
def uninterrupted(whole_runs):
    return whole_runs("mlp")


@pytest.mark.parametrize("name, seed", [("mlp", 0), ("mlp", 1), ("lstm_lm", 0), ("lenet_augmented", 0)])
def test_a_run_killed_at_a_random_step_resumes_to_the_same_weights(whole_runs, tmp_path, name, seed):
    overrides, steps = RUNS[name]
    uninterrupted = whole_runs(name)
    kill_at = random.Random(seed).randrange(4, steps)  # mid-epoch or not, wherever it falls
    run_dir = tmp_path / "run"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_RUN, str(run_dir), str(kill_at), *overrides],
        cwd=ROOT, env=zoo_env(tmp_path), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert killed.returncode == -9, killed.stderr[-2000:]
    last = run_dir / "checkpoints" / "last.ckpt"
    assert load_checkpoint(last)["global_step"] <= kill_at  # it died before finishing
    resumed = train(compose_train([*overrides, f"ckpt_path={last}"], run_dir))
    assert resumed["global_step"] == uninterrupted["global_step"] == steps
    expected, got = weights(uninterrupted["last_checkpoint"]), weights(resumed["last_checkpoint"])
    assert expected.keys() == got.keys()
    assert all(torch.equal(expected[name], got[name]) for name in expected), kill_at


SAVING_FOREVER = """
import sys, torch
from zoo.training.resume import AtomicCheckpointIO
io, step = AtomicCheckpointIO(), 0
while True:
    step += 1
    io.save_checkpoint({"state_dict": {"w": torch.full((500_000,), float(step))}, "step": step}, sys.argv[1])
    print(step, flush=True)
"""


def test_a_kill_during_a_save_always_leaves_a_loadable_last_checkpoint(tmp_path):
    path = tmp_path / "last.ckpt"
    for kill in range(5):
        process = subprocess.Popen(
            [sys.executable, "-c", SAVING_FOREVER, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for _ in range(1 + kill):  # let it write a few times, then kill it wherever it is
            process.stdout.readline()
        process.kill()
        process.wait()
        checkpoint = load_checkpoint(path)
        assert torch.equal(checkpoint["state_dict"]["w"], torch.full((500_000,), float(checkpoint["step"])))


def test_sigterm_saves_a_checkpoint_and_prints_the_command_that_resumes_exactly(tmp_path):
    import json
    import signal
    import time

    from tests.conftest import run_zoo

    overrides = ["model=mlp", "data=digits", "model.net.dropout=0.3", "trainer.max_epochs=25", "seed=3"]
    process = subprocess.Popen(
        [sys.executable, "-m", "zoo", "train", *overrides], cwd=tmp_path, env=zoo_env(tmp_path),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.time() + 120
    while not list(tmp_path.glob("runs/*/*/checkpoints/last.ckpt")) and time.time() < deadline:
        time.sleep(0.05)  # training has started once the first epoch's checkpoint is there
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM, stderr[-2000:]
    assert "zoo: stopped by SIGTERM at step" in stderr
    assert "weights_only` was not set" not in stderr  # Lightning never falls back to False
    (run_dir,) = tmp_path.glob("runs/*/*")
    assert f"resume with: zoo train resume={run_dir}" in stderr
    step = load_checkpoint(run_dir / "checkpoints" / "last.ckpt")["global_step"]
    assert 0 < step < 500  # 25 epochs of 20 steps: stopped on the way

    resumed = run_zoo(["train", f"resume={run_dir}"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "weights_only` was not set" not in resumed.stdout + resumed.stderr
    assert list(tmp_path.glob("runs/*/*")) == [run_dir]  # the same run folder, now finished
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["global_step"] == 500
    whole = train(compose_train(overrides, tmp_path / "whole"))
    expected, got = weights(whole["last_checkpoint"]), weights(summary["last_checkpoint"])
    assert all(torch.equal(expected[name], got[name]) for name in expected)


def test_the_same_seed_gives_the_same_metrics_and_weights(uninterrupted, tmp_path):
    again = train(compose_train(RUN, tmp_path / "again"))
    assert again["test"] == uninterrupted["test"] and again["best_val"] == uninterrupted["best_val"]
    expected, got = weights(uninterrupted["last_checkpoint"]), weights(again["last_checkpoint"])
    assert all(torch.equal(expected[name], got[name]) for name in expected)
    other_seed = train(compose_train([*RUN, "seed=7"], tmp_path / "other"))
    first = next(iter(expected))
    assert not torch.equal(weights(other_seed["last_checkpoint"])[first], expected[first])


def test_a_full_disk_during_a_save_stops_with_one_line_and_keeps_the_previous_checkpoint(tmp_path):
    import resource
    import signal

    run_dir = tmp_path / "run"
    overrides = ["model=mlp", "data=digits"]
    train(compose_train([*overrides, "trainer.max_epochs=2"], run_dir))
    last = run_dir / "checkpoints" / "last.ckpt"
    size, step = last.stat().st_size, load_checkpoint(last)["global_step"]

    def small_disk() -> None:  # no file may grow past half a checkpoint: a write fails like on a full disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the OS then answers EFBIG instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (size // 2, size // 2))

    resumed = subprocess.run(  # continue it, in its folder, through the CLI
        [sys.executable, "-m", "zoo", "train", *overrides, "trainer.max_epochs=4", f"ckpt_path={last}",
         f"hydra.run.dir={run_dir}"],
        cwd=tmp_path, env=zoo_env(tmp_path), capture_output=True, text=True, timeout=300,
        preexec_fn=small_disk,
    )  # fmt: skip
    assert resumed.returncode != 0
    message = resumed.stderr.strip().splitlines()
    assert len(message) == 1 and "could not write the checkpoint" in message[0], resumed.stderr[-2000:]
    assert "File too large" in message[0] and "previous one is kept" in message[0]
    assert "Traceback" not in resumed.stderr
    assert load_checkpoint(last)["global_step"] == step  # the previous checkpoint, whole
    assert not list(run_dir.glob("checkpoints/.*.tmp"))  # no partial file left behind
