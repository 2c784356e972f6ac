"""Helpers the commands share: plain-dict configs, tables, JSON files written atomically."""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table

from zoo.errors import ZooError

console = Console()


def user_file_mode() -> int:
    """The permissions of a file the user creates (0o666 less the umask): what checkpoints get;
    temporary-file helpers (mkstemp, safetensors) would make it 0600."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_output(path: Path, newline: str | None = None) -> Iterator[TextIO]:
    """A text file written to a temporary file beside `path`, flushed, and renamed over `path`
    only when the block ends without an error: never half a file, and a link at `path` is
    replaced, not written through. The file gets the permissions of a file the user creates
    (the umask's), like the checkpoints. An OSError (a folder that cannot be written) is one line."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise ZooError(f"cannot write {path}: {error.strerror or error}") from None
    try:
        os.fchmod(descriptor, user_file_mode())
        with os.fdopen(descriptor, "w", encoding="utf-8", newline=newline) as file:
            yield file
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ZooError(f"cannot write {path}: {error.strerror or error}") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON atomically (atomic_output): never half a file."""
    with atomic_output(path) as file:
        json.dump(data, file, indent=2)


class RunFolderLock:
    """An exclusive lock on a run folder while a run writes into it (`<run>/.lock`, which holds the
    writer's pid): a second run started into the same folder is refused in one line naming the
    first, instead of both writing metrics.csv and the checkpoints. The lock is the operating
    system's (flock): it ends with the process, however that ends. The extra ranks of a
    multi-process run (LOCAL_RANK > 0) write into their rank 0's folder and take no lock."""

    NAME = ".lock"
    HELD: set[Path] = set()  # folders this process holds: the CLI takes the lock before Hydra
    # writes .hydra/ into the folder, and the train command takes it again (then a no-op)

    def __init__(self, folder: Path):
        self.folder, self.file = Path(folder), None
        self.key, self.nested = Path(os.path.abspath(self.folder)), False

    def __enter__(self) -> RunFolderLock:
        if os.environ.get("LOCAL_RANK", "0") != "0" or os.environ.get("NODE_RANK", "0") != "0":
            return self
        if self.key in self.HELD:
            self.nested = True
            return self
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self.file = open(self.folder / self.NAME, "a+", encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise ZooError(f"cannot write the run folder {self.folder}: {error.strerror or error}") from None
        try:
            fcntl.flock(self.file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.file.seek(0)
            holder = self.file.read().strip() or "?"
            self.file.close()
            raise ZooError(
                f"the run folder {self.folder} is in use by another zoo run (pid {holder}): wait for "
                "it to end, or write elsewhere (hydra.run.dir=...)"
            ) from None
        self.file.seek(0)
        self.file.truncate()
        self.file.write(f"{os.getpid()}\n")
        self.file.flush()
        self.HELD.add(self.key)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.nested:  # the outer holder in this process releases it
            return
        if self.file is not None:
            self.HELD.discard(self.key)
            fcntl.flock(self.file, fcntl.LOCK_UN)
            self.file.close()
            self.file = None


def print_table(title: str, rows: list[tuple[str, str]]) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    for key, value in rows:
        table.add_row(key, value)
    console.print(table)


def format_value(value: Any) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
