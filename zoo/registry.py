"""The config tree is the registry: models, datasets, optimizers, ... are the YAML files under
configs/<group>/. This module finds that tree (in a source checkout or inside an installed wheel),
lists each group's options with the one-line description on the file's first comment line, and
composes configs with Hydra's compose API. It imports no torch, so `zoo list` is instant.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
LISTED_GROUPS = (
    "model",
    "data",
    "optimizer",
    "scheduler",
    "regularizer",
    "trainer",
    "logger",
    "experiment",
    "hparams_search",
    "launcher",
)
CHOICE_GROUPS = (*LISTED_GROUPS, "callbacks", "paths")  # the groups whose option names are checked


def config_dir() -> Path:
    """zoo/configs inside a wheel; <repo>/configs in a source checkout (editable install)."""
    for candidate in (PACKAGE_DIR / "configs", PACKAGE_DIR.parent / "configs"):
        if (candidate / "train.yaml").is_file():
            return candidate
    raise FileNotFoundError(f"zoo's configs/ folder is missing (looked in {PACKAGE_DIR} and its parent)")


def description(path: Path) -> str:
    """The first comment line of the file that is not a Hydra header (`# @package ...`), else ''."""
    with path.open(encoding="utf-8") as file:
        for line in file:
            line = line.strip()
            if not line.startswith("#"):
                return ""
            if not line.lstrip("#").strip().startswith("@"):
                return line.lstrip("#").strip()
    return ""


def options(group: str) -> dict[str, str]:
    """{option name: one-line description} for a config group, sorted by name."""
    folder = config_dir() / group
    if not folder.is_dir():
        return {}
    return {path.stem: description(path) for path in sorted(folder.glob("*.yaml"))}


def monitor_direction(task_target: str) -> str:
    """ "maximize" or "minimize": how the task's monitored validation metric improves (the
    `${zoo_direction:${model._target_}}` resolver of configs/hparams_search/)."""
    # resolving a task class imports its module (torch, Lightning): `zoo list` and preflight stay light
    from zoo.tasks import resolve_task_class

    return "maximize" if resolve_task_class(task_target).monitor_mode == "max" else "minimize"


def register_resolvers() -> None:
    # Hydra and OmegaConf load when a config is composed: `zoo --help` and `import zoo` stay without them
    from omegaconf import OmegaConf

    if not OmegaConf.has_resolver("zoo_direction"):
        OmegaConf.register_new_resolver("zoo_direction", monitor_direction)


def compose(
    config_name: str = "train", overrides: list[str] | None = None, return_hydra_config: bool = False
) -> Any:
    """The composed config (a DictConfig) for `config_name` with Hydra overrides applied (and
    its `hydra` node, which holds the launcher and sweeper settings, if asked for)."""
    # Hydra and OmegaConf load when a config is composed: `zoo --help` and `import zoo` stay without them
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    register_resolvers()
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        return hydra_compose(
            config_name=config_name, overrides=list(overrides or []), return_hydra_config=return_hydra_config
        )


def plain(config: Any) -> Any:
    """A resolved config (DictConfig) as plain Python types, what checkpoints and builders
    accept; a dict or None as it is."""
    if config is None or isinstance(config, dict):
        return config
    # Hydra and OmegaConf load when a config is composed: `zoo --help` and `import zoo` stay without them
    from omegaconf import OmegaConf

    return OmegaConf.to_container(config, resolve=True)
