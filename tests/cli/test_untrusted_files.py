"""Checkpoints, exports, images and prompts from someone else, and a machine that runs out of disk
(#28, items 6-12): each either works or is one line with a non-zero exit, never a traceback, a
hang, unbounded memory or a silent wrong answer."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
import torch

import zoo
from tests.conftest import compose_train, run_zoo
from zoo.commands.train import train
from zoo.errors import ZooError

ROOT = Path(__file__).resolve().parents[2]


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The single stderr line of a failed `zoo` run (Hydra's own log lines aside)."""
    lines = [line for line in result.stderr.strip().splitlines() if not re.match(r"\[[\d:,\- ]+\]\[", line)]
    assert result.returncode != 0 and len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[
        -2000:
    ]
    return lines[0]


def edited(checkpoint: Path, target: Path, edit) -> Path:
    """A copy of `checkpoint` at `target` after `edit(checkpoint dict)`."""
    data = torch.load(checkpoint, weights_only=True)
    edit(data)
    torch.save(data, target)
    return target


@pytest.fixture(scope="module")
def digits_checkpoint(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("digits") / "run"
    return Path(train(compose_train(["trainer.max_epochs=2"], folder))["best_checkpoint"])


@pytest.fixture(scope="module")
def text_checkpoint(tmp_path_factory) -> tuple[Path, Path]:
    """A character LSTM LM trained on your-own text files: (checkpoint, the folder of the files)."""
    folder = tmp_path_factory.mktemp("text")
    for split, count in (("train", 300), ("val", 40), ("test", 40)):
        (folder / f"{split}.txt").write_text("\n".join(f"the cat sat on the mat {i}" for i in range(count)))
    files = [f"data.{split}={folder / f'{split}.txt'}" for split in ("train", "val", "test")]
    overrides = ["model=lstm_lm", "data=text_files", "data.tokenizer=char", "data.bptt=20", *files]
    summary = train(compose_train([*overrides, "trainer.max_epochs=1"], folder / "run"))
    return Path(summary["best_checkpoint"]), folder


# --- 6. paths stored in a checkpoint ---------------------------------------------------------------
def with_test_file(path: str):
    def edit(checkpoint):
        checkpoint["LanguageModelDataModule"]["paths"]["test"] = path

    return edit


def test_eval_reads_only_regular_files_the_checkpoint_names(text_checkpoint, tmp_path):
    checkpoint, _ = text_checkpoint
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for bad, said in (("/dev/zero", "not a regular file"), (str(fifo), "not a regular file"),
                      ("/etc", "is a folder"), (str(tmp_path / "gone.txt"), "not found")):  # fmt: skip
        target = edited(checkpoint, tmp_path / "bad.ckpt", with_test_file(bad))
        result = run_zoo(["eval", f"ckpt_path={target}"], tmp_path, timeout=120)  # a FIFO read would hang
        assert said in one_line_error(result) and bad in one_line_error(result)


def test_eval_reads_and_downloads_in_this_invocations_data_folder_never_the_stored_one(
    text_checkpoint, tmp_path
):
    checkpoint, files = text_checkpoint
    evil = tmp_path / "evil"

    def elsewhere(data):  # the same text as the tiny_shakespeare corpus, stored data_dir elsewhere
        config = json.loads(data["zoo"]["config"])
        config["data"].update(corpus="tiny_shakespeare", data_dir=str(evil))
        data["zoo"]["config"] = json.dumps(config)

    target = edited(checkpoint, tmp_path / "moved.ckpt", elsewhere)
    mine = tmp_path / "data" / "tiny_shakespeare"  # run_zoo sets ZOO_DATA_DIR=<cwd>/data
    mine.mkdir(parents=True)
    shutil.copy(files / "train.txt", mine / "input.txt")
    result = run_zoo(["eval", f"ckpt_path={target}"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "test/ppl" in result.stdout and not evil.exists()


# --- 7. hyperparameters are checked against the stored tensors before allocating -----------------
LOAD_AND_MEASURE = """
import resource, sys, time
import zoo
from zoo.errors import ZooError
started = time.time()
try:
    zoo.load(sys.argv[1])
    print("loaded")
except ZooError as error:
    print(error)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, round(time.time() - started, 1))
"""


def test_hyperparameters_asking_for_a_huge_model_are_refused_before_anything_is_allocated(
    digits_checkpoint, tmp_path
):
    def huge(checkpoint):
        checkpoint["hyper_parameters"]["net"]["hidden"] = [20000, 20000]  # 1.6 GB a layer

    target = edited(digits_checkpoint, tmp_path / "huge.ckpt", huge)

    def load(path: Path) -> tuple[str, int, float]:
        result = subprocess.run([sys.executable, "-c", LOAD_AND_MEASURE, str(path)], capture_output=True,
                                text=True, cwd=ROOT, timeout=120)  # fmt: skip
        message, measured = result.stdout.strip().splitlines()
        return message, int(measured.split()[0]), float(measured.split()[1])

    message, peak_mb, seconds = load(target)
    _, usual_peak_mb, _ = load(digits_checkpoint)
    assert "(20000, 64) in the model" in message and "net.layers.0.weight" in message
    assert peak_mb < usual_peak_mb + 200 and seconds < 30  # building it would take 3.2 GB more


# --- 9. non-finite weights and outputs -------------------------------------------------------------
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_weights_are_refused_at_load(digits_checkpoint, tmp_path, value):
    def poison(checkpoint):
        checkpoint["state_dict"]["net.layers.0.weight"][3, 5] = value

    target = edited(digits_checkpoint, tmp_path / "poisoned.ckpt", poison)
    with pytest.raises(ZooError, match=r"not finite: net.layers.0.weight holds NaN or infinity"):
        zoo.load(target)
    result = run_zoo(["predict", f"ckpt_path={target}", f"input=[{','.join(['1'] * 64)}]"], tmp_path)
    assert "not finite" in one_line_error(result)


def test_non_finite_outputs_are_an_error_never_a_row(digits_checkpoint):
    predictor = zoo.load(digits_checkpoint)
    assert len(predictor.predict([[1.0] * 64])) == 1
    with pytest.raises(ZooError, match="not finite"):
        predictor.predict([[3e38] * 64])  # finite input, overflowing the first layer


# --- 10. prompts -----------------------------------------------------------------------------------
def test_a_transformer_prompt_longer_than_its_context_reads_its_last_window(train_run):
    overrides = ["model=transformer_lm", "data=grammar", "model.net.context=16", "model.net.d_model=32",
                 "model.net.num_layers=1", "model.net.d_ff=64", "trainer.max_epochs=1",
                 "data.bptt=16"]  # fmt: skip
    predictor = zoo.load(train_run(overrides)["best_checkpoint"])
    long_prompt = " ".join(["the happy dog sees a cat ."] * 20)  # about 140 tokens
    (result,) = predictor.predict(long_prompt, max_new_tokens=5, temperature=0)
    assert isinstance(result["generated"], str)  # read whole (after one epoch it may end at once)
    task = predictor.task
    prompt = torch.randint(4, 30, (1, 60))
    assert torch.equal(
        task.continuation(prompt, 8, temperature=0), task.continuation(prompt[:, -16:], 8, temperature=0)
    )


def test_a_recurrent_prompt_is_read_in_chunks_that_agree_with_one_pass(text_checkpoint):
    task = zoo.load(text_checkpoint[0]).task
    prompt = torch.randint(4, 20, (1, 700))
    chunked, _ = task.read_prompt(prompt)
    whole, _ = task(prompt)
    torch.testing.assert_close(chunked, whole[:, -1], atol=1e-5, rtol=1e-5)


LONG_PROMPT = """
import resource, sys
import zoo
predictor = zoo.load(sys.argv[1])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
(result,) = predictor.predict("the cat sat on the mat " * 20000, max_new_tokens=5)  # 460,000 characters
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024)
"""


def test_a_long_recurrent_prompt_costs_the_memory_of_a_chunk(text_checkpoint):
    result = subprocess.run([sys.executable, "-c", LONG_PROMPT, str(text_checkpoint[0])],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout.strip()) < 300  # MB above what loading took (4 KB a character before: 1.8 GB)


def test_prompt_length_and_new_tokens_have_a_documented_cap(text_checkpoint, tmp_path):
    from zoo.tasks.inference.language import MAX_NEW_TOKENS, MAX_PROMPT_CHARS

    predictor = zoo.load(text_checkpoint[0])
    with pytest.raises(ZooError, match="at most 1,000,000 are read"):
        predictor.predict("a" * (MAX_PROMPT_CHARS + 1), max_new_tokens=1)
    with pytest.raises(ZooError, match="between 0 and 100,000"):
        predictor.predict("the cat", max_new_tokens=MAX_NEW_TOKENS + 1)
    result = run_zoo(["predict", f"ckpt_path={text_checkpoint[0]}", "input=the cat",
                      "max_new_tokens=1000000000"], tmp_path)  # fmt: skip
    assert "max_new_tokens must be an integer from 0 to 100,000" in one_line_error(result)
    readme = (ROOT / "README.md").read_text()
    assert "1,000,000 characters" in readme and "100,000" in readme


# --- 11. signals while predict writes its output ---------------------------------------------------
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_during_predict_leaves_the_destination_and_no_partial_file(
    digits_checkpoint, tmp_path, signum
):
    rows = tmp_path / "rows.npy"
    np.save(rows, np.random.default_rng(0).uniform(0, 16, (2_000_000, 64)).astype(np.float32))
    destination = tmp_path / "out.csv"
    destination.write_text("earlier predictions\n")
    command = [sys.executable, "-m", "zoo", "predict", f"ckpt_path={digits_checkpoint}", f"input={rows}",
               f"output={destination}"]  # fmt: skip
    from tests.conftest import zoo_env

    # a suite started in the background (`nohup ... &`) ignores SIGINT, and so would its children:
    # the child gets the default disposition back, as a command typed at a terminal has it
    process = subprocess.Popen(
        command, cwd=tmp_path, env=zoo_env(tmp_path), stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )  # fmt: skip
    deadline = time.time() + 120
    while not list(tmp_path.glob(".out.csv.*.tmp")) and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert list(tmp_path.glob(".out.csv.*.tmp")), "predict never started writing"
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    lines = stderr.strip().splitlines()
    assert process.returncode == 128 + signum and len(lines) == 1 and "Traceback" not in stderr, stderr
    assert signal.Signals(signum).name in lines[0]
    assert not list(tmp_path.glob(".out.csv.*")) and destination.read_text() == "earlier predictions\n"


# --- 12. what used to be a traceback --------------------------------------------------------------
def test_your_own_text_files_are_checked_before_training(text_checkpoint, tmp_path):
    _, files = text_checkpoint
    base = [
        "train",
        "model=lstm_lm",
        "data=text_files",
        "trainer.max_epochs=1",
        f"hydra.run.dir={tmp_path / 'r'}",
    ]
    given = {"train": files / "train.txt", "val": files / "val.txt", "test": files / "test.txt"}
    for split in ("test", "train"):
        paths = {**given, split: tmp_path}
        result = run_zoo([*base, *(f"data.{key}={value}" for key, value in paths.items())], tmp_path)
        assert f"{tmp_path} is a folder; the data.{split} file must be a file" in one_line_error(result)
        assert not (tmp_path / "r" / "checkpoints").exists()  # before any training


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height pixels (and holds none)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_an_image_header_claiming_a_huge_size_is_one_line(tmp_path):
    from zoo.data.images import read_image

    (tmp_path / "bomb.png").write_bytes(png_claiming(100_000, 100_000))
    with pytest.raises(ZooError, match="more pixels than the 100,000,000 an input may have"):
        read_image(tmp_path / "bomb.png", 1, (8, 8))
    (tmp_path / "large.png").write_bytes(png_claiming(12_000, 12_000))  # under PIL's own guard
    with pytest.raises(ZooError, match="12000×12000 pixels, more than the 100,000,000"):
        read_image(tmp_path / "large.png", 1, (8, 8))


@pytest.fixture(scope="module")
def finished_folder(tmp_path_factory) -> Path:
    """A 1-epoch run written by `zoo train` (with its .hydra record), to resume."""
    cwd = tmp_path_factory.mktemp("resumable")
    quiet = ["logger=csv", "callbacks.learning_curves=false", "callbacks.evaluation_plots=false"]
    result = run_zoo(["train", "trainer.max_epochs=1", "hydra.run.dir=runs/A", *quiet], cwd)
    assert result.returncode == 0, result.stderr[-2000:]
    return cwd / "runs" / "A"


def resumable_copy(finished_folder: Path, tmp_path: Path, edit=None) -> Path:
    run = tmp_path / "runs" / "A"
    shutil.copytree(finished_folder, run)
    if edit is not None:
        last = run / "checkpoints" / "last.ckpt"
        edited(last, last, edit)
    return run


@pytest.mark.parametrize(
    "extra, said",
    [
        (["model.net.hidden=[32]"], "net.layers.0.weight is (64, 64) in the file, (32, 64)"),
        (["data=moons"], "resume with the run's own model and data settings"),
    ],
)
def test_a_resume_that_does_not_fit_its_checkpoint_is_one_line(finished_folder, tmp_path, extra, said):
    run = resumable_copy(finished_folder, tmp_path)
    before = (run / ".hydra" / "overrides.yaml").read_text()
    result = run_zoo(["train", "trainer.max_epochs=2", f"resume={run}", *extra], tmp_path)
    assert said in one_line_error(result)
    assert (run / ".hydra" / "overrides.yaml").read_text() == before  # the run's record is its own


def lightning_version(version: str):
    def edit(checkpoint):
        checkpoint["pytorch-lightning_version"] = version

    return edit


def damaged_rng(checkpoint):
    checkpoint["zoo_resume"]["rng"]["python"] = [3, [1, 2], None]


def damaged_loops(checkpoint):
    del checkpoint["loops"]["fit_loop"]["epoch_loop.batch_progress"]


@pytest.mark.parametrize(
    "edit, said",
    [
        (lightning_version("1.5.0"), "written by Lightning 1.5.0) cannot be resumed"),
        (damaged_loops, "lacks loops.fit_loop/epoch_loop.batch_progress"),
        (damaged_rng, "resume state (zoo_resume) is damaged"),
    ],
)
def test_a_checkpoint_whose_resume_state_cannot_be_read_is_one_line(finished_folder, tmp_path, edit, said):
    run = resumable_copy(finished_folder, tmp_path, edit)
    result = run_zoo(["train", "trainer.max_epochs=2", f"resume={run}"], tmp_path)
    assert said in one_line_error(result)


def test_a_folder_named_like_a_temporary_checkpoint_is_left_alone(finished_folder, tmp_path):
    run = resumable_copy(finished_folder, tmp_path)
    (run / "checkpoints" / ".last.ckpt.999999.tmp").mkdir()
    result = run_zoo(["train", "trainer.max_epochs=2", f"resume={run}"], tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (run / "checkpoints" / ".last.ckpt.999999.tmp").is_dir()


@pytest.mark.parametrize(
    "args, said",
    [
        (
            ["trainer.accelerator=tpu"],
            "trainer.accelerator must be one of auto, cpu, gpu, cuda, mps, got 'tpu'",
        ),
        (["scheduler=cosine", "scheduler.T_max=0"], "scheduler.T_max must be a positive integer, got 0"),
        (["data.num_features='64'"], "data.num_features must be a positive integer, got '64' (a str)"),
    ],
)
def test_bad_values_named_in_the_issue_are_one_line(tmp_path, args, said):
    result = run_zoo(["train", "trainer.max_epochs=1", *args], tmp_path)
    assert said in one_line_error(result)


# --- an export's config.json from someone else ------------------------------------------------------
@pytest.fixture(scope="module")
def exported(digits_checkpoint, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("export") / "model"
    result = run_zoo(["export", f"ckpt_path={digits_checkpoint}", f"output={folder}"], folder.parent)
    assert result.returncode == 0, result.stderr[-2000:]
    return folder


def state(config):
    return config["SklearnDataModule"]


@pytest.mark.parametrize(
    "edit, said",
    [
        (lambda c: state(c).update(mean=state(c)["mean"][:10]), "mean has 10 values for 64 features"),
        (lambda c: state(c).update(mean="0.5"), "mean must be a list of finite numbers"),
        (lambda c: state(c).update(std=[0.0] * 64), "std must be a list of positive numbers"),
        (
            lambda c: state(c).update(class_names=["a", "b"]),
            "class names (2) do not name the model's 10 outputs",
        ),
        (
            lambda c: state(c).update(num_features="64"),
            "num_features must be a positive integer, got '64' (a str)",
        ),
        (lambda c: c["zoo"].update(config=json.dumps([1, 2])), "the stored run config is a list"),
        (lambda c: c["zoo"].update(config=json.dumps({"model": {}})), "has no data settings"),
        (
            lambda c: c["zoo"].update(config=json.dumps({"model": {}, "data": "digits"})),
            "has no data settings",
        ),
    ],
)
def test_an_export_whose_config_json_is_wrong_is_one_line(exported, tmp_path, edit, said):
    folder = tmp_path / "model"
    shutil.copytree(exported, folder)
    config = json.loads((folder / "config.json").read_text())
    edit(config)
    (folder / "config.json").write_text(json.dumps(config))
    result = run_zoo(["predict", f"ckpt_path={folder}", f"input=[{','.join(['1'] * 64)}]"], tmp_path)
    assert said in one_line_error(result)


# --- the disk: full, or read-only ------------------------------------------------------------------
def small_disk(folder: Path, size: str, read_only: bool = False) -> bool:
    """A tmpfs of `size` mounted at `folder` (root only): True if mounted."""
    folder.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (",ro" if read_only else "")
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True).returncode == 0  # fmt: skip


def unmount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


QUIET = ["callbacks.progress=none", "trainer.max_epochs=2"]


def test_a_full_disk_at_any_point_of_a_run_is_one_line(tmp_path):
    """Disks of growing size fill at each writer in turn: Hydra's record, the log file, Lightning's
    hparams.yaml, the metrics, TensorBoard's writer thread, a checkpoint, a plot. Where tmpfs
    cannot be mounted (not root), each file is capped by RLIMIT_FSIZE instead (EFBIG)."""
    sizes = ["8k", "16k", "24k", "48k", "200k", "300k", "400k"]
    disk = tmp_path / "disk"
    if not small_disk(disk, "1k"):
        pytest.fail("mounting a tmpfs needs root: run this test as root (CI does)")
    unmount(disk)
    failed_writes = 0
    for size in sizes:
        assert small_disk(disk, size)
        try:
            result = run_zoo(["train", *QUIET, f"hydra.run.dir={disk / 'run'}"], tmp_path)
        finally:
            unmount(disk)
        if result.returncode != 0:
            failed_writes += 1
            line = one_line_error(result)
            assert "No space left on device" in line, line
    assert failed_writes >= 5  # the small disks do fill up


def test_a_read_only_run_folder_is_one_line_before_anything_starts(tmp_path):
    disk = tmp_path / "readonly"
    assert small_disk(disk, "1m", read_only=True), "mounting a tmpfs needs root (CI runs as root)"
    try:
        for target in (f"hydra.run.dir={disk / 'run'}", f"paths.log_dir={disk}"):
            result = run_zoo(["train", *QUIET, target], tmp_path)
            assert "Read-only file system" in one_line_error(result)
    finally:
        unmount(disk)
