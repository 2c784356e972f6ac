"""End to end through subprocesses, as a user types the commands."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import run_zoo


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """`zoo train` with no overrides, once for this module."""
    cwd = tmp_path_factory.mktemp("default_run")
    result = run_zoo(["train"], cwd)
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = (cwd / "runs" / "mlp_digits").iterdir()
    return cwd, run_dir, result


def test_default_train_reaches_95_percent_and_writes_the_run_folder(default_run):
    cwd, run_dir, result = default_run
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["test"]["test/acc"] >= 0.95
    for relative in (
        ".hydra/config.yaml",
        "checkpoints/best.ckpt",
        "checkpoints/last.ckpt",
        "metrics.csv",
        "train.log",
    ):
        assert (run_dir / relative).is_file(), relative
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*"))
    assert "best val/acc" in result.stdout and "test/acc" in result.stdout  # the closing table
    assert summary["wall_time_s"] < 60


def test_eval_reproduces_the_logged_test_metric(default_run, tmp_path):
    cwd, run_dir, _ = default_run
    summary = json.loads((run_dir / "summary.json").read_text())
    output = tmp_path / "eval.json"
    result = run_zoo(["eval", f"ckpt_path={summary['best_checkpoint']}", f"output={output}"], cwd)
    assert result.returncode == 0, result.stderr
    metrics = json.loads(output.read_text())
    assert metrics["test/acc"] == pytest.approx(summary["test"]["test/acc"], abs=1e-6)
    assert metrics["test/loss"] == pytest.approx(summary["test"]["test/loss"], rel=1e-5)


def test_predict_prints_a_class_for_csv_and_npy_rows(default_run, tmp_path):
    from sklearn.datasets import load_digits

    cwd, run_dir, _ = default_run
    digits = load_digits()
    rows = tmp_path / "rows.csv"
    rows.write_text("\n".join(",".join(str(v) for v in row) for row in digits.data[:3]))
    np.save(tmp_path / "rows.npy", digits.data[:3])
    for source in (rows, tmp_path / "rows.npy"):
        output = tmp_path / "predictions.csv"
        result = run_zoo(
            [
                "predict",
                f"ckpt_path={run_dir / 'checkpoints/best.ckpt'}",
                f"input={source}",
                f"output={output}",
            ],
            cwd,
        )
        assert result.returncode == 0, result.stderr
        assert "class" in result.stdout
        predicted = [line.split(",")[1] for line in output.read_text().splitlines()[1:]]
        assert predicted == [str(d) for d in digits.target[:3]]


def test_train_on_moons_with_adam_for_one_epoch(tmp_path):
    result = run_zoo(["train", "model=mlp", "data=moons", "optimizer=adam", "trainer.max_epochs=1"], tmp_path)
    assert result.returncode == 0, result.stderr
    (run_dir,) = (tmp_path / "runs" / "mlp_moons").iterdir()
    assert json.loads((run_dir / "summary.json").read_text())["epochs"] == 1


def test_multirun_makes_one_run_per_value(tmp_path):
    result = run_zoo(["train", "-m", "optimizer=sgd,adam", "trainer.max_epochs=2"], tmp_path)
    assert result.returncode == 0, result.stderr
    (sweep,) = (tmp_path / "multirun").iterdir()
    jobs = sorted(path.name for path in sweep.iterdir() if path.is_dir())
    assert jobs == ["0", "1"]
    for job in jobs:
        assert (sweep / job / "summary.json").is_file() and (sweep / job / "checkpoints/last.ckpt").is_file()
    assert "optimizer=sgd" in result.stdout and "optimizer=adam" in result.stdout


def test_a_failing_sweep_job_keeps_the_others(tmp_path):
    result = run_zoo(["train", "-m", "model.output=softmax,sigmoid", "trainer.max_epochs=1"], tmp_path)
    assert result.returncode == 1
    (sweep,) = (tmp_path / "multirun").iterdir()
    assert (sweep / "0" / "summary.json").is_file()
    assert "failed" in result.stdout and "2 classes" in result.stderr


def test_an_optuna_sweep_runs_offline_reports_the_best_trial_and_tables_every_job(tmp_path):
    import csv

    import yaml

    args = ["train", "hparams_search=optuna", "data=xor", "hydra.sweeper.n_trials=3", "trainer.max_epochs=3"]
    result = run_zoo(args, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    (sweep,) = (tmp_path / "multirun").iterdir()
    with (sweep / "sweep.csv").open() as file:
        rows = list(csv.DictReader(file))
    assert sorted(int(row["job"]) for row in rows) == [0, 1, 2]
    assert all(row["status"] == "ok" and row["monitor"] == "val/acc" for row in rows)
    values = [float(row["best_val"]) for row in rows]
    assert values == sorted(values, reverse=True)  # best first; val/acc is maximised
    for row in rows:  # each job's own summary agrees with the table
        assert json.loads((Path(row["run_dir"]) / "summary.json").read_text())["best_val"] == float(
            row["best_val"]
        )
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert best["best_value"] == pytest.approx(values[0])
    lr = next(o for o in rows[0]["overrides"].split() if o.startswith("optimizer.lr="))
    assert best["best_params"]["optimizer.lr"] == pytest.approx(float(lr.split("=")[1]))
    assert "sweep: 3 jobs, best first" in result.stdout


def test_the_search_direction_follows_the_monitored_metric():
    from zoo.registry import monitor_direction

    assert monitor_direction("zoo.tasks.Classifier") == "maximize"  # val/acc
    assert monitor_direction("zoo.tasks.Regressor") == "minimize"  # val/loss
    assert monitor_direction("zoo.tasks.LanguageModel") == "minimize"  # val/ppl


def test_the_slurm_launcher_preset_composes_to_the_submitit_launcher():
    from hydra.core.global_hydra import GlobalHydra
    from hydra.utils import get_class

    from zoo.registry import compose

    cfg = compose("train", ["launcher=slurm", "hydra.launcher.partition=gpu"], return_hydra_config=True)
    GlobalHydra.instance().clear()
    launcher = cfg.hydra.launcher
    assert get_class(launcher._target_).__name__ == "SlurmLauncher"
    assert launcher.partition == "gpu" and launcher.gpus_per_node == 1 and launcher.max_num_timeout == 3


def test_list_shows_every_group_with_descriptions(tmp_path):
    result = run_zoo(["list"], tmp_path)
    assert result.returncode == 0
    for expected in (
        "models",
        "mlp",
        "perceptron",
        "datasets",
        "digits",
        "xor",
        "optimizers",
        "nesterov",
        "schedulers",
        "onecycle",
        "experiments",
        "xor_mlp",
        "Multi-layer perceptron",
        "hyperparameter searches",
        "Optuna (TPE) search",
    ):
        assert expected in result.stdout


def test_help_explains_the_subcommands(tmp_path):
    result = run_zoo(["--help"], tmp_path)
    assert result.returncode == 0
    for command in ("train", "eval", "predict", "list"):
        assert f"  {command}" in result.stdout


def one_line_error(result) -> str:
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["train", "model=resnet9000"], ["resnet9000", "mlp", "perceptron"]),
        (["train", "trainer.max_epoch=3"], ["trainer.max_epoch"]),
        (["train", "model.net.in_features=10"], ["does not fit", "10"]),
        (["train", "data=mnist", "data.download=true"], ["MNIST", "train-images-idx3-ubyte.gz"]),
        (["eval", "ckpt_path=no/such/best.ckpt"], ["no/such/best.ckpt"]),
        (["predict", "ckpt_path=no/such.ckpt", "input=[1,2]"], ["no/such.ckpt"]),
        (["train", "optimizer.lr=-0.1"], ["optimizer.lr", "-0.1"]),
        (["train", "data.batch_size=0"], ["data.batch_size"]),
        (["train", "optimizer=sgd,adam"], ["sweep", "-m"]),
        (["eval"], ["ckpt_path"]),
        (["fly"], ["fly", "train"]),
    ],
)
def test_bad_input_is_one_readable_line(tmp_path, args, expected):
    line = one_line_error(run_zoo(args, tmp_path))
    for word in expected:
        assert word in line


def test_bad_predict_inputs_are_one_readable_line(default_run, tmp_path):
    cwd, run_dir, _ = default_run
    checkpoint = f"ckpt_path={run_dir / 'checkpoints/best.ckpt'}"
    (tmp_path / "short.csv").write_text("1,2,3\n")
    (tmp_path / "words.csv").write_text("a,b\n1,2\nx,y\n")
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "binary.csv").write_bytes(bytes(range(256)))
    from PIL import Image

    Image.new("RGB", (8, 8)).save(tmp_path / "photo.png")
    cases = {
        "short.csv": "64 features",
        "words.csv": "line 3",
        "empty.csv": "no rows",
        "binary.csv": "UTF-8",
        "missing.csv": "not found",
        "photo.gif": "not found",
        "photo.png": "not trained on images",
    }
    # the command's checks, in-process; the one-line CLI format once, in a fresh process
    from zoo.commands.predict import predict
    from zoo.errors import ZooError
    from zoo.registry import compose

    for name, expected in cases.items():
        config = compose("predict", [checkpoint, f"input={tmp_path / name}", f"paths.output_dir={tmp_path}"])
        with pytest.raises(ZooError, match=expected):
            predict(config)
    line = one_line_error(run_zoo(["predict", checkpoint, f"input={tmp_path / 'short.csv'}"], cwd))
    assert "64 features" in line, line


def test_python_dash_m_and_console_script_agree(tmp_path):
    import sys

    script = Path(sys.executable).parent / "zoo"  # installed beside the interpreter by pip
    assert script.is_file(), "the zoo console script is not installed"
    listed = run_zoo(["list", "models"], tmp_path, program=[str(script)])
    assert listed.returncode == 0 and listed.stdout == run_zoo(["list", "models"], tmp_path).stdout


def test_checkpoint_loads_with_weights_only_and_has_plain_hyperparameters(default_run):
    import torch

    _, run_dir, _ = default_run
    checkpoint = torch.load(Path(run_dir) / "checkpoints/best.ckpt", weights_only=True)
    assert checkpoint["zoo"]["task"] == "zoo.tasks.Classifier"
    assert json.loads(checkpoint["zoo"]["config"])["data"]["dataset"] == "digits"


def test_ddp_on_two_cpu_processes_matches_one_process_at_the_same_global_batch(tmp_path, train_run):
    # Lightning starts the second rank by re-running argv: `zoo train ...` must stay re-runnable.
    # Each rank reads every other batch of the seeded order (Lightning's DistributedSamplerWrapper),
    # so two ranks of 35 see the same 70 examples per step as one process with batches of 70, and
    # DDP's averaged gradient is that batch's gradient: the weights agree up to float summation order.
    # (moons: 700 training examples, 10 global batches, none partial or padded.)
    common = ["data=moons", "trainer.max_epochs=2", "trainer.accelerator=cpu"]
    result = run_zoo(["train", "trainer=ddp", "trainer.devices=2", "data.batch_size=35", *common], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = (tmp_path / "runs" / "mlp_moons").iterdir()
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["epochs"] == 2 and summary["test"]["test/acc"] > 0.7

    single = train_run(["data.batch_size=70", *common])
    assert single["test"]["test/acc"] == pytest.approx(summary["test"]["test/acc"], abs=1e-6)
    import torch

    ddp_weights = torch.load(run_dir / "checkpoints/last.ckpt", weights_only=True)["state_dict"]
    single_dir = Path(single["best_checkpoint"]).parent
    single_weights = torch.load(single_dir / "last.ckpt", weights_only=True)["state_dict"]
    assert ddp_weights.keys() == single_weights.keys()
    for name, value in ddp_weights.items():
        torch.testing.assert_close(value, single_weights[name], rtol=1e-5, atol=1e-6, msg=name)
