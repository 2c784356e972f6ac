"""Reading a data file named by a config or a checkpoint: only a regular file (not a folder, a
device such as /dev/zero, a pipe that would block, or a socket), of bounded size, as UTF-8 text.
A path in a checkpoint is someone else's data: what it names is checked on the opened file
itself (fstat after a non-blocking open), so a file swapped for a pipe after a check still fails
in one line instead of hanging or filling the memory.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from zoo.errors import ZooError

MAX_TEXT_BYTES = 2 * 1024**3  # WikiText-103's training text is 0.54 GB


def check_regular_file(path: str | Path, what: str = "file") -> Path:
    """`path` if it names an existing regular file (links followed); else one ZooError line."""
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ZooError(f"{what} not found: {path}") from None
    except OSError as error:
        raise ZooError(f"cannot read {what} {path}: {error.strerror or error}") from None
    if stat.S_ISDIR(mode):
        raise ZooError(f"{path} is a folder; the {what} must be a file")
    if not stat.S_ISREG(mode):
        raise ZooError(f"{path} is not a regular file (a device, pipe or socket); the {what} must be a file")
    return path


def read_bytes(path: str | Path, what: str = "file", limit: int = MAX_TEXT_BYTES) -> bytes:
    """The bytes of a regular file of at most `limit` bytes."""
    path = check_regular_file(path, what)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as error:
        raise ZooError(f"cannot read {what} {path}: {error.strerror or error}") from None
    with os.fdopen(descriptor, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise ZooError(f"{path} is not a regular file; the {what} must be a file")
        if status.st_size > limit:
            raise ZooError(f"{path} is {status.st_size:,} bytes, more than the {limit:,} a {what} may have")
        data = file.read(limit + 1)
    if len(data) > limit:
        raise ZooError(f"{path} grew past the {limit:,} bytes a {what} may have while it was read")
    return data


def sha256(path: str | Path) -> str:
    """The file's sha256 as hex, read a megabyte at a time."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_text(path: str | Path, what: str = "text file", limit: int = MAX_TEXT_BYTES) -> str:
    """A regular file of at most `limit` bytes as UTF-8 text (a byte-order mark dropped)."""
    try:
        return read_bytes(path, what, limit).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ZooError(f"{path} is not UTF-8 text") from None
