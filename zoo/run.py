"""Run assembly: the one place that builds a run from a composed config - the data module, the
task around its net, the callbacks, the loggers and the Lightning trainer - and checks, before
anything trains, that they fit together. `zoo train`, `zoo eval`, `zoo gradcheck`, the Python API
(zoo.create_model) and scripts/bench.py all build through it.
"""

from __future__ import annotations

import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from omegaconf import DictConfig

from zoo.allowlist import ACCELERATORS, check_targets, named_targets
from zoo.data import build_datamodule
from zoo.data.base import HasSplits, TensorDataModule, TokenizedText, learns_vocabulary
from zoo.errors import ZooError, export_folder_to_resume, first_lines
from zoo.registry import plain
from zoo.tasks import Task, build_task

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


# model options applied after the task is built
PRETRAINED_KEYS = ("embeddings", "freeze_embeddings", "pretrained", "freeze_pretrained")


def load_embeddings(task: Task, datamodule: DataModule, path: str, freeze: bool) -> None:
    """Pretrained word vectors (GloVe or word2vec text) into the net's first embedding layer, by the
    data's tokenizer vocabulary (`model.embeddings=path`, `model.freeze_embeddings=true`)."""
    from torch import nn

    from zoo.models.embeddings import load_pretrained

    layer = next((m for m in task.net.modules() if isinstance(m, nn.Embedding)), None)
    tokenizer = datamodule.tokenizer if isinstance(datamodule, TokenizedText) else None
    if layer is None or tokenizer is None:
        raise ZooError(
            "model.embeddings needs a model with an embedding layer and text data with a tokenizer"
        )
    try:
        found = load_pretrained(layer, tokenizer.get_vocab(), path, bool(freeze))
    except (OSError, ValueError) as error:
        raise ZooError(f"cannot load model.embeddings: {error}") from None
    log.info(
        "pretrained vectors for %d of %d words from %s%s",
        found,
        layer.num_embeddings,
        path,
        " (frozen)" if freeze else "",
    )


def use_pretrained_tokenizer(datamodule: DataModule, checkpoint: dict[str, Any]) -> None:
    """Give the data the tokenizer the pretrained encoder was trained with (before setup)."""
    tokenizers = [
        state["tokenizer"]
        for state in checkpoint.values()
        if isinstance(state, dict) and state.get("tokenizer")
    ]
    if not tokenizers or not isinstance(datamodule, TokenizedText):
        raise ZooError("model.pretrained: the checkpoint holds no tokenizer for this text data")
    from tokenizers import Tokenizer

    datamodule.tokenizer = Tokenizer.from_str(tokenizers[0])


def load_pretrained_encoder(task: Task, checkpoint: dict[str, Any], freeze: bool) -> None:
    """Copy a masked-LM checkpoint's encoder (net.encoder.*) into this model's encoder."""
    encoder = getattr(task.net, "encoder", None)
    prefix = "net.encoder."
    weights = {k.removeprefix(prefix): v for k, v in checkpoint["state_dict"].items() if k.startswith(prefix)}
    if encoder is None or not weights:
        raise ZooError("model.pretrained needs a model with an encoder and a checkpoint with one (bert_mlm)")
    try:
        encoder.load_state_dict(weights)
    except RuntimeError as error:
        raise ZooError(f"the pretrained encoder does not fit this model: {first_lines(error)}") from None
    encoder.requires_grad_(not freeze)
    log.info("encoder initialised from the pretrained checkpoint%s", " (frozen)" if freeze else "")


def build_training_task(config: dict[str, Any]) -> Task:
    model = {key: value for key, value in config["model"].items() if key not in PRETRAINED_KEYS}
    return build_task(
        model,
        optimizer=config["optimizer"],
        scheduler=config.get("scheduler") or None,
        regularizer=config.get("regularizer") or None,
    )


# trainer.steps_per_batch=auto: bundles of this many batches where the data is held in memory
AUTO_STEPS_PER_BATCH = 32
# Lightning options counted in its batches, which a bundle of several steps would change
COUNTED_IN_BATCHES = ("accumulate_grad_batches", "val_check_interval", "limit_train_batches")


def resolve_steps_per_batch(config: dict[str, Any], datamodule: DataModule) -> int:
    """trainer.steps_per_batch as a number: `auto` bundles batches when the data module can
    (zoo.data.base.TensorDataModule: the splits are in memory) and nothing counts Lightning
    batches; an explicit number > 1 that cannot work is one clear line."""
    trainer = config["trainer"]
    value = trainer.get("steps_per_batch", 1)
    conflicts = [f"trainer.{key}" for key in COUNTED_IN_BATCHES if trainer.get(key) not in (None, 1, 1.0)]
    if (config.get("callbacks") or {}).get("every_n_train_steps"):
        conflicts.append("callbacks.every_n_train_steps")
    can_bundle = isinstance(datamodule, TensorDataModule)
    if value == "auto":
        return AUTO_STEPS_PER_BATCH if can_bundle and not conflicts else 1
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ZooError(f"trainer.steps_per_batch must be a positive integer or auto, got {value!r}")
    if value > 1 and not can_bundle:
        raise ZooError(
            f"trainer.steps_per_batch={value}: {type(datamodule).__name__} yields one batch at a "
            "time (it does not hold its data in memory); use trainer.steps_per_batch=1"
        )
    if value > 1 and conflicts:
        raise ZooError(
            f"trainer.steps_per_batch={value} cannot be combined with {', '.join(conflicts)}, which "
            "count Lightning batches; use trainer.steps_per_batch=1"
        )
    return value


def start_logger(name: str, logger_config: dict[str, Any]) -> Any:
    """The configured Lightning logger. Its `_target_` must be one of Lightning's logger classes
    and nothing inside it may name another (a run folder's replayed overrides come from a file);
    a missing package or a refused setting is one line."""
    from lightning.pytorch.loggers import Logger

    from zoo.allowlist import LOGGER_PREFIXES, resolve_class

    options = dict(logger_config)
    try:
        cls = resolve_class(options.pop("_target_", None), LOGGER_PREFIXES, f"logger.{name}", Logger)
    except ValueError as error:
        raise ZooError(str(error)) from None
    nested = named_targets(options, f"logger.{name}")
    if nested:
        raise ZooError(f"{nested[0][0]}={nested[0][1]!r} is refused: a logger's options name no class")
    try:
        return cls(**options)
    except (ImportError, ModuleNotFoundError, TypeError, ValueError) as error:
        raise ZooError(f"cannot start the {name} logger: {first_lines(error)}") from None


def check_resumable(ckpt_path: str, trainer_config: dict[str, Any]) -> dict[str, Any]:
    """A checkpoint to resume from: a readable .ckpt file (not an export folder: that holds no
    optimizer or loop state) whose run has not already gone past trainer.max_epochs/max_steps,
    with a resume record that can be applied. Returns it, for `check_resumed_fits`."""
    from zoo.checkpoint import load_checkpoint
    from zoo.training.lightning_internals import trained_epochs
    from zoo.training.resume import RESUME_KEY, check_resume_record

    if Path(ckpt_path).is_dir():
        raise export_folder_to_resume(ckpt_path)
    checkpoint = load_checkpoint(ckpt_path)
    check_resume_record(checkpoint.get(RESUME_KEY))
    try:
        epochs, step = trained_epochs(checkpoint), int(checkpoint.get("global_step", 0))
    except (TypeError, ValueError, AttributeError):
        raise ZooError(
            f"{ckpt_path}: its training-loop state is not Lightning's (no epoch or step count)"
        ) from None
    max_epochs, max_steps = trainer_config.get("max_epochs"), trainer_config.get("max_steps")
    if isinstance(max_epochs, int) and max_epochs != -1 and max_epochs < epochs:
        raise ZooError(
            f"{ckpt_path} has trained {epochs} epochs already; trainer.max_epochs={max_epochs} is fewer: "
            f"give trainer.max_epochs above {epochs} to train on"
        )
    if isinstance(max_steps, int) and max_steps != -1 and max_steps < step:
        raise ZooError(
            f"{ckpt_path} has taken {step} steps already; trainer.max_steps={max_steps} is fewer: "
            f"give trainer.max_steps above {step} to train on"
        )
    return checkpoint


def check_resumed_fits(checkpoint: dict[str, Any], task: Any, trainer: Any) -> None:
    """The checkpoint resumed from fits the run this config builds: its weights are the task's
    (`resume=<run> model.net.hidden=[32]` or `data=moons` is one line naming a weight, not a
    state-dict error after training has begun) and its loop state is what this Lightning reads."""
    from zoo.checkpoint import check_weights
    from zoo.training.lightning_internals import check_loop_layout

    try:
        check_weights(task.state_dict(), checkpoint["state_dict"])
    except ZooError as error:
        raise ZooError(f"resume: {error} - resume with the run's own model and data settings") from None
    check_loop_layout(trainer, checkpoint)


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


def build_callbacks(
    config: dict[str, Any], monitor: str, mode: str, output_dir: Path
) -> tuple[list[Any], bool]:
    """Callbacks from the `callbacks` config group; returns (callbacks, enable_progress_bar)."""
    from lightning.pytorch.callbacks import ModelCheckpoint

    from zoo.training.plots import AttentionMaps, EvaluationPlots, GradientNorms, LearningCurves
    from zoo.training.progress import progress_callbacks
    from zoo.training.resume import LastCheckpoint

    checkpoint = ModelCheckpoint(
        dirpath=output_dir / "checkpoints",
        filename="best",
        monitor=config.get("monitor") or monitor,
        mode=config.get("mode") or mode,
        save_top_k=1,
        enable_version_counter=False,
    )
    callbacks: list[Any] = [
        checkpoint,
        LastCheckpoint(output_dir / "checkpoints", config.get("every_n_train_steps")),
    ]
    early_stopping = config.get("early_stopping")
    if early_stopping:
        from lightning.pytorch.callbacks import EarlyStopping

        callbacks.append(
            EarlyStopping(
                monitor=config.get("monitor") or monitor, mode=config.get("mode") or mode, **early_stopping
            )
        )
    plots = output_dir / "plots"
    if config.get("gradient_norms"):
        callbacks.append(GradientNorms(int(config["gradient_norms"]), plots / "gradient_norms.png"))
    if config.get("learning_curves", True):
        callbacks.append(LearningCurves(plots / "learning_curves.png"))
    if config.get("attention_maps"):
        callbacks.append(AttentionMaps(plots / "attention", int(config["attention_maps"])))
    if config.get("evaluation_plots", True):
        callbacks.append(EvaluationPlots(plots, weights=bool(config.get("weight_histogram"))))
    progress, enable_bar = progress_callbacks(config.get("progress", "auto"))
    return callbacks + progress, enable_bar


@dataclass
class Run:
    """A run built from a config, ready for `trainer.fit(task, datamodule=datamodule, ...)`."""

    config: dict[str, Any]
    datamodule: DataModule
    task: Task
    trainer: Any
    callbacks: list[Any] = field(default_factory=list)
    loggers: list[Any] = field(default_factory=list)


def use_bundled_steps(
    task: Task, datamodule: DataModule, config: dict[str, Any], trainer_options: dict[str, Any]
) -> int:
    """trainer.steps_per_batch, enabled in the one place it is: the data module hands over
    bundles and the task steps through them (taking over gradient clipping from Lightning, which
    clips only under its automatic optimisation). Returns the steps per batch (1: off)."""
    steps = resolve_steps_per_batch(config, datamodule)
    if steps > 1:
        datamodule.steps_per_batch = steps
        task.take_steps_per_batch(
            steps,
            trainer_options.pop("gradient_clip_val", None),
            trainer_options.pop("gradient_clip_algorithm", None) or "norm",
        )
    return steps


def assemble(cfg: DictConfig, extra_callbacks: list[Any] | None = None) -> Run:
    """Build and check a training run from the composed config: data module, task (with any
    pretrained parts), callbacks, loggers and trainer; writes into cfg.paths.output_dir."""
    import lightning as L
    from lightning.fabric.utilities.exceptions import MisconfigurationException

    from zoo.training.guard import NonFiniteLossGuard
    from zoo.training.resume import (
        AtomicCheckpointIO,
        ExactResume,
        LastCheckpoint,
        StopOnSignal,
        remove_stale_temporaries,
    )
    from zoo.training.speed import TrainingSpeed

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
    pretrained = None
    if config["model"].get("pretrained"):
        from zoo.checkpoint import load_checkpoint

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
