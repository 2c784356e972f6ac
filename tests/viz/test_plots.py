"""Each plot a run draws is a real PNG with something on it, and TensorBoard gets it too.
(Attention heatmaps: tests/tasks/test_seq2seq.py.)"""

from pathlib import Path

import numpy as np
from PIL import Image

from tests.conftest import compose_train
from zoo.commands.train import train

PLOTS_ON = ["callbacks.learning_curves=true", "callbacks.evaluation_plots=true", "logger=default"]


def assert_drawn(path: Path, min_colours: int = 50) -> None:
    """A valid PNG of a readable size with many colours and no single colour covering it all."""
    assert path.read_bytes().startswith(b"\x89PNG"), path
    with Image.open(path) as image:
        image.verify()
    with Image.open(path) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape[0] >= 300 and pixels.shape[1] >= 300, pixels.shape
    colours, counts = np.unique(pixels.reshape(-1, 3), axis=0, return_counts=True)
    assert len(colours) >= min_colours, (path.name, len(colours))
    assert counts.max() / counts.sum() < 0.95, path.name  # not a blank canvas


def tensorboard_images(run_dir: Path) -> set[str]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard"), size_guidance={"images": 0}).Reload()
    return set(events.Tags()["images"])


def test_a_classifier_of_2d_points_draws_its_curves_confusion_matrix_boundary_and_gradients(tmp_path):
    overrides = ["experiment=circles_mlp", "trainer.max_epochs=5", "callbacks.gradient_norms=5", *PLOTS_ON]
    summary = train(compose_train(overrides, tmp_path / "run"))
    run_dir = Path(summary["run_dir"])
    names = ("learning_curves", "confusion_matrix", "decision_boundary", "gradient_norms")
    for name in names:
        assert_drawn(run_dir / "plots" / f"{name}.png")
    assert {f"plots/{name}" for name in names} <= tensorboard_images(run_dir)


def test_word_embeddings_draw_a_labelled_projection(tmp_path):
    overrides = ["model=skipgram", "data=grammar_skipgram", "data.num_sentences=300", "trainer.max_epochs=1",
                 *PLOTS_ON]  # fmt: skip
    summary = train(compose_train(overrides, tmp_path / "run"))
    assert_drawn(Path(summary["run_dir"]) / "plots" / "embeddings.png")
    assert "plots/embeddings" in tensorboard_images(Path(summary["run_dir"]))


def test_an_image_classifier_draws_a_confusion_matrix_over_its_ten_classes_but_no_boundary(tmp_path):
    overrides = ["model=lenet5", "data=digits_images", "trainer.max_epochs=1", *PLOTS_ON]
    summary = train(compose_train(overrides, tmp_path / "run"))
    plots = Path(summary["run_dir"]) / "plots"
    assert_drawn(plots / "confusion_matrix.png")
    assert not (plots / "decision_boundary.png").exists()


def test_the_confusion_matrix_counts_each_true_class_in_its_row_and_the_hits_on_the_diagonal(tmp_path):
    import torch

    from zoo.checkpoint import restore
    from zoo.tasks.classify import confusion_counts

    summary = train(compose_train(["model=mlp", "data=digits", "trainer.max_epochs=2"], tmp_path / "run"))
    task, datamodule, _ = restore(summary["last_checkpoint"], for_trainer=True)
    datamodule.setup()
    x, y = datamodule.datasets["val"].tensors
    with torch.no_grad():
        predicted = task.predict_proba(x).argmax(1)
    counts = confusion_counts(task, datamodule)
    assert counts.sum(1).tolist() == torch.bincount(y, minlength=10).tolist()
    assert counts.trace().item() == (predicted == y).sum().item()
    assert counts[3, 5].item() == ((y == 3) & (predicted == 5)).sum().item()


def test_compared_curves_draw_both_sides_of_a_claim(tmp_path):
    from zoo.viz.curves import compared_curves

    runs = {"resnet20": [(1, 1.0), (2, 0.3)], "model=plain20": [(1, 1.2), (2, 0.6), (3, float("nan"))]}
    path = compared_curves(runs, "train/loss", tmp_path / "claim.png", title="a claim " * 20)
    assert path.is_file() and path.stat().st_size > 5_000


def test_learning_curves_of_a_task_without_metrics_are_one_panel_of_losses(tmp_path):
    from zoo.viz.curves import learning_curves

    history = [{"epoch": e, "train/loss": 3.0 / e, "val/loss": 2.5 + 0.01 * e} for e in (1, 2, 3)]
    with Image.open(learning_curves(history, tmp_path / "losses.png")) as losses_only:
        history[0]["val/acc"] = 0.5
        with Image.open(learning_curves(history, tmp_path / "both.png")) as both:
            assert losses_only.width < 0.6 * both.width  # no empty "metrics" panel beside the losses
    assert_drawn(tmp_path / "losses.png")
