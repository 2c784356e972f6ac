"""Dataset downloads: on first use, into the data directory; never a hang when offline.

Set ZOO_OFFLINE=1 (or the data config's download=false) to forbid downloads; a missing dataset is
then one clear message naming the files and where to put them.
"""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import Iterator

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
