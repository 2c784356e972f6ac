"""The `zoo` command: train | eval | predict | list, each Hydra app over the configs/ tree.

`zoo <command> [overrides]` keeps sys.argv as typed (Lightning's DDP launcher re-runs the same
argv in each extra rank). Before Hydra starts, the overrides are checked against the registry and
composed once, so a misspelt model name or key is one readable line, not a stack trace.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zoo.errors import ZooError

HELP = """usage: zoo <command> [hydra overrides] [-m]

A PyTorch model zoo trained from one Hydra CLI.

commands:
  train     train a model:  zoo train model=mlp data=digits optimizer=adam trainer.max_epochs=20
            sweep with -m:  zoo train -m optimizer=sgd,adam optimizer.lr=0.1,0.01
            search:         zoo train hparams_search=optuna hydra.sweeper.n_trials=20
            preset:         zoo train experiment=circles_mlp
            resume:         zoo train resume=runs/<name>/<time>   (after a crash, Ctrl-C or SIGTERM)
  eval      test a checkpoint on its dataset:  zoo eval ckpt_path=runs/.../checkpoints/best.ckpt
  predict   predict with a checkpoint:  zoo predict ckpt_path=... input=rows.csv (or .npy, [x1,x2],
            an image or a folder of them, or text for text models)
  list      list models, datasets, optimizers, schedulers, ... with descriptions:  zoo list [group]
  gradcheck check a model's gradients against central differences:  zoo gradcheck model=mlp data=xor
  export    weights as safetensors + config as JSON:  zoo export ckpt_path=... [output=folder]
            (zoo predict and zoo eval take the folder as ckpt_path)

Every Hydra option works after the command: `zoo train --cfg job` prints the composed config,
`zoo train --help` lists the config groups. Set HYDRA_FULL_ERROR=1 to see full tracebacks.
In Python: zoo.create_model(...), zoo.load(checkpoint).predict(inputs); see the README.
"""
HYDRA_COMMANDS = ("train", "eval", "predict", "gradcheck", "export")
MAX_PREFLIGHT_COMBINATIONS = 32


def error_line(message: str) -> None:
    print(f"zoo: error: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(HELP)
        return 0
    command, rest = args[0], args[1:]
    try:
        if command == "list":
            from zoo.commands.listing import list_registry

            list_registry(rest)
            return 0
        if command not in HYDRA_COMMANDS:
            raise ZooError(
                f"unknown command {command!r}; choose one of train, eval, predict, export, gradcheck, list"
            )
        if command == "train":
            rest = expand_resume(rest)
        if not any(arg.startswith("-") and arg not in ("-m", "--multirun") for arg in rest):
            preflight(command, rest, multirun=any(arg in ("-m", "--multirun") for arg in rest))
    except ZooError as error:
        error_line(str(error))
        return 2
    return run_hydra(command, rest)


def expand_resume(args: list[str]) -> list[str]:
    """`resume=<run folder>`: that run's own overrides (its .hydra/overrides.yaml), then these,
    writing into the same folder from its checkpoints/last.ckpt."""
    given = [arg for arg in args if arg.startswith("resume=")]
    if not given:
        return args
    from pathlib import Path

    from omegaconf import OmegaConf

    run = Path(given[-1].split("=", 1)[1])
    saved, last = run / ".hydra" / "overrides.yaml", run / "checkpoints" / "last.ckpt"
    if not saved.is_file() or not last.is_file():
        raise ZooError(f"resume={run}: not a run folder with .hydra/overrides.yaml and checkpoints/last.ckpt")
    replaced = ("ckpt_path=", "hydra.run.dir=", "resume=")
    original = [str(arg) for arg in OmegaConf.load(saved) if not str(arg).startswith(replaced)]
    extra = [arg for arg in args if not arg.startswith(replaced)]
    return [*original, *extra, f"hydra.run.dir={run}", f"ckpt_path={last}"]


# --- checks before Hydra runs ----------------------------------------------------------------------
def preflight(command: str, args: list[str], multirun: bool = False) -> None:
    """Check group choices and keys by composing the config for each sweep combination."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException
    from omegaconf.errors import OmegaConfBaseException

    from zoo.registry import CHOICE_GROUPS, options

    overrides = [arg for arg in args if not arg.startswith("-")]
    try:
        parsed = OverridesParser.create().parse_overrides(overrides)
    except HydraException as error:
        raise ZooError(f"cannot parse the overrides: {one_line(error)}") from None
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
    kept = [
        values
        for override, values in zip(parsed, value_lists, strict=True)
        if not override.key_or_group.startswith("hydra")
    ]
    config_name = command
    for combination in itertools.islice(itertools.product(*kept), MAX_PREFLIGHT_COMBINATIONS):
        try:
            from zoo.registry import compose

            cfg = compose(config_name, list(combination))
        except (HydraException, OmegaConfBaseException) as error:
            raise ZooError(explain_compose_error(error)) from None
        validate(command, cfg)


def one_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return " ".join(lines[:2]) if lines else type(error).__name__


def explain_compose_error(error: BaseException) -> str:
    text = str(error)
    if text.startswith("Could not override"):
        key = text.split("'")[1] if "'" in text else "?"
        return f"unknown config key {key!r} (check the spelling; to add a new key use +{key}=...)"
    if "Missing mandatory value" in text:
        key = text.split("Missing mandatory value:")[-1].strip().splitlines()[0]
        return f"missing required value {key!r} (give it as {key}=...)"
    return one_line(error)


def validate(command: str, cfg: Any) -> None:
    """Values that would fail late or silently, checked before anything is built."""
    from omegaconf import OmegaConf

    for key in ("ckpt_path", "input"):
        if OmegaConf.is_missing(cfg, key):
            raise ZooError(f"missing required value {key!r} (give it as {key}=...)")
    checkpoint = OmegaConf.select(cfg, "ckpt_path", throw_on_missing=False, throw_on_resolution_failure=False)
    if isinstance(checkpoint, str) and checkpoint and not Path(checkpoint).exists():
        raise ZooError(f"checkpoint not found: {checkpoint}")  # now, not after importing torch
    if command != "train":
        return

    def get(key: str) -> Any:
        return OmegaConf.select(cfg, key, throw_on_missing=False, throw_on_resolution_failure=False)

    lr = get("optimizer.lr")
    if lr is not None and (isinstance(lr, bool) or not isinstance(lr, int | float) or lr <= 0):
        raise ZooError(f"optimizer.lr must be a positive number, got {lr!r}")
    batch_size = get("data.batch_size")
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ZooError(f"data.batch_size must be a positive integer, got {batch_size!r}")
    epochs = get("trainer.max_epochs")
    if epochs is not None and (not isinstance(epochs, int) or (epochs < 1 and epochs != -1)):
        raise ZooError(f"trainer.max_epochs must be a positive integer (or -1), got {epochs!r}")


# --- running the Hydra app -------------------------------------------------------------------------
SWEEP_RESULTS: list[dict[str, Any]] = []


class Objective(float):
    """A train job's result as a sweeper sees it: the best value of the monitored validation
    metric (a float, which is what Optuna reads), with the whole run summary attached."""

    summary: dict[str, Any]

    @classmethod
    def of(cls, summary: dict[str, Any]) -> Objective | None:
        if summary.get("best_val") is None:
            return None  # nothing to optimise: Optuna counts the trial as failed
        objective = cls(summary["best_val"])
        objective.summary = summary
        return objective


def job(command: str) -> Callable[[Any], Any]:
    """The Hydra task function for `command`: runs it, turning a ZooError into one line."""

    def run_job(cfg: Any) -> Any:
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        from zoo.training.resume import Interrupted

        sys.argv[:] = ORIGINAL_ARGV  # as typed, for Lightning's DDP re-launch
        hydra_config = HydraConfig.get()
        multirun = hydra_config.mode == RunMode.MULTIRUN
        entry = {
            "job": hydra_config.job.get("num", 0),
            "overrides": list(hydra_config.overrides.task),
            "sweep_dir": hydra_config.sweep.dir if multirun else None,
        }
        try:
            result = command_function(command)(cfg)
        except Interrupted as stop:
            print(f"zoo: stopped by {stop}", file=sys.stderr)
            print(f"resume with: zoo train resume={hydra_config.runtime.output_dir}", file=sys.stderr)
            raise SystemExit(128 + stop.signum) from None
        except ZooError as error:
            if not multirun:
                error_line(str(error))
                raise SystemExit(2) from None
            error_line(f"job {entry['job']} ({' '.join(entry['overrides'])}): {error}")
            SWEEP_RESULTS.append({**entry, "status": "failed", "error": str(error)})
            return None
        if multirun:
            SWEEP_RESULTS.append({**entry, "status": "ok", "summary": result})
            if command == "train":  # the objective a sweeper (Optuna) optimises
                return Objective.of(result)
        return result

    run_job.__module__ = __name__
    run_job.__name__ = f"{command}_job"
    return run_job


def command_function(command: str) -> Callable[[Any], Any]:
    if command == "train":
        from zoo.commands.train import train

        return train
    if command == "eval":
        from zoo.commands.evaluate import evaluate

        return evaluate
    if command == "gradcheck":
        from zoo.commands.gradcheck import gradcheck

        return gradcheck
    if command == "export":
        from zoo.commands.export import export

        return export
    from zoo.commands.predict import predict

    return predict


ORIGINAL_ARGV: list[str] = []


def run_hydra(command: str, rest: list[str]) -> int:
    import hydra

    from zoo.registry import config_dir, register_resolvers

    register_resolvers()
    ORIGINAL_ARGV[:] = sys.argv
    SWEEP_RESULTS.clear()
    app = hydra.main(version_base="1.3", config_path=str(config_dir()), config_name=command)(job(command))
    sys.argv[:] = [sys.argv[0], *rest]
    try:
        app()
    finally:
        sys.argv[:] = ORIGINAL_ARGV
    if SWEEP_RESULTS:
        print_sweep(SWEEP_RESULTS)
        return 1 if any(result["status"] == "failed" for result in SWEEP_RESULTS) else 0
    return 0


def sweep_rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per job, best first (by the monitored validation metric, in its direction),
    failed jobs last."""
    rows = []
    for result in results:
        summary = result.get("summary") or {}
        monitor = str(summary.get("monitor") or "")
        test_name = monitor.replace("val/", "test/")
        rows.append(
            {
                "job": result["job"],
                "status": "ok" if result["status"] == "ok" else f"failed: {result['error']}",
                "overrides": " ".join(result["overrides"]),
                "monitor": monitor,
                "best_val": summary.get("best_val"),
                "test_metric": test_name if test_name in summary.get("test", {}) else "",
                "test_value": summary.get("test", {}).get(test_name),
                "run_dir": summary.get("run_dir", ""),
                "mode": summary.get("monitor_mode", "min"),
            }
        )

    def rank(row: dict[str, Any]) -> tuple[int, float]:
        if row["best_val"] is None:
            return (1, 0.0)
        return (0, -row["best_val"] if row["mode"] == "max" else row["best_val"])

    return sorted(rows, key=rank)


def print_sweep(results: list[dict[str, Any]]) -> None:
    """The sweep's table, best job first: printed, and written to <sweep dir>/sweep.csv."""
    import csv

    from rich.table import Table

    from zoo.commands.common import console, format_value

    rows = sweep_rows(results)
    common = set.intersection(*(set(result["overrides"]) for result in results))
    title = f"sweep: {len(results)} jobs, best first"
    if common:  # the table shows what differs between the jobs
        title += f" (all with: {' '.join(o for o in results[0]['overrides'] if o in common)})"
    table = Table(title=title, title_justify="left")
    for column in ("job", "overrides", "status", "best val metric", "test metric"):
        table.add_column(column, overflow="fold")
    for row in rows:
        best = f"{row['monitor']} {format_value(row['best_val'])}" if row["best_val"] is not None else ""
        test = f"{row['test_metric']} {format_value(row['test_value'])}" if row["test_metric"] else ""
        differing = " ".join(o for o in row["overrides"].split() if o not in common)
        table.add_row(str(row["job"]), differing, row["status"], best, test)
    console.print(table)
    sweep_dir = next((result["sweep_dir"] for result in results if result.get("sweep_dir")), None)
    if sweep_dir:
        path = Path(sweep_dir) / "sweep.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        columns = [
            "job",
            "status",
            "overrides",
            "monitor",
            "best_val",
            "test_metric",
            "test_value",
            "run_dir",
        ]
        with path.open("w", newline="", encoding="utf-8") as file:
            writer = csv.DictWriter(file, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        console.print(f"sweep table written to {path}")


def entry_point() -> None:
    sys.exit(main())
