"""The exceptions the CLI reports as a line or two (no traceback): ZooError, and Interrupted."""

from __future__ import annotations

from pathlib import Path


class ZooError(Exception):
    """A problem the user can fix: a bad config value, a missing dataset, an unreadable file.
    Its message is one line: a line break inside it (from a value the user typed) is shown as \\n."""

    def __init__(self, message: str = ""):
        super().__init__(str(message).strip().replace("\r", "\\r").replace("\n", "\\n"))


class Interrupted(Exception):
    """Training stopped on a signal after writing a checkpoint to resume from
    (zoo.training.resume.StopOnSignal)."""

    def __init__(self, signal_name: str, signum: int, checkpoint: Path, step: int):
        super().__init__(f"{signal_name} at step {step}: saved {checkpoint}")
        self.signal_name, self.signum, self.checkpoint, self.step = signal_name, signum, checkpoint, step


def first_lines(error: BaseException, count: int = 1) -> str:
    """The first `count` non-blank lines of an error's message, joined: how a library's error
    (Hydra's, torch's, Lightning's) becomes part of one ZooError line; its type if it says nothing."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines[:count]) if lines else type(error).__name__


def export_folder_to_resume(path: object) -> ZooError:
    """A `zoo export` folder given to training as the checkpoint to continue from."""
    return ZooError(
        f"ckpt_path={path} is a folder (an export?): training resumes from a .ckpt file, "
        "which holds the optimizer and loop state an export leaves out"
    )
