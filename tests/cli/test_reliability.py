"""What a new user or an attacker tries first: a shared run folder that would run code, the final
weights on disk, bad values that must be one line, CSVs that must not lose a row, inputs too large
to hold, a sweep job that fails with a bug, two runs in one folder, a character vocabulary."""

import csv
import json
import os
import pickle
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from tests.conftest import compose_train, run_zoo
from tests.data.fixtures import write_mnist
from zoo.checkpoint import load_checkpoint
from zoo.commands.preflight import preflight
from zoo.commands.replay import expand_resume
from zoo.commands.train import train
from zoo.errors import ZooError
from zoo.registry import compose

ROOT = Path(__file__).resolve().parents[2]


def one_line(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert message and "\n" not in message
    return message


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """A finished 2-epoch MLP run on digits: (its summary, its run folder)."""
    folder = tmp_path_factory.mktemp("digits") / "run"
    return train(compose_train(["trainer.max_epochs=2"], folder)), folder


# --- 1. a shared run folder runs no code ----------------------------------------------------------
class Payload:
    """Unpickling this writes a marker file: what an attacker's notes.bin would do."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "the payload ran"))


def plant_payload(run: Path) -> Path:
    """A run folder whose .hydra/overrides.yaml makes a logger call torch.load on a pickle."""
    marker = run.parent / "payload_ran"
    (run / "notes.bin").write_bytes(pickle.dumps(Payload(marker)))
    (run / ".hydra").mkdir(exist_ok=True)
    (run / ".hydra" / "overrides.yaml").write_text(
        "- trainer.max_epochs=3\n"
        "- +logger.notes._target_=torch.load\n"
        f"- +logger.notes.f={run / 'notes.bin'}\n"
        "- +logger.notes.weights_only=false\n"
    )
    return marker


def test_resuming_a_foreign_run_folder_refuses_its_targets_and_runs_no_payload(digits_run, tmp_path):
    import shutil

    run = tmp_path / "shared"
    shutil.copytree(digits_run[1], run)
    marker = plant_payload(run)
    with pytest.raises(ZooError) as error:
        expand_resume([f"resume={run}"])
    assert "+logger.notes._target_=torch.load" in one_line(error)
    # the same override typed on a command line is refused by the target allowlist
    with pytest.raises(ZooError) as error:
        preflight("train", ["+logger.notes._target_=torch.load", f"+logger.notes.f={run / 'notes.bin'}"])
    assert "torch.load" in one_line(error) and "refused" in str(error.value)
    # and by the logger builder itself (the Python API does not pass preflight)
    from zoo.training.loggers import start_logger

    with pytest.raises(ZooError, match="logger.notes"):
        start_logger("notes", {"_target_": "torch.load", "f": str(run / "notes.bin"), "weights_only": False})
    with pytest.raises(ZooError, match="refused"):
        start_logger(
            "csv", {"_target_": "lightning.pytorch.loggers.CSVLogger", "save_dir": {"_target_": "os.getcwd"}}
        )
    # end to end: one line, exit 2, the payload never ran
    result = run_zoo(["train", f"resume={run}"], tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "refused" in result.stderr.strip().splitlines()[-1]
    assert not marker.exists()


def test_a_replayed_interpolation_is_refused_before_anything_is_composed(digits_run, tmp_path):
    import shutil

    run = tmp_path / "shared"
    shutil.copytree(digits_run[1], run)
    (run / ".hydra").mkdir()
    (run / ".hydra" / "overrides.yaml").write_text("- trainer.max_epochs=${nowhere.to.be.found}\n")
    with pytest.raises(ZooError, match="an interpolation") as error:
        expand_resume([f"resume={run}"])
    assert "nowhere.to.be.found" in one_line(error)
    (run / ".hydra" / "overrides.yaml").write_text("- hydra.callbacks.x._target_=os.system\n")
    with pytest.raises(ZooError, match="refused to replay"):
        expand_resume([f"resume={run}"])


# --- 2. last.ckpt holds the final weights ---------------------------------------------------------
def test_last_checkpoint_holds_the_final_step_when_validation_stops_improving(train_run):
    # monitoring val/acc for its minimum: the best checkpoint is the first epoch's, as accuracy rises
    summary = train_run(["trainer.max_epochs=4", "callbacks.monitor=val/acc", "callbacks.mode=min"])
    best, last = load_checkpoint(summary["best_checkpoint"]), load_checkpoint(summary["last_checkpoint"])
    assert best["global_step"] < last["global_step"] == summary["global_step"] == 80
    assert 0 < summary["train"]["train/loss"] < 2.3 and 0 <= summary["train"]["train/acc"] <= 1  # last epoch
    # stopped by max_steps inside an epoch (20 steps an epoch): the last step is on disk too
    summary = train_run(["trainer.max_epochs=10", "trainer.max_steps=50", "trainer.steps_per_batch=1"])
    assert load_checkpoint(summary["last_checkpoint"])["global_step"] == summary["global_step"] == 50
    # and every N steps when asked
    summary = train_run(["trainer.max_epochs=2", "callbacks.every_n_train_steps=7"])
    assert load_checkpoint(summary["last_checkpoint"])["global_step"] == 40


# --- 3. Lightning never falls back to weights_only=False ------------------------------------------
class StopAt:
    """A SIGTERM to this process at a given step: StopOnSignal saves and stops."""

    def __new__(cls, step: int):
        import lightning as L

        class Stop(L.Callback):
            def on_train_batch_end(self, trainer, *args):
                if trainer.global_step == step:
                    os.kill(os.getpid(), signal.SIGTERM)

        return Stop()


def test_a_signal_stop_and_its_resume_never_default_weights_only(tmp_path, caplog):
    from zoo.training.resume import Interrupted

    overrides = ["trainer.max_epochs=3", "trainer.steps_per_batch=1"]
    with caplog.at_level("INFO"), pytest.raises(Interrupted):
        train(compose_train(overrides, tmp_path / "run"), extra_callbacks=[StopAt(25)])
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    # the signal comes after StopOnSignal looked at step 25: it stops at the end of the next one
    assert load_checkpoint(last)["global_step"] == 26
    with caplog.at_level("INFO"):
        summary = train(compose_train([*overrides, f"ckpt_path={last}"], tmp_path / "run"))
    assert summary["global_step"] == 60
    assert "weights_only` was not set" not in caplog.text
    assert "resuming inside an epoch" in caplog.text  # the resumed epoch's train metrics are partial
    assert "data: train 1,257, val 270, test 270" in caplog.text  # the split sizes, once


# --- 4. every bad value is one line ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["model=lenet5", "data=digits"], ["data.input_shape", "model=lenet5 and data=digits"]),
        (["model=lenet5", "data=moons"], ["data.input_shape", "data=moons"]),
        (["model=lstm_lm", "data=digits"], ["data.vocab_size"]),
        (["trainer.max_epochs=-1"], ["trainer.max_steps"]),
        (["+data.val_fraction=0"], ["data.val_fraction"]),
        (["+data.test_fraction=0"], ["data.test_fraction"]),
        (["trainer.devices=0"], ["trainer.devices"]),
        (["trainer.log_every_n_steps=0"], ["trainer.log_every_n_steps"]),
        (["seed=abc"], ["seed", "abc"]),
        (["scheduler=step", "scheduler.step_size=0"], ["scheduler.step_size"]),
        (["callbacks.every_n_train_steps=-1"], ["callbacks.every_n_train_steps"]),
        (["trainer.gradient_clip_val=-1"], ["trainer.gradient_clip_val"]),
        (["trainer.max_steps=0"], ["trainer.max_steps"]),
        (["hydra.run.dir=/etc/hostname/run"], ["/etc/hostname is a file"]),
    ],
)
def test_bad_train_values_are_one_line_before_anything_runs(args, expected):
    with pytest.raises(ZooError) as error:
        preflight("train", args)
    for word in expected:
        assert word in one_line(error)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["top_k=-1"], "top_k"),
        (["top_k=abc"], "top_k"),
        (["batch_size=-1"], "batch_size"),
        (["temperature=nan"], "temperature"),
    ],
)
def test_bad_predict_options_are_one_line(digits_run, args, expected):
    with pytest.raises(ZooError, match=expected):
        preflight("predict", [f"ckpt_path={digits_run[0]['best_checkpoint']}", "input=[1]", *args])


def test_values_that_fail_while_building_are_one_line(train_run, tmp_path, digits_run):
    failures = {
        "model.net.hidden=[-1]": "negative dimension",
        "trainer.accelerator=gpu": "no CUDA GPU",
    }
    if torch.cuda.is_available():
        del failures["trainer.accelerator=gpu"]
    for override, expected in failures.items():
        with pytest.raises(ZooError, match=expected):
            train_run(["trainer.max_epochs=1", override])
    write_mnist(tmp_path / "data", train=100, test=20)  # fewer training images than val_size=5000
    with pytest.raises(ZooError, match="lower data.val_size"):
        train_run(["model=mlp", "data=mnist", f"data.data_dir={tmp_path / 'data'}", "trainer.max_epochs=1"])
    # a finished 2-epoch run resumed with fewer epochs
    last = digits_run[0]["last_checkpoint"]
    with pytest.raises(ZooError, match="has trained 2 epochs already"):
        train_run(["trainer.max_epochs=1", f"ckpt_path={last}"])


def test_float64_training_reaches_the_test_and_the_plots(train_run):
    summary = train_run(["trainer.max_epochs=1", "trainer.precision=64", "callbacks.evaluation_plots=true"])
    assert 0.0 <= summary["test"]["test/acc"] <= 1.0  # it got to the test
    assert (Path(summary["run_dir"]) / "plots" / "confusion_matrix.png").is_file()


def test_bad_files_and_outputs_are_one_line(digits_run, tmp_path):
    from zoo.commands.export import export

    checkpoint = digits_run[0]["best_checkpoint"]
    exported = tmp_path / "exported"
    export(compose("export", [f"ckpt_path={checkpoint}", f"output={exported}"]))
    assert oct((exported / "config.json").stat().st_mode & 0o777) == oct(0o666 & ~current_umask())
    assert oct((exported / "model.safetensors").stat().st_mode & 0o777) == oct(0o666 & ~current_umask())
    with pytest.raises(ZooError, match="is a folder"):
        preflight("train", [f"ckpt_path={exported}"])
    a_file = tmp_path / "a_file.txt"
    a_file.write_text("x")
    cases = [
        ("predict", [f"output={tmp_path}"], "is a folder"),
        ("predict", [f"output={a_file / 'out.csv'}"], "is a file"),
        ("eval", [f"output={tmp_path}"], "is a folder"),
        ("export", [f"output={a_file}"], "is a file"),
    ]
    for command, args, expected in cases:
        extra = ["input=[1]"] if command == "predict" else []
        with pytest.raises(ZooError, match=expected):
            preflight(command, [f"ckpt_path={checkpoint}", *extra, *args])
    deep = tmp_path / "deep"
    deep.mkdir()
    (exported / "model.safetensors").rename(deep / "model.safetensors")
    (deep / "config.json").write_text("[" * 200_000 + "]" * 200_000)
    with pytest.raises(ZooError, match="nested too deeply"):
        load_checkpoint(deep)


def current_umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def test_checkpoint_refusals_say_what_and_never_suggest_weights_only_false(digits_run, tmp_path):
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes(Path(digits_run[0]["best_checkpoint"]).read_bytes()[:5000])
    with pytest.raises(ZooError) as error:
        load_checkpoint(truncated)
    assert "corrupt or truncated" in one_line(error) and "miniz" not in str(error.value)
    pickled = tmp_path / "pickled.ckpt"
    torch.save({"state_dict": {}, "extra": Payload(tmp_path / "ran")}, pickled)
    with pytest.raises(ZooError) as error:
        load_checkpoint(pickled)
    assert "it names" in one_line(error) and "weights_only" not in str(error.value)
    assert not (tmp_path / "ran").exists()


def test_the_cli_reports_a_late_failure_as_one_line(tmp_path):
    from tests.cli.test_cli import one_line_error

    line = one_line_error(run_zoo(["train", "model=lenet5", "data=digits"], tmp_path))
    assert "data.input_shape" in line


# --- 5 and 6. CSV rows: none lost, none wrong, any number of them ---------------------------------
def predict_with(checkpoint: str, source, tmp_path: Path, *extra: str):
    from zoo.commands.predict import predict

    return predict(
        compose(
            "predict", [f"ckpt_path={checkpoint}", f"input={source}", f"paths.output_dir={tmp_path}", *extra]
        )
    )


def test_csv_headers_are_decided_explicitly(digits_run, tmp_path):
    checkpoint = digits_run[0]["best_checkpoint"]
    rows = np.random.default_rng(0).integers(0, 16, size=(3, 64))
    lines = [",".join(map(str, row)) for row in rows]
    (tmp_path / "bom.csv").write_bytes(("\ufeff" + "\n".join(lines) + "\n").encode("utf-8"))
    assert len(predict_with(checkpoint, tmp_path / "bom.csv", tmp_path)) == 3
    header = ",".join(f"pixel{i}" for i in range(64))
    (tmp_path / "header.csv").write_text("\n".join([header, *lines]) + "\n")
    assert len(predict_with(checkpoint, tmp_path / "header.csv", tmp_path)) == 3
    typo = lines[0].replace(",", ",x", 1)
    (tmp_path / "typo.csv").write_text("\n".join([typo, *lines[1:]]) + "\n")
    with pytest.raises(ZooError, match="line 1"):
        predict_with(checkpoint, tmp_path / "typo.csv", tmp_path)
    (tmp_path / "huge.csv").write_text(",".join(["1e308"] * 64) + "\n")
    with pytest.raises(ZooError, match="too large"):
        predict_with(checkpoint, tmp_path / "huge.csv", tmp_path)
    np.save(tmp_path / "scalar.npy", np.float64(3.0))
    with pytest.raises(ZooError, match="single number"):
        predict_with(checkpoint, tmp_path / "scalar.npy", tmp_path)


def test_rows_are_predicted_in_chunks_written_as_they_come_and_summarised(
    digits_run, tmp_path, monkeypatch, capsys
):
    import zoo.data.inputs
    from zoo.checkpoint import restore
    from zoo.predictor import Predictor

    checkpoint = digits_run[0]["best_checkpoint"]
    rows = np.random.default_rng(1).integers(0, 16, size=(25, 64)).astype(float)
    np.savetxt(tmp_path / "rows.csv", rows, delimiter=",", fmt="%g")
    whole = Predictor(*restore(checkpoint, for_trainer=True)).predict(rows)
    monkeypatch.setattr(zoo.data.inputs, "CHUNK_ROWS", 4)
    output = tmp_path / "out.csv"
    output.symlink_to(tmp_path / "target.csv")  # replaced, not written through
    shown = predict_with(checkpoint, tmp_path / "rows.csv", tmp_path, f"output={output}")
    printed = capsys.readouterr().out
    assert len(shown) == 10 and "15 more rows (25 in all)" in printed
    assert not output.is_symlink() and not (tmp_path / "target.csv").exists()
    with output.open() as file:
        written = list(csv.DictReader(file))
    assert [row["class"] for row in written] == [p["class"] for p in whole]
    assert [row["input"] for row in written] == [str(i) for i in range(25)]
    chunks = list(Predictor(*restore(checkpoint, for_trainer=True)).predict_chunks(tmp_path / "rows.csv"))
    assert [len(chunk) for chunk in chunks] == [4, 4, 4, 4, 4, 4, 1]


# --- 7. a sweep job's bug is a row ----------------------------------------------------------------
def test_a_sweep_job_failing_with_any_error_is_a_row(tmp_path, monkeypatch):
    import zoo.commands.train
    from zoo import cli

    real_train = zoo.commands.train.train

    def fails_for_seed_1(cfg, **kwargs):
        if cfg.seed == 1:
            raise RuntimeError("a bug in job 0")
        return real_train(cfg, **kwargs)

    monkeypatch.setattr(zoo.commands.train, "train", fails_for_seed_1)
    monkeypatch.chdir(tmp_path)
    quiet = ["logger=csv", "callbacks.progress=none"]
    code = cli.main(["train", "-m", "seed=1,2", "trainer.max_epochs=1", *quiet,
                     "callbacks.learning_curves=false", "callbacks.evaluation_plots=false"])  # fmt: skip
    assert code == 1
    (table,) = tmp_path.glob("multirun/*/sweep.csv")
    rows = {row["job"]: row for row in csv.DictReader(table.open())}
    assert rows["0"]["status"] == "failed: RuntimeError: a bug in job 0"
    assert rows["1"]["status"] == "ok" and 0.0 <= float(rows["1"]["test_value"]) <= 1.0


# --- 8. one run per folder ------------------------------------------------------------------------
HOLD_LOCK = """
import sys, time
from zoo.commands.common import RunFolderLock
with RunFolderLock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_second_run_into_a_busy_run_folder_is_refused_naming_the_first(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path / "run")], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ZooError) as error:
            train(compose_train(["trainer.max_epochs=1"], tmp_path / "run"))
        assert f"pid {holder.pid}" in one_line(error)
    finally:
        holder.kill()
        holder.wait()
    assert train(compose_train(["trainer.max_epochs=1"], tmp_path / "run"))["global_step"] == 20  # free again


def test_stale_temporary_checkpoints_of_dead_processes_are_removed(tmp_path):
    from zoo.training.resume import remove_stale_temporaries

    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    stale = tmp_path / f".last.ckpt.{dead.stdout.strip()}.tmp"
    live = tmp_path / f".last.ckpt.{os.getpid()}.tmp"
    stale.write_bytes(b"half")
    live.write_bytes(b"in progress")
    assert remove_stale_temporaries(tmp_path) == [stale]
    assert live.exists() and not stale.exists()


# --- 9. a character vocabulary; your own text files from any folder --------------------------------
def test_a_char_vocabulary_follows_the_text_and_text_files_evaluate_from_anywhere(tmp_path, monkeypatch):
    from zoo.checkpoint import restore

    text = tmp_path / "text"
    text.mkdir()
    for split, count in (("train", 200), ("val", 30), ("test", 30)):
        (text / f"{split}.txt").write_text("\n".join(f"the cat sat on mat {i}" for i in range(count)) + "\n")
    monkeypatch.chdir(tmp_path)
    files = ["data.train=text/train.txt", "data.val=text/val.txt", "data.test=text/test.txt"]
    overrides = ["model=lstm_lm", "data=text_files", "data.tokenizer=char", *files, "data.bptt=10"]
    summary = train(compose_train([*overrides, "trainer.max_epochs=1"], tmp_path / "run"))
    characters = set("the cat sat on mat 0123456789")
    checkpoint = load_checkpoint(summary["best_checkpoint"])
    vocab = json.loads(checkpoint["zoo"]["config"])["data"]["vocab_size"]
    assert vocab == len(characters) + 4  # the characters and <pad> <unk> <bos> <eos>, not 30,000
    assert checkpoint["state_dict"]["net.output.weight"].shape[0] == vocab
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    (text / "train.txt").unlink()  # the tokenizer is in the checkpoint: evaluation reads only test
    task, datamodule, _ = restore(summary["best_checkpoint"], for_trainer=True)
    datamodule.setup("test")
    assert set(datamodule.datasets) == {"test"}


# --- 10. smaller things a user sees ---------------------------------------------------------------
@pytest.mark.parametrize(
    "text", ["ein Mann fährt Fahrrad", "it's a,b", "x ${y} z", "a\\b", "end\\", "[MASK] ok"]
)
def test_predict_text_reaches_the_model_as_typed(text):
    from zoo.commands.argv import quote_text_input

    cfg = compose("predict", ["ckpt_path=x", quote_text_input(f"input={text}")])
    assert cfg.input == text
    assert quote_text_input("input=[1,2]") == "input=[1,2]"
    assert quote_text_input("input=[[1, -2.5e3], [3,4]]") == "input=[[1, -2.5e3], [3,4]]"


def test_list_shows_bracketed_descriptions(tmp_path):
    result = run_zoo(["list", "data"], tmp_path)
    assert "[source.txt, target.txt]" in result.stdout


def test_the_summary_prints_paths_unwrapped(digits_run, capsys):
    from zoo.commands import common
    from zoo.commands.train import print_summary

    summary = dict(digits_run[0], run_dir="/a/very/long/folder/" + "x" * 150)
    width = common.console.width
    common.console.width = 60
    try:
        print_summary(summary)
    finally:
        common.console.width = width
    assert f"run folder: {summary['run_dir']}" in capsys.readouterr().out
