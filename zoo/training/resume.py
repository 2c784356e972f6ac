"""Resuming a killed run exactly, from a last.ckpt that always holds the latest state, written so
that a kill never leaves it half-written.

Lightning restores the weights, the optimizer, the scheduler and the loop counters. `ExactResume`
adds what it leaves out, so that a run resumed from any checkpoint, mid-epoch included, ends with
the same weights as a run never interrupted (bitwise on the CPU):
- the random-number states (Python, NumPy, torch CPU and CUDA), which dropout and sampling read;
- the position inside the epoch: the training order's state at the epoch's start and how many of
  its examples were used, so the resumed epoch continues that order (data.SeededShuffle);
- a task's own generators and carried state (`resume_state` / `load_resume_state`).
Everything is tensors and plain lists, so checkpoints still load with weights_only=True.
"""

from __future__ import annotations

import io
import logging
import os
import random
import signal
import threading
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch
from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO
from lightning.pytorch.callbacks import ModelCheckpoint

from zoo.checkpoint import check_weights, load_checkpoint
from zoo.data.base import resume_training_at, training_position
from zoo.errors import Interrupted, ZooError, export_folder_to_resume
from zoo.training.lightning_internals import (
    check_loop_layout,
    last_saved,
    save_checkpoint_now,
    trained_epochs,
)

RESUME_KEY = "zoo_resume"
log = logging.getLogger("zoo")


def rng_states() -> dict[str, Any]:
    version, state, gauss = random.getstate()
    kind, keys, position, has_gauss, cached = np.random.get_state()
    return {
        "python": [version, list(state), gauss],
        "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, cached],
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def parsed_rng_states(states: dict[str, Any]) -> tuple[Any, Any, torch.Tensor, list[torch.Tensor]]:
    """The stored states as Python's random, NumPy, torch and CUDA take them."""
    version, state, gauss = states["python"]
    kind, keys, position, has_gauss, cached = states["numpy"]
    numpy_state = (kind, keys.numpy().astype(np.uint32), position, has_gauss, cached)
    return (version, tuple(state), gauss), numpy_state, states["torch"], list(states["cuda"])


def set_rng_states(states: dict[str, Any]) -> None:
    python, numpy_state, torch_state, cuda = parsed_rng_states(states)
    random.setstate(python)
    np.random.set_state(numpy_state)
    torch.set_rng_state(torch_state)
    if cuda and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(cuda)


DAMAGED = (KeyError, TypeError, ValueError, RuntimeError, AttributeError, IndexError)


def check_resume_record(record: Any) -> None:
    """A checkpoint's `zoo_resume` entry, tried on throwaway generators before anything trains:
    a damaged one (edited, or from another version) is one ZooError line, not a traceback
    after the run has started."""
    if record is None:
        return
    try:
        python, numpy_state, torch_state, cuda = parsed_rng_states(record["rng"])
        random.Random().setstate(python)
        np.random.RandomState().set_state(numpy_state)
        torch.Generator().set_state(torch_state)
        if not all(isinstance(state, torch.Tensor) and state.dtype == torch.uint8 for state in cuda):
            raise TypeError("CUDA generator states must be byte tensors")
        for part in ("order", "task"):
            if record.get(part) is not None and not isinstance(record[part], dict):
                raise TypeError(f"{part} must be a dict")
    except DAMAGED as error:
        raise damaged(error) from None


def damaged(error: BaseException) -> ZooError:
    return ZooError(
        f"the checkpoint's resume state ({RESUME_KEY}) is damaged ({type(error).__name__}: {error}); "
        "it cannot be resumed exactly (zoo eval and zoo predict still read its weights)"
    )


class ExactResume(L.Callback):
    def __init__(self) -> None:
        self.pending: dict[str, Any] | None = None

    def state_of_the_epoch(self, trainer: L.Trainer) -> dict[str, Any] | None:
        batches = trainer.fit_loop.epoch_loop.batch_progress.current.processed
        return training_position(trainer.datamodule, batches)

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        checkpoint[RESUME_KEY] = {
            "rng": rng_states(),
            "order": self.state_of_the_epoch(trainer),
            "task": pl_module.resume_state() if hasattr(pl_module, "resume_state") else None,
        }

    def on_load_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        self.pending = checkpoint.get(RESUME_KEY)
        order = (self.pending or {}).get("order") or {}
        if int(order.get("skip", 0)) > 0:
            log.info(
                "resuming inside an epoch: that epoch's train/ metrics cover only the steps after "
                "the resume (its validation and every later epoch are complete)"
            )
        if self.pending is not None and trainer.datamodule is not None:
            # Lightning builds the training loader after this (and may build it more than once):
            # each new training order starts where the checkpoint's stood, until training starts
            resume_training_at(trainer.datamodule, self.pending["order"])

    def on_train_batch_start(self, trainer: L.Trainer, *args: Any) -> None:
        if trainer.datamodule is not None:
            resume_training_at(trainer.datamodule, None)  # the resumed epoch's iterator exists now

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        """After everything that setup draws, before the first resumed step."""
        if self.pending is None:
            return
        try:
            if self.pending["task"] is not None and hasattr(pl_module, "load_resume_state"):
                pl_module.load_resume_state(self.pending["task"])
            set_rng_states(self.pending["rng"])
        except DAMAGED as error:
            raise damaged(error) from None
        self.pending = None


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Temporary checkpoint files (`.<name>.<pid>.tmp`) left by a process killed mid-save, whose
    pid no longer runs: removed (a live pid's file is a save in progress)."""
    removed = []
    for temporary in Path(folder).glob(".*.ckpt.*.tmp"):
        pid = temporary.name.rsplit(".", 2)[-2]
        if not temporary.is_file() or temporary.is_symlink():
            continue  # not a file a save left (a folder or a link someone put there): left alone
        if pid.isdigit() and not process_runs(int(pid)):
            temporary.unlink(missing_ok=True)
            removed.append(temporary)
    return removed


def process_runs(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


class LastCheckpoint(ModelCheckpoint):
    """checkpoints/last.ckpt: the latest state after every epoch (after its validation), every
    `every_n_train_steps` steps when asked, and after the last step, to resume from and to hold
    the final weights. (Lightning's `save_last=True` writes it only when the monitored
    checkpoint is saved, so a run whose validation stops improving never had its final weights
    on disk.)"""

    def __init__(self, dirpath: Path, every_n_train_steps: int | None = None):
        # Lightning's every_n_train_steps excludes every_n_epochs: the steps are counted here
        super().__init__(dirpath=dirpath, filename="last", monitor=None, save_top_k=1, every_n_epochs=1,
                         enable_version_counter=False)  # fmt: skip
        self.every_n_steps = int(every_n_train_steps or 0)

    @property
    def path(self) -> str:
        return last_saved(self)[0]

    @property
    def file(self) -> Path:
        """checkpoints/last.ckpt, the file this callback (and nothing else) writes."""
        return Path(self.dirpath) / f"last{self.FILE_EXTENSION}"

    def save_now(self, trainer: L.Trainer) -> None:
        if last_saved(self)[1] != trainer.global_step and not trainer.sanity_checking:
            save_checkpoint_now(self, trainer, str(self.file))

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if self.every_n_steps and trainer.global_step % self.every_n_steps == 0:
            self.save_now(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.save_now(trainer)  # stopped between two saves (max_steps inside an epoch)


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes a checkpoint to a temporary file in its own folder, flushes it to the disk, then
    renames it over the old one (atomic on POSIX), and syncs the folder: a kill or a full disk
    during a save leaves the previous checkpoint whole. (Lightning's own save goes through a
    temporary file in $TMPDIR, which is a copy, not a rename, when that is another filesystem.)"""

    def save_checkpoint(
        self, checkpoint: dict[str, Any], path: str | Path, storage_options: Any = None
    ) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        # Serialised in memory first: a failed write then raises the OS's own error (no space
        # left, file too large), not the zip writer's "unexpected pos" that says nothing.
        data = io.BytesIO()
        torch.save(checkpoint, data)
        try:
            with open(temporary, "wb") as file:
                file.write(data.getbuffer())
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except OSError as error:
            temporary.unlink(missing_ok=True)
            raise ZooError(
                f"could not write the checkpoint {path} ({error.strerror or error}); "
                "the previous one is kept. Free some disk space and resume."
            ) from None
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        folder = os.open(path.parent, os.O_RDONLY)  # the rename itself reaches the disk
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def load_checkpoint(
        self, path: Any, map_location: Any = lambda storage, loc: storage, weights_only: bool | None = None
    ) -> dict:
        """Every checkpoint Lightning loads through the zoo's trainer (fit, validate and test with
        ckpt_path) is read with weights_only=True, whatever the caller passed."""
        return super().load_checkpoint(path, map_location=map_location, weights_only=True)


class StopOnSignal(L.Callback):
    """SIGTERM (a cluster's preemption, `kill`) or SIGINT (Ctrl-C) during training: finish the
    current step, have the run's LastCheckpoint write last.ckpt now (with everything ExactResume
    keeps) and stop with `Interrupted`. A second SIGINT stops at once, without a checkpoint."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, last: LastCheckpoint):
        self.last, self.received = last, None
        self.previous: dict[int, Any] = {}

    def handle(self, signum: int, frame: Any) -> None:
        if self.received == signal.SIGINT and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.received = signum

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if threading.current_thread() is threading.main_thread():
            self.previous = {signum: signal.signal(signum, self.handle) for signum in self.SIGNALS}

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        self.stop_if_signalled(trainer)

    def on_validation_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        """A signal during validation stops there too: the training state saved is the one of the
        last training step (the validation reruns when the run resumes)."""
        if not trainer.sanity_checking:
            self.stop_if_signalled(trainer)

    def stop_if_signalled(self, trainer: L.Trainer) -> None:
        if self.received is None:
            return
        self.last.save_now(trainer)  # the one writer of last.ckpt (a save at this step is kept)
        name = signal.Signals(self.received).name
        raise Interrupted(name, int(self.received), self.last.file, trainer.global_step)

    def restore_handlers(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous = {}

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.restore_handlers()

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        self.restore_handlers()


def check_resumable(ckpt_path: str, trainer_config: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint to resume from: a readable .ckpt file (not an export folder: that holds no
    optimizer or loop state) whose run has not already gone past trainer.max_epochs/max_steps,
    with a resume record that can be applied. Returns it, for `check_resumed_fits`."""

    if Path(ckpt_path).is_dir():
        raise export_folder_to_resume(ckpt_path)
    checkpoint = load_checkpoint(ckpt_path)
    check_resume_record(checkpoint.get(RESUME_KEY))
    try:
        epochs, step = trained_epochs(checkpoint), int(checkpoint.get("global_step", 0))
    except (TypeError, ValueError, AttributeError):
        raise ZooError(
            f"{ckpt_path}: its training-loop state is not Lightning's (no epoch or step count)"
        ) from None
    max_epochs, max_steps = trainer_config.get("max_epochs"), trainer_config.get("max_steps")
    if isinstance(max_epochs, int) and max_epochs != -1 and max_epochs < epochs:
        raise ZooError(
            f"{ckpt_path} has trained {epochs} epochs already; trainer.max_epochs={max_epochs} is fewer: "
            f"give trainer.max_epochs above {epochs} to train on"
        )
    if isinstance(max_steps, int) and max_steps != -1 and max_steps < step:
        raise ZooError(
            f"{ckpt_path} has taken {step} steps already; trainer.max_steps={max_steps} is fewer: "
            f"give trainer.max_steps above {step} to train on"
        )
    return checkpoint


def check_resumed_fits(checkpoint: dict[str, Any], task: Any, trainer: Any) -> None:
    """The checkpoint resumed from fits the run this config builds: its weights are the task's
    (`resume=<run> model.net.hidden=[32]` or `data=moons` is one line naming a weight, not a
    state-dict error after training has begun) and its loop state is what this Lightning reads."""

    try:
        check_weights(task.state_dict(), checkpoint["state_dict"])
    except ZooError as error:
        raise ZooError(f"resume: {error} - resume with the run's own model and data settings") from None
    check_loop_layout(trainer, checkpoint)
