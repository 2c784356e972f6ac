"""`zoo train resume=<run folder>`: the folder's stored overrides replayed as data, never as a
command line.

A run folder may come from someone else. Its `.hydra/overrides.yaml` is read as YAML data, and an
item passes only if it is a plain `key=value` whose key the zoo defines and whose value is plain
data (an allowlist: what may pass, not what must not):
- the key is a choice of one of the zoo's groups (`model=`, `data=`, ..., `experiment=`) naming
  one of the zoo's own options, or a dotted key under those groups' nodes (`trainer.max_epochs`)
  or one of the run's plain settings (`seed`, `test`, `name`); every part of it a plain name;
- the value is a number, a word, a boolean, null, or a list/dict of those, with no
  interpolation (`${...}`), no sweep, no `_`-named key (`_target_`), no absolute path and no `..`;
- nothing else: no flag, no `+`/`++`/`~`, no `hydra.*`, `paths.*`, `hydra/...`, `launcher`,
  `hparams_search`, no `group@package`.
An item is refused with one line before anything is composed. An override the user types again
on the command line replaces the stored one (and is not checked as stored data: it is theirs).
The run folder is always the resumed folder: `hydra.run.dir` is set to it and the command line may
not move it (`hydra.run.dir`, `paths.*`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from zoo.errors import ZooError, first_lines
from zoo.registry import options

# The groups whose option a stored override may choose, and whose keys it may set.
REPLAY_GROUPS = ("model", "data", "optimizer", "scheduler", "regularizer", "trainer", "callbacks", "logger")
CHOICE_ONLY = ("experiment", "logger")  # a preset or a logger may be chosen, not edited key by key
PLAIN_SETTINGS = ("seed", "test", "name")
NAME = r"[A-Za-z][A-Za-z0-9_]*"
PLAIN_OVERRIDE = re.compile(rf"(?P<key>{NAME}(?:\.{NAME})*)=(?P<value>.*)", re.DOTALL)
DROPPED = ("ckpt_path",)  # an earlier resume's checkpoint: this resume sets its own
MOVES_THE_RUN = ("hydra.run.dir", "hydra.sweep.dir", "paths.")


def replayable(item: Any, saved: Path) -> str:
    """One stored override, returned as it is if the allowlist passes it; else one ZooError line."""

    def refuse(why: str) -> ZooError:
        return ZooError(f"resume: refused to replay {item!r} from {saved} ({why})")

    if not isinstance(item, str):
        raise refuse("not an override string")
    match = PLAIN_OVERRIDE.fullmatch(item)
    if match is None:
        raise refuse("a run folder may only hold plain key=value overrides of the zoo's own keys")
    key, root = match["key"], match["key"].split(".", 1)[0]
    if "." not in key and root in (*REPLAY_GROUPS, *CHOICE_ONLY):
        check_choice(root, match["value"], refuse)
        return item
    if root in CHOICE_ONLY or not (root in REPLAY_GROUPS or key in PLAIN_SETTINGS):
        raise refuse(f"it may not set {key}")
    check_value(parsed_value(item, refuse), refuse)
    return item


def check_choice(group: str, value: str, refuse: Any) -> None:

    if value != "null" and value not in options(group):
        raise refuse(f"{value!r} is not one of the zoo's {group} options")


def parsed_value(item: str, refuse: Any) -> Any:
    """The override's value as Hydra's grammar reads it, refused if it is a sweep or a function
    Hydra evaluates to something other than plain data."""
    # Hydra and OmegaConf load when a config is composed: `zoo --help` and `import zoo` stay without them
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.core.override_parser.types import ValueType
    from hydra.errors import HydraException

    try:
        (override,) = OverridesParser.create().parse_overrides([item])
    except (HydraException, ValueError) as error:
        raise refuse(f"not a valid override: {first_lines(error)}") from None
    if override.value_type != ValueType.ELEMENT:
        raise refuse("a sweep")
    return override.value()


def check_value(value: Any, refuse: Any) -> None:
    if value is None or isinstance(value, bool | int | float):
        return
    if isinstance(value, str):
        if "${" in value:
            raise refuse("an interpolation")
        if value.startswith(("/", "~", "\\")) or ".." in re.split(r"[/\\]", value):
            raise refuse("a path outside the working folder; give it on the command line yourself")
        return
    if isinstance(value, list):
        for element in value:
            check_value(element, refuse)
        return
    if isinstance(value, dict):
        for name, element in value.items():
            if not isinstance(name, str) or not re.fullmatch(NAME, name):
                raise refuse(f"the key {name!r} (only plain names; no _target_)")
            check_value(element, refuse)
        return
    raise refuse(f"a {type(value).__name__} value")


def stored_overrides(run: Path) -> list[str]:
    """The run folder's .hydra/overrides.yaml as a list of strings (YAML data, nothing resolved)."""

    saved = run / ".hydra" / "overrides.yaml"
    try:
        if saved.stat().st_size > 1_000_000:
            raise ZooError(f"resume: {saved} is larger than 1 MB; not a run's overrides")
        stored = yaml.safe_load(saved.read_text(encoding="utf-8")) or []
    except (yaml.YAMLError, UnicodeDecodeError, OSError, RecursionError) as error:
        raise ZooError(f"resume: cannot read {saved}: {' '.join(str(error).split())[:200]}") from None
    if not isinstance(stored, list):
        raise ZooError(f"resume: {saved} is not a list of overrides")
    return stored


def typed_key(override: str) -> str:
    return override.split("=", 1)[0].lstrip("+~")


def expand_resume(overrides: list[str]) -> list[str]:
    """`resume=<run folder>` among the command line's overrides: the folder's own overrides that
    the allowlist passes, then the command line's, writing into the same folder from its
    checkpoints/last.ckpt."""
    given = [arg for arg in overrides if arg.startswith("resume=")]
    if not given:
        return overrides
    run = Path(given[-1].split("=", 1)[1])
    saved, last = run / ".hydra" / "overrides.yaml", run / "checkpoints" / "last.ckpt"
    if not saved.is_file() or not last.is_file():
        raise ZooError(f"resume={run}: not a run folder with .hydra/overrides.yaml and checkpoints/last.ckpt")
    typed = [arg for arg in overrides if not arg.startswith(("resume=", "ckpt_path="))]
    for arg in list(typed):
        key, value = typed_key(arg), arg.partition("=")[2]
        if key == "hydra.run.dir" and Path(value).resolve() == run.resolve():
            typed.remove(arg)  # the same folder (Lightning's DDP ranks re-run the command with it)
        elif key.startswith(MOVES_THE_RUN):
            raise ZooError(f"resume={run} writes into {run}: {key} cannot be set with resume=")
    retyped = {typed_key(arg) for arg in typed}
    replayed = []
    for item in stored_overrides(run):
        key = typed_key(item) if isinstance(item, str) else None
        if key in DROPPED or key in retyped:
            continue
        replayed.append(replayable(item, saved))
    return [*replayed, *typed, f"hydra.run.dir={run}", f"ckpt_path={last}"]
