"""Dataset downloads: on first use, into the data directory; never a hang when offline.

Set ZOO_OFFLINE=1 (or the data config's download=false) to forbid downloads; a missing dataset is
then one clear message naming the files and where to put them.
"""

from __future__ import annotations

import contextlib
import os
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from zoo.errors import ZooError

DOWNLOAD_TIMEOUT_S = 30


def downloads_allowed(download: bool) -> bool:
    return bool(download) and os.environ.get("ZOO_OFFLINE", "").lower() not in ("1", "true", "yes")


@contextlib.contextmanager
def network_timeout(seconds: float = DOWNLOAD_TIMEOUT_S) -> Iterator[None]:
    """Bound every socket operation (urllib has no timeout by default, so a dead network hangs)."""
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def download_file(url: str, destination: Path) -> Path:
    """Download `url` to `destination` through a temporary file beside it (never half a file)."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    # a temporary name of this process's own: two processes (DDP ranks) may download at once
    temporary = destination.with_name(f"{destination.name}.{os.getpid()}.part")
    try:
        with network_timeout(), urllib.request.urlopen(url) as response, temporary.open("wb") as file:
            while chunk := response.read(1 << 20):
                file.write(chunk)
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)
    return destination


def fetch(url: str, destination: Path, download: bool) -> Path:
    """`destination`, downloading it from `url` first if it is missing and downloads are allowed;
    otherwise one ZooError that names the URL and the place to put the file."""

    if destination.is_file():
        return destination
    if not downloads_allowed(download):
        raise ZooError(
            f"{destination} is missing and downloading is off: run once with network access, "
            f"or download {url} to {destination}"
        )
    try:
        return download_file(url, destination)
    except OSError as error:
        raise ZooError(f"could not download {url} ({error}); put the file at {destination}") from None
