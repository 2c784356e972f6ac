"""Each zoo command as a Hydra app: the task function Hydra calls per job (a ZooError or, in a
sweep, any failure becomes one line and a row, not a lost sweep), the objective an Optuna sweep
reads, and the sweep's table at the end."""

from __future__ import annotations

import errno
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zoo.commands.sweep_table import print_sweep
from zoo.commands.table import command as command_row
from zoo.errors import Interrupted, ZooError, first_lines
from zoo.registry import config_dir, register_resolvers


def error_line(message: str) -> None:
    print(f"zoo: error: {message}", file=sys.stderr)


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
        # Hydra and OmegaConf load when a config is composed: `zoo --help` and `import zoo` stay without them
        from hydra.core.hydra_config import HydraConfig
        from hydra.types import RunMode

        sys.argv[:] = ORIGINAL_ARGV  # as typed, for Lightning's DDP re-launch
        hydra_config = HydraConfig.get()
        multirun = hydra_config.mode == RunMode.MULTIRUN
        entry = {
            "job": hydra_config.job.get("num", 0),
            "overrides": list(hydra_config.overrides.task),
            "sweep_dir": hydra_config.sweep.dir if multirun else None,
        }
        try:
            try:
                result = command_row(command).run()(cfg)
            except Exception as error:
                if command_row(command).writes_run_folder and not named_run_folder(ORIGINAL_ARGV):
                    remove_unstarted_run(Path(str(hydra_config.runtime.output_dir)))
                failed_write = storage_failure(error)
                if failed_write is None:
                    raise
                raise failed_write from None
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
            logging.getLogger("zoo").error("job %s failed:\n%s", entry["job"], traceback.format_exc())
            message = f"{type(error).__name__}: {first_lines(error) if str(error).strip() else ''}"
            error_line(f"job {entry['job']} ({' '.join(entry['overrides'])}): {message}")
            SWEEP_RESULTS.append({**entry, "status": "failed", "error": message})
            return None
        if multirun:
            SWEEP_RESULTS.append({**entry, "status": "ok", "summary": result})
            if command_row(command).sweep_objective:  # what a sweeper (Optuna) optimises
                return Objective.of(result)
        return result

    run_job.__module__ = __name__
    run_job.__name__ = f"{command}_job"
    return run_job


UNSTARTED_RUN = {".lock", "train.log"}  # what a run folder holds before the run is assembled


def named_run_folder(argv: list[str]) -> bool:
    """Whether the command line named the run's folder (which may have existed before the run)."""
    return any(arg.startswith(("hydra.run.dir=", "hydra.sweep.dir=")) for arg in argv)


def remove_unstarted_run(folder: Path) -> None:
    """A run that failed before it was assembled (no .hydra record, no checkpoint, no metrics)
    leaves no folder behind: `zoo runs` lists runs, not attempts. Only the folder Hydra made for
    this run (runs/<name>/<time>, not one the command line named) is removed, and only while it
    holds nothing else."""
    try:
        if not folder.is_dir() or not {path.name for path in folder.iterdir()} <= UNSTARTED_RUN:
            return
        for name in UNSTARTED_RUN:
            (folder / name).unlink(missing_ok=True)
        folder.rmdir()
        if folder.parent.name != "runs" and not any(folder.parent.iterdir()):
            folder.parent.rmdir()  # runs/<name>/ of this one attempt
    except OSError:
        return  # left as it was: removing is a courtesy, not part of the run


STORAGE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EFBIG)


def storage_failure(error: BaseException) -> ZooError | None:
    """A full disk, a quota, a read-only filesystem or a refused permission met by any writer of a
    run (the zoo's checkpoints and plots, Lightning's hparams.yaml, a logger flushing its file
    while the run is torn down after the first failure): one ZooError line naming the file; None
    for any other error. The whole chain of the error is read, since the last writer to fail is
    often a logger closing its file while the first failure is handled."""
    chain: list[BaseException] = []  # the error, then what it was raised while handling, ...
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__
    storage = [link for link in chain if isinstance(link, OSError) and link.errno in STORAGE_ERRNOS]
    if not storage:
        return None
    reported = [link for link in chain if isinstance(link, ZooError)]
    if reported:
        return ZooError(str(reported[-1]))  # the first failure, as the zoo's own writer said it
    first = storage[-1]
    return ZooError(f"cannot write {first.filename or 'a file of the run'}: {first.strerror}")


def quiet_storage_errors_in_threads(args: Any) -> None:
    """threading.excepthook for a run: a logger's writer thread (TensorBoard's) that meets a full
    disk prints no traceback; the main thread meets the same disk and says so in one line."""
    if isinstance(args.exc_value, OSError) and args.exc_value.errno in STORAGE_ERRNOS:
        return
    DEFAULT_THREAD_HOOK(args)


DEFAULT_THREAD_HOOK = threading.excepthook


ORIGINAL_ARGV: list[str] = []


def run_hydra(command: str, rest: list[str]) -> int:
    # Hydra and OmegaConf load when a config is composed: `zoo --help` and `import zoo` stay without them
    import hydra

    register_resolvers()
    threading.excepthook = quiet_storage_errors_in_threads
    logging.raiseExceptions = False  # a log file on a full disk: no "--- Logging error ---" dumps
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
