"""Run assembly: the one place that builds a run from a composed config - the data module, the
task around its net, the callbacks, the loggers and the Lightning trainer - and checks, before
anything trains, that they fit together. `zoo train`, `zoo eval`, `zoo gradcheck`, the Python API
(zoo.create_task) and scripts/bench.py all build through it.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import lightning as L
import torch
from lightning.fabric.utilities.exceptions import MisconfigurationException
from omegaconf import DictConfig

from zoo.allowlist import ACCELERATORS, check_targets
from zoo.checkpoint import load_checkpoint
from zoo.data import build_datamodule
from zoo.data.base import HasSplits, learns_vocabulary
from zoo.errors import ZooError, first_lines
from zoo.registry import plain
from zoo.tasks import Task, build_task
from zoo.training.callbacks import build_callbacks
from zoo.training.guard import NonFiniteLossGuard
from zoo.training.loggers import start_logger
from zoo.training.pretrained import (
    PRETRAINED_KEYS,  # (Lightning-free: light to import)
    load_embeddings,
    load_pretrained_encoder,
    use_pretrained_tokenizer,
)
from zoo.training.resume import (
    AtomicCheckpointIO,
    ExactResume,
    LastCheckpoint,
    StopOnSignal,
    check_resumable,
    check_resumed_fits,
    remove_stale_temporaries,
)
from zoo.training.speed import TrainingSpeed
from zoo.training.steps import use_bundled_steps

if TYPE_CHECKING:
    from zoo.data.base import DataModule

log = logging.getLogger("zoo")


# trainer.* keys the zoo reads itself; the rest are lightning.Trainer's arguments
ZOO_TRAINER_KEYS = ("steps_per_batch",)


def lightning_trainer_options(trainer_config: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in trainer_config.items() if key not in ZOO_TRAINER_KEYS}


def quiet_lightning() -> None:
    """Keep Lightning's start-up banners (GPU available..., tips) out of the user's terminal."""
    logging.getLogger("lightning.pytorch.utilities.rank_zero").setLevel(logging.WARNING)
    logging.getLogger("lightning.fabric.utilities.rank_zero").setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", ".*does not have many workers.*")
    warnings.filterwarnings(
        "ignore", ".*exists and is not empty.*"
    )  # the run folder already holds .hydra/ etc.
    warnings.filterwarnings("ignore", r".*isinstance\(treespec, LeafSpec\)` is deprecated.*")
    warnings.filterwarnings("ignore", ".*number of training batches.*smaller than the logging interval.*")
    # zoo.training.resume.ExactResume restores the position inside the epoch itself
    warnings.filterwarnings("ignore", ".*your dataloader is not resumable.*")


def without_nvml_checks_on_cpu() -> None:
    """Importing Lightning sets PYTORCH_NVML_BASED_CUDA_CHECK=1 (asking whether CUDA is there then
    does not initialise it, which a later fork would not survive). Without an NVIDIA driver NVML
    never loads, nothing is cached, and torch's optimizer asks at every step: 0.1 ms a step on
    this project's 2-core test machine, 5% of a small model's step. Where there is no GPU, there
    is nothing to protect: ask CUDA itself (0.004 ms)."""
    if os.environ.get("PYTORCH_NVML_BASED_CUDA_CHECK") == "1" and not torch.cuda.is_available():
        del os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"]


def check_model_fits_data(task: Task, datamodule: DataModule) -> None:
    """One forward pass and loss on two training examples, so that a model whose input or output
    size does not fit the data fails here with one line, before any training starts."""
    datamodule.prepare_data()
    datamodule.setup("fit")
    batch = next(iter(datamodule.train_dataloader()))
    small_batch = datamodule.on_after_batch_transfer([part[:2].cpu() for part in batch], 0)
    was_training = task.training
    task.eval()
    try:
        with torch.no_grad():
            task.loss_and_outputs(small_batch)
    except (RuntimeError, IndexError, ValueError) as error:
        raise ZooError(f"the model does not fit the data: {first_lines(error)}") from None
    finally:
        task.train(was_training)


def build_training_task(config: dict[str, Any]) -> Task:

    model = {key: value for key, value in config["model"].items() if key not in PRETRAINED_KEYS}
    return build_task(
        model,
        optimizer=config["optimizer"],
        scheduler=config.get("scheduler") or None,
        regularizer=config.get("regularizer") or None,
    )


def vocabulary_found(cfg: DictConfig, config: dict[str, Any], datamodule: DataModule) -> dict[str, Any]:
    """data.vocab_size is a cap: a data module that learns its tokenizer from the training text
    (`actual_vocab_size`) may find fewer tokens (a character tokenizer: about a hundred). The
    model (`${data.vocab_size}`) and the stored run config then get the size found, not the cap."""
    cap = config["data"].get("vocab_size")
    if not learns_vocabulary(datamodule) or not isinstance(cap, int):
        return config
    found = datamodule.actual_vocab_size
    if found >= cap:
        return config
    log.info("vocabulary: %d tokens found in the training text (data.vocab_size=%d is the cap)", found, cap)
    cfg.data.vocab_size = found
    datamodule.vocab_size = found
    return plain(cfg)


FOUND_KEYS = ("num_features", "num_classes", "class_names", "tags")


def facts_found(cfg: DictConfig, config: dict[str, Any], datamodule: DataModule) -> dict[str, Any]:
    """Facts about your own data that its config leaves null (data.num_classes, num_features,
    class_names, tags: a CSV, a CoNLL file or labelled texts) read from the data (`found_facts()`
    of the data module), so that the model's `${data.num_classes}` and the stored run config get
    them."""
    wanted = [key for key in FOUND_KEYS if key in config["data"] and config["data"][key] is None]
    if not wanted or not hasattr(datamodule, "found_facts"):
        return config
    found = datamodule.found_facts()
    for key in wanted:
        if found.get(key) is not None:
            cfg.data[key] = found[key]
            shown = (
                found[key]
                if not isinstance(found[key], list) or len(found[key]) <= 12
                else f"{len(found[key])} of them"
            )
            log.info("data.%s found in the training data: %s", key, shown)
    return plain(cfg)


def log_split_sizes(datamodule: DataModule) -> None:
    """One line at the start: how many examples (or windows) each split read."""
    datasets = datamodule.datasets if isinstance(datamodule, HasSplits) else {}
    sizes = [
        f"{split} {len(datasets[split]):,}"
        for split in ("train", "val", "test")
        if split in datasets and hasattr(datasets[split], "__len__")
    ]
    if sizes:
        log.info("data: %s", ", ".join(sizes))


def check_accelerator(accelerator: Any) -> None:
    if accelerator is not None and accelerator not in ACCELERATORS:
        raise ZooError(f"trainer.accelerator must be one of {', '.join(ACCELERATORS)}, got {accelerator!r}")
    if accelerator in ("gpu", "cuda") and not torch.cuda.is_available():
        raise ZooError(
            f"trainer.accelerator={accelerator}, but torch sees no CUDA GPU here "
            f"(torch {torch.__version__}); use trainer.accelerator=cpu or auto"
        )


@dataclass
class Run:
    """A run built from a config, ready for `trainer.fit(task, datamodule=datamodule, ...)`."""

    config: dict[str, Any]
    datamodule: DataModule
    task: Task
    trainer: Any
    callbacks: list[Any] = field(default_factory=list)
    loggers: list[Any] = field(default_factory=list)


def assemble(cfg: DictConfig, extra_callbacks: list[Any] | None = None) -> Run:
    """Build and check a training run from the composed config: data module, task (with any
    pretrained parts), callbacks, loggers and trainer; writes into cfg.paths.output_dir."""
    # Lightning and the training machinery load here, when a run is assembled, not when zoo.run is
    # imported (zoo.create_task and zoo --help do not pay for them)

    config = plain(cfg)
    output_dir = Path(config["paths"]["output_dir"])
    for temporary in remove_stale_temporaries(output_dir / "checkpoints"):
        log.info("removed %s, left by a save that was killed", temporary)
    L.seed_everything(config["seed"], workers=True, verbose=False)
    check_targets(config)
    resumed = None
    if config.get("ckpt_path"):  # refuse a pickled payload or a truncated file in one line, up front
        resumed = check_resumable(config["ckpt_path"], config["trainer"])
    datamodule = build_datamodule(config["data"], for_trainer=True)
    config = vocabulary_found(cfg, config, datamodule)
    config = facts_found(cfg, config, datamodule)
    pretrained = None
    if config["model"].get("pretrained"):
        pretrained = load_checkpoint(config["model"]["pretrained"])
        use_pretrained_tokenizer(datamodule, pretrained)
    task = build_training_task(config)
    task.run_config = config
    if pretrained is not None:
        load_pretrained_encoder(task, pretrained, bool(config["model"].get("freeze_pretrained")))
    check_model_fits_data(task, datamodule)
    log_split_sizes(datamodule)
    if config["model"].get("embeddings"):
        load_embeddings(
            task, datamodule, config["model"]["embeddings"], config["model"].get("freeze_embeddings")
        )

    trainer_options = lightning_trainer_options(config["trainer"])
    use_bundled_steps(task, datamodule, config, trainer_options)
    check_accelerator(trainer_options.get("accelerator"))
    callbacks, enable_progress_bar = build_callbacks(
        config["callbacks"], task.monitor, task.monitor_mode, output_dir
    )
    callbacks += [
        ExactResume(),
        StopOnSignal(next(c for c in callbacks if isinstance(c, LastCheckpoint))),
        NonFiniteLossGuard(),
        TrainingSpeed(),
    ]
    callbacks.extend(extra_callbacks or [])
    loggers = [start_logger(name, logger) for name, logger in (config.get("logger") or {}).items()]
    try:
        trainer = L.Trainer(
            **trainer_options,
            callbacks=callbacks,
            logger=loggers or False,
            enable_progress_bar=enable_progress_bar,
            default_root_dir=output_dir,
            plugins=[AtomicCheckpointIO()],
        )
    except (TypeError, ValueError, MisconfigurationException) as error:
        raise ZooError(f"bad trainer option: {first_lines(error)}") from None
    if resumed is not None:
        check_resumed_fits(resumed, task, trainer)
    return Run(config, datamodule, task, trainer, callbacks, loggers)
