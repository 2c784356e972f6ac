"""Runs you can list and compare: `zoo runs`, `zoo.runs()`, `zoo runs compare`; training from Python
with `zoo.train` (twice in one process, seeded); a run that fails before training leaves nothing."""

import fcntl
import os

import pytest

import zoo
from tests.conftest import run_zoo
from zoo.errors import ZooError

QUICK = ["trainer.max_epochs=3", "callbacks.progress=none", "logger=csv"]


def test_zoo_train_from_python_twice_gives_the_same_seeded_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first = zoo.train("xor_mlp", QUICK)
    second = zoo.train("xor_mlp", QUICK)
    assert first["run_dir"] != second["run_dir"] and first["run_dir"].startswith("runs/xor_mlp/")
    assert first["test"] == second["test"] and first["test"]["test/acc"] >= 0.75
    assert zoo.load(first["best_checkpoint"])([[1, -1]])[0]["class"] in ("-1", "+1")
    named = zoo.train(overrides=["data=circles", *QUICK], output_dir=tmp_path / "here")
    assert named["run_dir"] == str(tmp_path / "here") and named["name"] == "mlp_circles"
    with pytest.raises(ZooError, match="already holds a run's checkpoints"):
        zoo.train(overrides=["data=circles", *QUICK], output_dir=tmp_path / "here")
    with pytest.raises(ZooError, match="unknown model 'mlpp'"):
        zoo.train(overrides=["model=mlpp"])

    rows = zoo.runs()
    assert [row["name"] for row in rows] == ["xor_mlp", "xor_mlp"]  # runs/ only; newest first
    assert rows[0]["folder"] == second["run_dir"] and rows[0]["status"] == "finished"
    assert rows[0]["test_metric"] == "test/acc" and rows[0]["test_value"] == second["test"]["test/acc"]
    assert (
        zoo.runs("circles*", roots=[tmp_path]) == [] and len(zoo.runs("mlp_circles", roots=[tmp_path])) == 1
    )

    shown = run_zoo(["runs", "xor*"], tmp_path)
    assert shown.returncode == 0 and shown.stdout.startswith("2 runs") and shown.stdout.count("finished") == 2
    compared = run_zoo(["runs", "compare", first["run_dir"], second["run_dir"], "output=both.png"], tmp_path)
    assert compared.returncode == 0, compared.stderr
    assert "val/acc of 2 runs" in compared.stdout and (tmp_path / "both.png").stat().st_size > 1000
    wrong = run_zoo(["runs", "compare", first["run_dir"]], tmp_path)
    assert wrong.returncode == 2 and "two or more run folders" in wrong.stderr


def test_a_runs_status_is_read_from_its_folder(tmp_path):
    stopped = tmp_path / "runs" / "a" / "2026-01-01_00-00-00"
    (stopped / "checkpoints").mkdir(parents=True)
    (stopped / "checkpoints" / "last.ckpt").write_bytes(b"")
    failed = tmp_path / "runs" / "b" / "2026-01-02_00-00-00"
    (failed / ".hydra").mkdir(parents=True)
    (failed / ".hydra" / "config.yaml").write_text("seed: 1\nname: b_run\n")
    running = tmp_path / "runs" / "c"
    (running / "checkpoints").mkdir(parents=True)
    with (running / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        rows = {row["name"]: row for row in zoo.runs(roots=[tmp_path / "runs"])}
    assert rows["a"]["status"] == "stopped" and rows["a"]["checkpoint"].endswith("last.ckpt")
    assert rows["b_run"]["status"] == "failed" and rows["b_run"]["checkpoint"] is None
    assert rows["c"]["status"] == "running"
    assert zoo.runs(roots=[tmp_path / "nothing"]) == []


def test_a_run_that_fails_before_training_leaves_no_folder(tmp_path):
    failed = run_zoo(["train", "experiment=lenet5_mnist"], tmp_path)  # ZOO_OFFLINE: MNIST is missing
    assert failed.returncode == 2 and "MNIST is not in" in failed.stderr
    assert not (tmp_path / "runs" / "lenet5_mnist").exists()
    assert os.listdir(tmp_path / "runs") == [] if (tmp_path / "runs").exists() else True
