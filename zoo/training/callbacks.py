"""Callbacks every zoo run uses: checkpoints and the progress display."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback, ModelCheckpoint, RichProgressBar

from zoo.errors import ZooError

EOS = 3  # the zoo's tokenizers: <pad> <unk> <bos> <eos> = 0..3

log = logging.getLogger("zoo")


class EpochLines(Callback):
    """One plain log line per epoch (for logs and pipes, where a live progress bar is noise)."""

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or not trainer.is_global_zero:
            return
        metrics = {
            key: float(value)
            for key, value in trainer.callback_metrics.items()
            if key.startswith(("train/", "val/"))
            and not key.endswith(("_step", "_epoch"))
            and value.numel() == 1
        }
        shown = "  ".join(f"{key} {value:.4f}" for key, value in sorted(metrics.items()))
        log.info("epoch %d/%d  %s", trainer.current_epoch + 1, trainer.max_epochs, shown)


PROGRESS_CHOICES = ("auto", "rich", "plain", "none")


def progress_callbacks(progress: str) -> tuple[list[Callback], bool]:
    """(callbacks, enable_progress_bar) for progress = auto | rich | plain | none."""
    if progress not in PROGRESS_CHOICES:
        raise ZooError(f"callbacks.progress must be one of {', '.join(PROGRESS_CHOICES)}, got {progress!r}")
    if progress == "auto":
        progress = "rich" if sys.stdout.isatty() else "plain"
    if progress == "rich":
        return [RichProgressBar(leave=True)], True
    if progress == "plain":
        return [EpochLines()], False
    return [], False


def build_callbacks(
    config: dict[str, Any], monitor: str, mode: str, output_dir: Path
) -> tuple[list[Callback], bool]:
    """Callbacks from the `callbacks` config group; returns (callbacks, enable_progress_bar)."""
    checkpoint = ModelCheckpoint(
        dirpath=output_dir / "checkpoints",
        filename="best",
        monitor=config.get("monitor") or monitor,
        mode=config.get("mode") or mode,
        save_top_k=1,
        enable_version_counter=False,
    )
    callbacks: list[Callback] = [
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
        callbacks.append(EvaluationPlots(plots))
    progress, enable_bar = progress_callbacks(config.get("progress", "auto"))
    return callbacks + progress, enable_bar


class LastCheckpoint(ModelCheckpoint):
    """checkpoints/last.ckpt: the latest state after every epoch (after its validation), every
    `every_n_train_steps` steps when asked, and after the last step, to resume from and to hold
    the final weights. (Lightning's `save_last=True` writes it only when the monitored
    checkpoint is saved, so a run whose validation stops improving never had its final weights
    on disk.)"""

    def __init__(self, dirpath: Path, every_n_train_steps: int | None = None):
        # Lightning's every_n_train_steps excludes every_n_epochs: the steps are counted here
        super().__init__(dirpath=dirpath, filename="last", monitor=None, save_top_k=1, every_n_epochs=1,
                         enable_version_counter=False)  # fmt: skip
        self.every_n_steps = int(every_n_train_steps or 0)

    @property
    def path(self) -> str:
        return self._last_checkpoint_saved

    def save_now(self, trainer: L.Trainer) -> None:
        if self._last_global_step_saved != trainer.global_step and not trainer.sanity_checking:
            self._save_checkpoint(trainer, str(Path(self.dirpath) / f"last{self.FILE_EXTENSION}"))

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        if self.every_n_steps and trainer.global_step % self.every_n_steps == 0:
            self.save_now(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.save_now(trainer)  # stopped between two saves (max_steps inside an epoch)


class GradientNorms(Callback):
    """Logs the 2-norm of each parameter's gradient (before clipping) every `every_n_steps` steps,
    as grad_2.0_norm/<parameter> columns in metrics.csv and TensorBoard: vanishing and exploding
    gradients made visible, layer by layer. With a `plot` path, the norms of the weight matrices
    are also drawn there at the end of training."""

    def __init__(self, every_n_steps: int = 50, plot: Path | None = None):
        self.every_n_steps, self.plot = every_n_steps, plot
        self.history: dict[str, list[float]] = {}

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: Any
    ) -> None:
        if trainer.global_step % self.every_n_steps == 0:
            from lightning.pytorch.utilities import grad_norm

            norms = grad_norm(pl_module, norm_type=2)
            # written now, at this step: Lightning writes step values only at the steps that are
            # multiples of trainer.log_every_n_steps (and, under trainer.steps_per_batch, at the
            # end of a bundle), which would lose most of these
            pl_module.log_step_values(norms, step=trainer.global_step)
            weights = {name for name, p in pl_module.named_parameters() if p.ndim >= 2}
            for key, value in norms.items():
                name = key.partition("/")[2]
                if name in weights:
                    self.history.setdefault(name, []).append(float(value))

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.plot is not None and self.history and trainer.is_global_zero:
            from zoo.viz.curves import gradient_norms

            gradient_norms(self.history, self.plot, title="gradient norm of each weight matrix")
            log_plot(trainer, "plots/gradient_norms", self.plot)


class LearningCurves(Callback):
    """Keeps the epoch-level train/ and val/ metrics and draws them at the end of training."""

    def __init__(self, plot: Path):
        self.plot = plot
        self.history: list[dict[str, float]] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        row = {"epoch": float(trainer.current_epoch + 1)}
        for key, value in trainer.callback_metrics.items():
            if key.startswith(("train/", "val/")) and not key.endswith("_step") and value.numel() == 1:
                row[key.removesuffix("_epoch")] = float(value)
        self.history.append(row)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.history and trainer.is_global_zero:
            from zoo.viz.curves import learning_curves

            learning_curves(self.history, self.plot)
            log_plot(trainer, "plots/learning_curves", self.plot)


class AttentionMaps(Callback):
    """After each validation, heatmaps of where the decoder looked while translating the first
    `count` validation sentences (greedy decoding): <folder>/epoch<E>_<i>.png. Tasks without
    attention (or without `translate`) are skipped."""

    def __init__(self, folder: Path, count: int = 3):
        self.folder, self.count = Path(folder), count

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        datamodule = trainer.datamodule
        if trainer.sanity_checking or not trainer.is_global_zero or not hasattr(pl_module, "translate"):
            return
        from zoo.viz.attention import attention_map

        examples = datamodule.datasets["val"][: self.count]
        src, lengths, _ = datamodule.collate(examples)
        result = pl_module.translate(src.to(pl_module.device), lengths.to(pl_module.device), beam_size=1)
        if result.attention is None:
            return
        for i, (source_ids, _) in enumerate(examples):
            generated = result.tokens[i].tolist()
            generated = generated[: generated.index(EOS) + 1] if EOS in generated else generated
            path = attention_map(
                result.attention[i, : len(generated), : len(source_ids)].float().cpu().numpy(),
                datamodule.source_tokens(source_ids),
                datamodule.target_tokens(generated),
                self.folder / f"epoch{trainer.current_epoch:03d}_{i}.png",
                title=f"epoch {trainer.current_epoch}: validation sentence {i}",
            )
            log_plot(trainer, f"plots/attention_{i}", path)


def log_plot(trainer: L.Trainer, tag: str, path: Path) -> None:
    """Show a saved PNG in TensorBoard too (under IMAGES), at the current step."""
    from lightning.pytorch.loggers import TensorBoardLogger

    for logger in trainer.loggers:
        if isinstance(logger, TensorBoardLogger):
            from matplotlib.image import imread

            image = imread(path)[..., :3]  # RGBA floats in 0..1 -> RGB
            logger.experiment.add_image(tag, image, trainer.global_step, dataformats="HWC")


def confusion_counts(
    task: Any, datamodule: Any, max_examples: int = 20_000, convert: Any = None
) -> torch.Tensor:
    """counts[i, j]: validation examples of true class i the classifier puts in class j (the
    first `max_examples` or a little more: whole batches). `convert`: the trainer's precision
    plugin's input conversion (float64 batches under trainer.precision=64)."""
    classes = task.hparams.num_classes
    matrix = torch.zeros(classes, classes, dtype=torch.int64)
    seen = 0
    for batch in datamodule.val_dataloader():
        batch = task.transfer_batch_to_device(batch, task.device, 0)
        batch = datamodule.on_after_batch_transfer(batch, 0)
        batch = convert(batch) if convert is not None else batch
        _, predictions, target = task.loss_and_outputs(batch)  # scores or probabilities: same argmax
        pairs = target.cpu() * classes + predictions.argmax(-1).cpu()
        matrix += torch.bincount(pairs, minlength=classes * classes).view(classes, classes)
        seen += len(target)
        if seen >= max_examples:
            break
    return matrix


class EvaluationPlots(Callback):
    """At the end of training, what the model does, drawn into <run>/plots (and TensorBoard):
    - classifiers: the confusion matrix on the validation split (confusion_matrix.png);
    - classifiers of 2-D points: the decision boundary with the first hidden layer's lines
      (decision_boundary.png);
    - word embeddings: the vectors projected to 2-D, labelled (embeddings.png)."""

    MAX_EXAMPLES = 20_000  # of the validation split, for the confusion matrix

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not trainer.is_global_zero or trainer.datamodule is None:
            return
        from zoo.tasks import Classifier, WordEmbedding

        was_training = pl_module.training
        pl_module.eval()
        try:
            with torch.no_grad():
                if isinstance(pl_module, Classifier):
                    self.confusion(trainer, pl_module)
                    self.boundary(trainer, pl_module)
                elif isinstance(pl_module, WordEmbedding):
                    self.embeddings(trainer, pl_module)
        finally:
            pl_module.train(was_training)

    def confusion(self, trainer: L.Trainer, task: Any) -> None:
        from zoo.viz.evaluation import confusion_matrix

        datamodule = trainer.datamodule
        matrix = confusion_counts(task, datamodule, self.MAX_EXAMPLES, trainer.precision_plugin.convert_input)
        names = list(getattr(datamodule, "class_names", None) or range(len(matrix)))
        path = confusion_matrix(matrix.numpy(), [str(n) for n in names], self.folder / "confusion_matrix.png",
                                title="validation")  # fmt: skip
        log_plot(trainer, "plots/confusion_matrix", path)

    def boundary(self, trainer: L.Trainer, task: Any) -> None:
        from torch.utils.data import TensorDataset

        from zoo.viz.evaluation import decision_boundary

        train = trainer.datamodule.datasets.get("train")
        if (
            not isinstance(train, TensorDataset)
            or train.tensors[0].ndim != 2
            or train.tensors[0].shape[1] != 2
        ):
            return
        x, y = (t.cpu().numpy() for t in train.tensors[:2])

        def probability(grid: Any) -> Any:
            inputs = torch.as_tensor(grid, dtype=task.dtype, device=task.device)
            return task.predict_proba(inputs).float().cpu().numpy()

        linear = [m for m in task.net.modules() if isinstance(m, torch.nn.Linear)]
        lines = None  # the first layer's lines, when it is a hidden layer of at most 64 units
        if len(linear) > 1 and linear[0].in_features == 2 and linear[0].out_features <= 64:
            weight, bias = linear[0].weight.detach(), linear[0].bias
            bias = bias.detach() if bias is not None else torch.zeros(len(weight))
            lines = (weight.float().cpu().numpy(), bias.float().cpu().numpy())
        path = decision_boundary(probability, x, y, self.folder / "decision_boundary.png", lines,
                                 title="decision boundary (training points)")  # fmt: skip
        log_plot(trainer, "plots/decision_boundary", path)

    def embeddings(self, trainer: L.Trainer, task: Any) -> None:
        from zoo.viz.evaluation import embedding_projection

        datamodule = trainer.datamodule
        tokenizer = getattr(datamodule, "tokenizer", None)
        if tokenizer is None:
            return
        vectors = task.net.input_vectors.weight.detach().float().cpu().numpy()
        vocabulary = sorted(tokenizer.get_vocab().items(), key=lambda item: item[1])
        words = [
            (word, index) for word, index in vocabulary if not word.startswith("<") and index < len(vectors)
        ]
        tags = getattr(datamodule, "word_tags", {}) or {}
        labels = [tags.get(word, "other") for word, _ in words] if tags else None
        chosen, names = [i for _, i in words], [w for w, _ in words]
        path = embedding_projection(
            vectors[chosen], names, self.folder / "embeddings.png", labels, title="word vectors (PCA)"
        )
        log_plot(trainer, "plots/embeddings", path)
