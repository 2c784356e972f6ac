"""`zoo runs`: the runs under runs/ and multirun/ as a table - name, start time, status, best
validation and test metric, wall time, checkpoint - newest first; `zoo runs compare A B` draws
their learning curves on one plot. `zoo.runs()` gives the same rows as dicts.

A run folder is one holding a .hydra record, a summary.json or checkpoints/. Its status:
running (another process holds its lock), finished (summary.json), stopped (a last.ckpt to resume
from, no summary: Ctrl-C, SIGTERM, a crash after the first save), failed (neither).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zoo.errors import ZooError

ROOTS = ("runs", "multirun")  # paths.log_dir and paths.multirun_dir, relative to where zoo runs
MARKERS = (".hydra", "summary.json", "checkpoints")
USAGE = (
    "usage: zoo runs [pattern] [root=DIR ...] | zoo runs compare RUN RUN ... [metric=val/loss] [output=FILE]"
)


def find_runs(roots: list[Path] | None = None, pattern: str = "*") -> list[dict[str, Any]]:
    """Every run folder under `roots` whose name or path matches `pattern`, newest first."""
    found = []
    for root in roots or [Path(name) for name in ROOTS]:
        for folder in run_folders(root):
            row = describe(folder)
            if fnmatch(row["name"], pattern) or fnmatch(str(folder), pattern):
                found.append(row)
    return sorted(found, key=lambda row: row["started"], reverse=True)


def run_folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    if any((root / marker).exists() for marker in MARKERS):
        return [root]
    folders = []
    for child in sorted(root.iterdir()):
        if child.is_dir() and not child.is_symlink() and not child.name.startswith("."):
            folders += run_folders(child)
    return folders


def describe(folder: Path) -> dict[str, Any]:
    summary = read_json(folder / "summary.json")
    last = folder / "checkpoints" / "last.ckpt"
    status = "finished" if summary else "stopped" if last.is_file() else "failed"
    if is_locked(folder):
        status = "running"
    record = folder / ".hydra" / "config.yaml"
    started = (record if record.exists() else folder).stat().st_mtime
    test = summary.get("test") or {}
    expected = (summary.get("expected") or {}).get("metric")
    test_metric = expected if expected in test else next(iter(sorted(test)), None)
    best = summary.get("best_checkpoint") or (str(last) if last.is_file() else None)
    return {
        "name": summary.get("name") or config_name(record) or folder_name(folder),
        "folder": str(folder),
        "started": started,
        "status": status,
        "monitor": summary.get("monitor"),
        "best_val": summary.get("best_val"),
        "test_metric": test_metric,
        "test_value": test.get(test_metric) if test_metric else None,
        "wall_time_s": summary.get("wall_time_s"),
        "checkpoint": shown_path(best) if best else None,
    }


def folder_name(folder: Path) -> str:
    """runs/<name>/<time> is named by its parent; any other folder by itself."""
    return folder.parent.name if folder.name[:1].isdigit() else folder.name


def shown_path(path: str) -> str:
    """A path relative to the working folder when it is under it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def read_json(path: Path) -> dict[str, Any]:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return value if isinstance(value, dict) else {}


def config_name(record: Path) -> str | None:
    """The `name:` line of a run's .hydra/config.yaml, read as text (no YAML parser runs on it)."""
    try:
        for line in record.read_text(encoding="utf-8").splitlines():
            if line.startswith("name: "):
                return line.removeprefix("name: ").strip().strip("'\"") or None
    except OSError:
        return None
    return None


def is_locked(folder: Path) -> bool:
    """Whether a running zoo holds the folder's lock (zoo.commands.common.RunFolderLock)."""
    lock = folder / ".lock"
    if not lock.is_file():
        return False
    try:
        descriptor = os.open(lock, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except OSError:
        return True
    finally:
        os.close(descriptor)
    return False


def list_runs(args: list[str]) -> None:
    """`zoo runs [pattern] [root=DIR ...]` and `zoo runs compare A B ...`."""
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return
    if args and args[0] == "compare":
        compare(args[1:])
        return
    roots = [Path(arg.removeprefix("root=")) for arg in args if arg.startswith("root=")]
    patterns = [arg for arg in args if "=" not in arg]
    if len(patterns) > 1:
        raise ZooError(USAGE)
    rows = find_runs(roots or None, patterns[0] if patterns else "*")
    console = Console()
    if not rows:
        where = ", ".join(str(root) for root in roots) or "runs/ or multirun/"
        console.print(f"no runs in {where}" + (f" matching {patterns[0]!r}" if patterns else ""))
        return
    table = Table(title=f"{len(rows)} runs, newest first", title_justify="left")
    for column in ("name", "started", "status", "best val", "test", "wall", "checkpoint"):
        table.add_column(column, no_wrap=column in ("started", "status"))
    for row in rows:
        best = f"{row['monitor']} {row['best_val']:.4f}" if row["best_val"] is not None else "-"
        test = f"{row['test_metric']} {row['test_value']:.4f}" if row["test_value"] is not None else "-"
        wall = f"{row['wall_time_s']:.0f} s" if row["wall_time_s"] is not None else "-"
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["started"]))
        status = {"finished": "finished", "running": "[cyan]running", "stopped": "[yellow]stopped"}.get(
            row["status"], "[red]failed"
        )
        table.add_row(
            escape(row["name"]), started, status, best, test, wall, escape(row["checkpoint"] or "-")
        )
    (console if console.is_terminal else Console(width=160)).print(table)


def compare(args: list[str]) -> None:
    """The runs' learning curves of one metric (the first run's monitored one, else val/loss) on
    one plot, written to `output=` (compare.png)."""
    options = dict(arg.split("=", 1) for arg in args if "=" in arg)
    folders = [Path(arg) for arg in args if "=" not in arg]
    if len(folders) < 2:
        raise ZooError(
            "zoo runs compare takes two or more run folders: zoo runs compare runs/a/<time> runs/b/<time>"
        )
    rows = []
    for folder in folders:
        if not any((folder / marker).exists() for marker in MARKERS):
            raise ZooError(f"{folder} is not a run folder (no .hydra, summary.json or checkpoints/)")
        rows.append(describe(folder))
    metric = options.get("metric") or rows[0]["monitor"] or "val/loss"
    # zoo.viz draws with matplotlib: loaded only when curves are compared
    from zoo.viz.curves import compared_curves, epoch_values

    curves = {
        f"{row['name']} ({Path(row['folder']).name})": epoch_values(Path(row["folder"]), metric)
        for row in rows
    }
    empty = [label for label, points in curves.items() if not points]
    if len(empty) == len(curves):
        raise ZooError(f"no {metric} per epoch in these runs' metrics.csv (metric=... names another)")
    path = compared_curves(curves, metric, options.get("output", "compare.png"), title=f"{metric} by epoch")
    print(f"{metric} of {len(rows)} runs: {path}" + (f" (none in {', '.join(empty)})" if empty else ""))
