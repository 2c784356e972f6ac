"""The `zoo` command: train | eval | predict | list, each Hydra app over the configs/ tree.

`zoo <command> [overrides]` keeps sys.argv as typed (Lightning's DDP launcher re-runs the same
argv in each extra rank). Before Hydra starts, the overrides are checked against the registry and
composed once, so a misspelt model name or key is one readable line, not a stack trace.
"""

from __future__ import annotations

import re
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


def error_line(message: str) -> None:
    print(f"zoo: error: {message}", file=sys.stderr)


def quote_text_input(arg: str) -> str:
    """`input=ein Mann fährt Fahrrad` (the shell has taken the quotes off) as Hydra's quoted
    string, so that any text reaches predict as typed: Hydra's own parser rejects unquoted spaces
    with letters such as ä, and reads `a,b` as a sweep. Inline rows (`input=[1,2]`) and values
    the user quoted for Hydra are left as they are."""
    if not arg.startswith("input="):
        return arg
    value = arg.split("=", 1)[1]
    numbers = re.fullmatch(r"[-+]?[\d.]+(e[-+]?\d+)?", value) or re.fullmatch(
        r"\[[\d\s.,eE+\-\[\]]*\]", value
    )
    if value.startswith(("'", '"')) or numbers:
        return arg
    value = re.sub(r"(\\+)(?='|$|\$\{)", lambda run: run.group(1) * 2, value)  # backslashes Hydra unescapes
    return "input='" + value.replace("'", "\\'").replace("${", "\\${") + "'"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(HELP)
        return 0
    command, rest = args[0], args[1:]
    try:
        from zoo.commands.preflight import expand_resume, preflight

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
        if command == "predict":
            rest = [quote_text_input(arg) for arg in rest]
        if not any(arg.startswith("-") and arg not in ("-m", "--multirun") for arg in rest):
            preflight(command, rest, multirun=any(arg in ("-m", "--multirun") for arg in rest))
    except ZooError as error:
        error_line(str(error))
        return 2
    return run_hydra(command, rest)


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
        except Exception as error:  # a bug or a library's error: one job of a sweep, not the sweep
            if not multirun:
                raise
            import logging
            import traceback

            logging.getLogger("zoo").error("job %s failed:\n%s", entry["job"], traceback.format_exc())
            message = (
                f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
            )
            error_line(f"job {entry['job']} ({' '.join(entry['overrides'])}): {message}")
            SWEEP_RESULTS.append({**entry, "status": "failed", "error": message})
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
