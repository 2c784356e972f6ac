"""What `zoo` checks before Hydra runs: a resumed run's replayed overrides, the group choices and
keys (by composing the config for each sweep combination), and the values that would otherwise
fail late, silently or with a traceback. Each rule is written once, here; a failed check is one
ZooError line. Imports no torch or Lightning, so a bad command line fails in a second.
"""

from __future__ import annotations

import copy
import itertools
import math
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from zoo.allowlist import ACCELERATORS, check_targets
from zoo.errors import ZooError, export_folder_to_resume, first_lines
from zoo.registry import CHOICE_GROUPS, compose, options
from zoo.weights import names_weights

MAX_PREFLIGHT_COMBINATIONS = 32


# --- composing every combination -------------------------------------------------------------------
def preflight(command: str, args: list[str], multirun: bool = False) -> None:
    """Check group choices and keys by composing the config for each sweep combination. `args`
    are overrides only: zoo.commands.argv has taken the flags out."""
    # Hydra and OmegaConf load when a config is composed: `zoo --help` and `import zoo` stay without them
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    overrides = list(args)
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except HydraException as error:
        raise ZooError(f"cannot parse the overrides: {first_lines(error, 2)}") from None
    value_lists: list[list[str]] = []
    for override in parsed:
        key = override.key_or_group
        try:
            values = list(override.sweep_string_iterator()) if override.is_sweep_override() else None
        except Exception:  # an interval or other sweep only a sweeper plugin expands
            return
        if values is not None and not multirun:
            raise ZooError(
                f"{override.input_line} is a sweep: add -m to run one job per value, or quote it as a string"
            )
        if values is None:
            values = [override.get_value_element_as_str()] if not override.is_delete() else [None]
        if key in CHOICE_GROUPS and override.package is None:
            known = options(key)
            for value in values:
                if value is not None and value != "null" and value not in known:
                    raise ZooError(f"unknown {key} {value!r}; valid: {', '.join(known)}")
        prefix = override.get_key_element()
        value_lists.append(
            [f"{prefix}={value}" if value is not None else override.input_line for value in values]
        )
    writes_run_folder = command_row(command).writes_run_folder
    named_folder = None  # where a single run was told to write (a sweep's jobs get new folders)
    for override in overrides:
        if writes_run_folder and override.startswith("hydra.run.dir="):
            named_folder = override.split("=", 1)[1]
    kept = [
        values
        for override, values in zip(parsed, value_lists, strict=True)
        if not override.key_or_group.startswith("hydra")
    ]
    for combination in itertools.islice(itertools.product(*kept), MAX_PREFLIGHT_COMBINATIONS):
        try:
            cfg = compose(command, list(combination), return_hydra_config=True)
        except (HydraException, OmegaConfBaseException) as error:
            raise ZooError(explain_compose_error(error)) from None
        config = validate(command, cfg)
        if writes_run_folder and not multirun:
            check_run_folder(named_folder or config["paths"]["log_dir"])  # runs/<name>/<time> by default
        if named_folder is not None and not multirun:
            check_fresh_run_folder(Path(named_folder), config.get("ckpt_path"), config.get("overwrite"))


def explain_compose_error(error: BaseException) -> str:
    text = str(error)
    if text.startswith("Could not override"):
        key = text.split("'")[1] if "'" in text else "?"
        return f"unknown config key {key!r} (check the spelling; to add a new key use +{key}=...)"
    if "Missing mandatory value" in text:
        key = text.split("Missing mandatory value:")[-1].strip().splitlines()[0]
        return f"missing required value {key!r} (give it as {key}=...)"
    return first_lines(error, 2)


# --- the composed config ---------------------------------------------------------------------------
def resolved(cfg: Any) -> dict[str, Any]:
    """The composed config (without its `hydra` node) with every interpolation resolved, as the
    run will see it; an interpolation that cannot resolve (a model asking for a key its data does
    not have: `model=lenet5 data=digits`) is one line naming both."""
    # Hydra and OmegaConf load when a config is composed: `zoo --help` and `import zoo` stay without them
    from hydra.core.hydra_config import HydraConfig
    from omegaconf import OmegaConf, open_dict
    from omegaconf.errors import InterpolationResolutionError, OmegaConfBaseException

    run = cfg
    if "hydra" in cfg:
        with open_dict(cfg):
            cfg.hydra.runtime.output_dir = "<run folder>"  # set by Hydra when the run starts
        HydraConfig.instance().set_config(cfg)
        run = copy.deepcopy(cfg)
        with open_dict(run):
            del run["hydra"]
    try:
        container = OmegaConf.to_container(run, resolve=True)
    except InterpolationResolutionError as error:
        key = getattr(error, "full_key", "") or "?"
        choices = OmegaConf.select(cfg, "hydra.runtime.choices") or {}
        pair = f"model={choices.get('model', '?')} and data={choices.get('data', '?')}"
        raise ZooError(
            f"{key}: {first_lines(error, 2).split(' full_key')[0]} ({pair} do not fit together; "
            "`zoo list model` and `zoo list data` say what each expects)"
        ) from None
    except OmegaConfBaseException as error:
        raise ZooError(first_lines(error, 2)) from None
    return container


def select(config: dict[str, Any], dotted: str) -> Any:
    node: Any = config
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def positive_int(value: Any) -> bool:
    return is_int(value) and value >= 1


# (key, test the value must pass when it is set, what it must be): the values a run would accept
# and then fail on late (a ZeroDivisionError at the first step), loop on forever, or silently misuse
TRAIN_RULES: list[tuple[str, Any, str]] = [
    ("seed", is_int, "an integer"),
    ("overwrite", lambda v: isinstance(v, bool), "true or false"),
    ("optimizer.lr", lambda v: is_number(v) and v > 0, "a positive number"),
    ("data.batch_size", positive_int, "a positive integer"),
    ("data.val_fraction", lambda v: is_number(v) and 0 < v < 1, "a fraction above 0 and below 1"),
    ("data.test_fraction", lambda v: is_number(v) and 0 < v < 1, "a fraction above 0 and below 1"),
    ("trainer.max_steps", lambda v: v == -1 or positive_int(v), "a positive integer (or -1: no limit)"),
    ("trainer.log_every_n_steps", positive_int, "a positive integer"),
    ("trainer.gradient_clip_val", lambda v: is_number(v) and v >= 0, "a number >= 0 (or null)"),
    ("trainer.devices", lambda v: not is_int(v) or v >= 1 or v == -1, "a positive integer, -1 (all) or auto"),
    ("callbacks.every_n_train_steps", positive_int, "a positive integer (or null)"),
    (
        "callbacks.progress_every",
        lambda v: positive_int(v) or is_seconds(v),
        "a number of steps (500) or seconds (30s)",
    ),
    ("scheduler.step_size", positive_int, "a positive integer"),
    ("scheduler.T_max", positive_int, "a positive integer"),
    (
        "scheduler.milestones",
        lambda v: isinstance(v, list) and all(map(positive_int, v)),
        "a list of positive integers",
    ),
    ("scheduler.gamma", lambda v: is_number(v) and v > 0, "a positive number"),
    ("trainer.accelerator", lambda v: v in ACCELERATORS, f"one of {', '.join(ACCELERATORS)}"),
]
PREDICT_RULES: list[tuple[str, Any, str]] = [
    ("top_k", positive_int, "a positive integer"),
    ("batch_size", positive_int, "a positive integer"),
    ("beam_size", positive_int, "a positive integer"),
    ("max_new_tokens", lambda v: is_int(v) and 0 <= v <= 100_000, "an integer from 0 to 100,000"),
    ("temperature", lambda v: is_number(v) and v >= 0, "a number >= 0"),
    ("seed", is_int, "an integer"),
]


EVAL_RULES: list[tuple[str, Any, str]] = [
    ("beam_size", positive_int, "a positive integer"),
    ("length_penalty", is_number, "a number"),
]


def is_seconds(value: Any) -> bool:
    """A duration such as "30s" (callbacks.progress_every)."""
    return (
        isinstance(value, str) and re.fullmatch(r"\d+(\.\d+)?s", value) is not None and float(value[:-1]) > 0
    )


def check_rules(config: dict[str, Any], rules: list[tuple[str, Any, str]]) -> None:
    for key, test, wanted in rules:
        value = select(config, key)
        if value is not None and not test(value):
            raise ZooError(f"{key} must be {wanted}, got {value!r}")


def check_epochs(config: dict[str, Any]) -> None:
    epochs, steps = select(config, "trainer.max_epochs"), select(config, "trainer.max_steps")
    if epochs is None or positive_int(epochs):
        return
    if epochs == -1 and positive_int(steps):
        return
    if epochs == -1:
        raise ZooError("trainer.max_epochs=-1 trains forever: give trainer.max_steps too (or a max_epochs)")
    raise ZooError(
        f"trainer.max_epochs must be a positive integer (or -1 with trainer.max_steps), got {epochs!r}"
    )


def check_output(path: Any) -> None:
    """`output=`: a file that can be written (a missing folder is made), not a folder."""
    if path is None or path == "":
        return
    target = Path(str(path))
    if target.is_dir():
        raise ZooError(f"output={path} is a folder: give a file path")
    blocking = file_in_the_way(target.parent)
    if blocking:
        raise ZooError(f"output={path}: {blocking} is a file, not a folder")


def check_run_folder(folder: str) -> None:
    """hydra.run.dir (the run folder) can be made and written: no file stands where a folder
    must be, and the deepest folder of it that exists takes a file (probed with a temporary file:
    permissions, a read-only filesystem and root's exemptions are all answered by trying)."""
    blocking = file_in_the_way(Path(folder))
    if blocking:
        raise ZooError(f"cannot make the run folder {folder}: {blocking} is a file")
    existing = next(path for path in [Path(folder), *Path(folder).parents] if path.exists())
    try:
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as error:
        raise ZooError(
            f"cannot write the run folder {folder} ({existing}: {error.strerror or error})"
        ) from None


def file_in_the_way(folder: Path) -> Path | None:
    """The file standing where `folder` or one of its parents must be a folder, if any."""
    existing = next((path for path in [folder, *folder.parents] if path.exists()), None)
    return existing if existing is not None and not existing.is_dir() else None


def check_fresh_run_folder(folder: Path, ckpt_path: Any, overwrite: Any) -> None:
    """A run folder that already holds checkpoints is another run's record: training into it again
    is refused unless it continues from a checkpoint of that folder (resume=) or overwrite=true."""
    held = sorted(path.name for path in (folder / "checkpoints").glob("*.ckpt")) if folder.is_dir() else []
    if not held or overwrite is True:
        return
    if isinstance(ckpt_path, str) and ckpt_path:
        inside = Path(os.path.abspath(ckpt_path)).is_relative_to(os.path.abspath(folder))
        if inside:
            return
    raise ZooError(
        f"the run folder {folder} already holds a run's checkpoints ({', '.join(held)}): continue it "
        f"with zoo train resume={folder}, write elsewhere, or replace it with overwrite=true"
    )


def validate(command: str, cfg: Any) -> dict[str, Any]:
    """Values that would fail late or silently, checked before anything is built; the resolved
    config."""
    # Hydra and OmegaConf load when a config is composed: `zoo --help` and `import zoo` stay without them
    from omegaconf import OmegaConf

    for key in ("ckpt_path", "input"):
        if OmegaConf.is_missing(cfg, key):
            raise ZooError(f"missing required value {key!r} (give it as {key}=...)")
    config = resolved(cfg)
    checkpoint = config.get("ckpt_path")
    if (
        isinstance(checkpoint, str)
        and checkpoint
        and not Path(checkpoint).exists()
        and not names_weights(checkpoint)
    ):
        raise ZooError(f"checkpoint not found: {checkpoint}")  # now, not after importing torch
    command_row(command).check(config)
    return config


def command_row(name: str) -> Any:
    from zoo.commands.table import command  # the table names this module's checks: imported here

    return command(name)


# --- each command's own checks (zoo.commands.table names them) ------------------------------------
def check_train(config: dict[str, Any]) -> None:
    checkpoint = config.get("ckpt_path")
    if isinstance(checkpoint, str) and checkpoint and Path(checkpoint).is_dir():
        raise export_folder_to_resume(checkpoint)
    check_targets(config)
    check_rules(config, TRAIN_RULES)
    check_epochs(config)


def check_predict(config: dict[str, Any]) -> None:
    check_rules(config, PREDICT_RULES)
    check_output(config.get("output"))


def check_eval(config: dict[str, Any]) -> None:
    check_rules(config, EVAL_RULES)
    check_output(config.get("output"))


def check_export(config: dict[str, Any]) -> None:
    if config.get("output") and Path(str(config["output"])).is_file():
        raise ZooError(f"output={config['output']} is a file: give a folder to export into")


def check_nothing_more(config: dict[str, Any]) -> None:
    """gradcheck: the composed config's common checks are all."""
