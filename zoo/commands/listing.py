"""`zoo list [group]`: the registry, read from the config files (no torch import: it is instant), and
`zoo list weights`: the presets with trained weights (zoo.weights' manifest)."""

from __future__ import annotations

import yaml
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zoo.commands.data import default_data_dir
from zoo.data.packages import PACKAGES
from zoo.errors import ZooError
from zoo.registry import LISTED_GROUPS, config_dir, options
from zoo.weights import WEIGHTS_DIR, manifest

TITLES = {
    "model": "models (model=...)",
    "data": "datasets (data=...)",
    "optimizer": "optimizers (optimizer=...)",
    "scheduler": "schedulers (scheduler=...)",
    "regularizer": "regularizers (regularizer=...)",
    "trainer": "trainers (trainer=...)",
    "logger": "loggers (logger=...)",
    "experiment": "experiments (experiment=...)",
    "hparams_search": "hyperparameter searches (hparams_search=...)",
    "launcher": "launchers for sweep jobs (launcher=...)",
}
ALIASES = {
    "models": "model",
    "datasets": "data",
    "optimizers": "optimizer",
    "schedulers": "scheduler",
    "regularizers": "regularizer",
    "trainers": "trainer",
    "loggers": "logger",
    "experiments": "experiment",
    "searches": "hparams_search",
    "launchers": "launcher",
}
WEIGHTS = "weights"  # not a config group: the trained weights of presets


def list_weights(console: Console) -> None:
    title = "trained weights (zoo predict model=..., zoo.load(...), create_model(..., pretrained=...))"
    table = Table(title=title, title_justify="left", box=None, padding=(0, 2))
    for column in ("preset", "model", "data", "metric", "reached", "size", "where"):
        table.add_column(column, style="bold cyan" if column == "preset" else None, no_wrap=True)
    for preset, entry in manifest().items():
        shipped = (WEIGHTS_DIR / preset).is_dir()
        where = "shipped" if shipped else entry.get("url") or "not published yet"
        table.add_row(preset, entry["model"], entry["data"], entry["metric"], f"{entry['value']:.4f}",
                      f"{entry['bytes'] / 1e6:.2f} MB", where)  # fmt: skip
    wide = console if console.is_terminal else Console(width=120)  # whole names in a pipe or a file
    wide.print(table)
    console.print()


def fetched_corpus_status(data_name: str) -> str:
    """For a dataset brought by `zoo data fetch`: whether it is in the data folder now."""
    config = yaml.safe_load((config_dir() / "data" / f"{data_name}.yaml").read_text(encoding="utf-8")) or {}
    names = [config.get(key) for key in ("corpus", "source") if config.get(key) in PACKAGES]
    if not names:
        return ""
    present = PACKAGES[names[0]].present(default_data_dir())
    return " [in data/]" if present else f" [not in data/: zoo data fetch {names[0]}]"


def list_registry(groups: list[str] | None = None) -> None:
    wanted = [ALIASES.get(group, group) for group in (groups or [*LISTED_GROUPS, WEIGHTS])]
    unknown = [group for group in wanted if group not in (*LISTED_GROUPS, WEIGHTS)]
    if unknown:
        raise ZooError(f"unknown group {unknown[0]!r}; choose from {', '.join([*LISTED_GROUPS, WEIGHTS])}")
    console = Console()
    for group in wanted:
        if group == WEIGHTS:
            list_weights(console)
            continue
        table = Table(title=TITLES[group], title_justify="left", show_header=False, box=None, padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for name, text in options(group).items():
            where = fetched_corpus_status(name) if group == "data" else ""
            table.add_row(escape(name), escape(text + where))  # descriptions hold [brackets]
        console.print(table)
        console.print()
