"""`zoo train`: assemble the run from the composed config (zoo.run), fit, test the best
checkpoint, and write summary.json into the run folder."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from hydra.core.hydra_config import HydraConfig
from omegaconf import DictConfig, OmegaConf

from zoo.commands.common import (
    RunFolderLock,
    atomic_output,
    console,
    format_value,
    print_table,
    write_json_atomic,
)
from zoo.commands.preflight import check_fresh_run_folder, preflight
from zoo.registry import compose, plain
from zoo.run import assemble, quiet_lightning, without_nvml_checks_on_cpu
from zoo.training.lightning_internals import open_wandb_run
from zoo.training.resume import LastCheckpoint
from zoo.training.speed import TrainingSpeed


def train(cfg: DictConfig, extra_callbacks: list[Any] | None = None) -> dict[str, Any]:
    """Train as `zoo train` does and return the run summary (also written to summary.json).
    `extra_callbacks`: Lightning callbacks to add to the configured ones (scripts/bench.py's timer).
    A second run writing into the same folder is refused while this one runs."""
    quiet_lightning()
    without_nvml_checks_on_cpu()
    started = time.time()
    config = plain(cfg)
    output_dir = Path(config["paths"]["output_dir"])
    with RunFolderLock(output_dir):
        if os.environ.get("LOCAL_RANK", "0") == "0":  # extra DDP ranks join rank 0's run
            check_fresh_run_folder(output_dir, config.get("ckpt_path"), config.get("overwrite"))
        return fit_and_test(cfg, output_dir, started, extra_callbacks)


def fit_and_test(
    cfg: DictConfig, output_dir: Path, started: float, extra_callbacks: list[Any] | None
) -> dict[str, Any]:

    run = assemble(cfg, extra_callbacks)
    if run.trainer.is_global_zero:
        save_run_record(cfg)
    config, task, trainer, datamodule = run.config, run.task, run.trainer, run.datamodule
    trainer.fit(task, datamodule=datamodule, ckpt_path=config.get("ckpt_path"), weights_only=True)
    # Read the checkpoint callback before testing: trainer.test(ckpt_path=...) restores callback
    # states from that file, which would roll last_model_path back to when best.ckpt was written.
    checkpoint = trainer.checkpoint_callback
    last = next(c for c in run.callbacks if isinstance(c, LastCheckpoint))
    # a resumed run with nothing left to train saves nothing: its last.ckpt is the one it resumed
    last_path = last.path or (str(last.file) if last.file.is_file() else "")
    best_path, monitor = checkpoint.best_model_path or last_path, checkpoint.monitor
    best_score = checkpoint.best_model_score
    best_score = float(best_score) if best_score is not None else None
    final_train = {  # the last epoch's training metrics (a claim about training reads them)
        key: float(value)
        for key, value in trainer.callback_metrics.items()
        if key.startswith("train/") and not key.endswith("_step") and value.numel() == 1
    }
    test_metrics: dict[str, float] = {}
    if config.get("test", True):
        results = trainer.test(
            task, datamodule=datamodule, ckpt_path=best_path or None, weights_only=True, verbose=False
        )
        test_metrics = {key: float(value) for key, value in (results[0] if results else {}).items()}
    summary = {
        "name": config.get("name"),
        "run_dir": str(output_dir),
        "monitor": monitor,
        "monitor_mode": task.monitor_mode,
        "best_val": best_score,
        "test": test_metrics,
        "train": {key.removesuffix("_epoch"): value for key, value in final_train.items()},
        "best_checkpoint": best_path,
        "last_checkpoint": last_path,
        "epochs": trainer.current_epoch,
        "global_step": trainer.global_step,
        "parameters": sum(parameter.numel() for parameter in task.parameters()),
        "train_speed": next(c for c in run.callbacks if isinstance(c, TrainingSpeed)).summary(),
        "wall_time_s": round(time.time() - started, 2),
        "expected": config.get("expected"),
    }
    finish_runs(run.loggers)
    if trainer.is_global_zero:
        write_json_atomic(output_dir / "summary.json", summary)
        print_summary(summary)
    return summary


def api_run_config(experiment: str | None, overrides: list[str], output_dir: str | Path | None) -> DictConfig:
    """The run config `zoo.train` trains: composed and checked by preflight as `zoo train` is, with
    what Hydra would set on the command line - the run's name (model_data unless a preset names
    it) and its folder, runs/<name>/<time> unless `output_dir` is given."""
    args = [*([f"experiment={experiment}"] if experiment else []), *overrides]
    preflight("train", args)  # train() checks the run folder itself
    composed = compose("train", args, return_hydra_config=True)
    if not any(arg.startswith("name=") for arg in args) and OmegaConf.is_interpolation(composed, "name"):
        choices = composed.hydra.runtime.choices
        args.append(f"name={choices.model}_{choices.data}")
    name = str(compose("train", args).name)
    if output_dir is None:
        stamp = datetime.now().strftime("%Y-%m-%d_%H-%M-%S-%f")
        output_dir = Path(str(composed.paths.log_dir)) / name / stamp
    return compose("train", [*args, f"paths.output_dir={output_dir}"])


def save_run_record(cfg: DictConfig) -> None:
    """The run folder's .hydra/ record (config.yaml, hydra.yaml, overrides.yaml, as Hydra writes
    them) when Hydra runs this job. Written here rather than by Hydra (`hydra.output_subdir:
    null`): only once the run is assembled and its checks passed, so that a refused run (a resume
    that does not fit) leaves the folder's record as it was; and a full disk or a folder that cannot
    be written is one line, not Hydra's traceback. Each file whole or absent."""

    if not HydraConfig.initialized():
        return  # the Python API: no Hydra run, no record
    hydra_config = HydraConfig.get()
    if (
        Path(str(hydra_config.runtime.output_dir)).resolve()
        != Path(plain(cfg)["paths"]["output_dir"]).resolve()
    ):
        return  # not a Hydra job writing this folder (the API after a preflight in the same process)
    folder = Path(hydra_config.runtime.output_dir) / ".hydra"
    records = {
        "config.yaml": cfg,
        "hydra.yaml": HydraConfig.instance().cfg,
        "overrides.yaml": hydra_config.overrides.task,
    }
    for name, node in records.items():
        with atomic_output(folder / name) as file:
            file.write(OmegaConf.to_yaml(node))


def speed_text(speed: dict[str, Any]) -> str:
    """e.g. "51,200 tokens/s (1,460 examples/s)", or "" before any training step."""
    if not speed.get("examples_per_s"):
        return ""
    examples = f"{speed['examples_per_s']:,.0f} examples/s"
    return f"{speed['tokens_per_s']:,.0f} tokens/s ({examples})" if speed.get("tokens_per_s") else examples


def finish_runs(loggers: list[Any]) -> None:
    """End the run of a logger that keeps one open (W&B): the next job of a sweep, in this
    same process, must start its own run instead of writing into this one."""

    for logger in loggers:
        if type(logger).__name__ == "WandbLogger" and open_wandb_run(logger) is not None:
            logger.experiment.finish()


def print_summary(summary: dict[str, Any]) -> None:
    rows = [(f"best {summary['monitor']}", format_value(summary["best_val"]))]
    rows += [(key, format_value(value)) for key, value in summary["test"].items()]
    if summary.get("expected"):
        rows.append(("expected", f"{summary['expected']['metric']} {summary['expected']['value']}"))
    rows.append(("time", f"{summary['wall_time_s']:.1f} s, {summary['epochs']} epochs"))
    speed = speed_text(summary["train_speed"])
    if speed:
        rows.append(("training speed", speed))
    print_table(f"zoo train: {summary['name']}", rows)
    # paths on lines of their own, never wrapped, so that they can be copied whole
    console.print(f"best checkpoint: {summary['best_checkpoint']}", soft_wrap=True, highlight=False)
    console.print(f"last checkpoint: {summary['last_checkpoint']}", soft_wrap=True, highlight=False)
    console.print(f"run folder: {summary['run_dir']}", soft_wrap=True, highlight=False)
