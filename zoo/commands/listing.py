"""`zoo list [group]`: the registry, read from the config files (no torch import: it is instant)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from zoo.errors import ZooError
from zoo.registry import LISTED_GROUPS, options

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


def list_registry(groups: list[str] | None = None) -> None:
    wanted = [ALIASES.get(group, group) for group in (groups or LISTED_GROUPS)]
    unknown = [group for group in wanted if group not in LISTED_GROUPS]
    if unknown:
        raise ZooError(f"unknown group {unknown[0]!r}; choose from {', '.join(LISTED_GROUPS)}")
    console = Console()
    for group in wanted:
        table = Table(title=TITLES[group], title_justify="left", show_header=False, box=None, padding=(0, 2))
        table.add_column(style="bold cyan", no_wrap=True)
        table.add_column()
        for name, text in options(group).items():
            table.add_row(escape(name), escape(text))  # descriptions hold [brackets]
        console.print(table)
        console.print()
