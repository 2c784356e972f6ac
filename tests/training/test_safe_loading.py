"""Checkpoints are loaded with weights_only=True everywhere: a checkpoint carrying pickled code is
refused with one clear line and its payload never runs; a truncated one is one clear line too."""

import shutil
from pathlib import Path

import pytest
import torch

from tests.conftest import compose_train, run_zoo
from zoo.checkpoint import load_checkpoint
from zoo.errors import ZooError


class Payload:
    """Unpickling this creates a file: the proof that code in a checkpoint ran."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.fixture
def malicious(tmp_path) -> tuple[Path, Path]:
    marker = tmp_path / "payload_ran"
    path = tmp_path / "malicious.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(2)}, "hyper_parameters": Payload(marker)}, path)
    assert not marker.exists()
    return path, marker


def test_every_load_path_refuses_pickled_code_and_never_runs_it(malicious, tmp_path):
    from zoo.checkpoint import restore
    from zoo.commands.train import train

    path, marker = malicious
    refusal = "refused to load .* it holds more than weights and plain data"
    with pytest.raises(ZooError, match=refusal):
        load_checkpoint(path)
    with pytest.raises(ZooError, match=refusal):
        restore(path, for_trainer=True)  # zoo eval and zoo predict
    with pytest.raises(ZooError, match=refusal):  # resuming
        train(compose_train(["data=xor", f"ckpt_path={path}"], tmp_path / "resume"))
    with pytest.raises(ZooError, match=refusal):  # fine-tuning from a pretrained encoder
        train(compose_train(["model=transformer_classifier", "data=grammar_sentiment",
                             f"model.pretrained={path}"], tmp_path / "finetune"))  # fmt: skip
    predicted = run_zoo(["predict", f"ckpt_path={path}", "input=[1,2]"], tmp_path)
    assert predicted.returncode == 2
    assert (
        predicted.stderr.strip().startswith("zoo: error: refused to load")
        and "Traceback" not in predicted.stderr
    )
    assert not marker.exists()


def test_a_truncated_checkpoint_is_one_clear_error(tmp_path):
    from zoo.commands.train import train

    summary = train(compose_train(["data=xor", "trainer.max_epochs=2"], tmp_path / "run"))
    truncated = tmp_path / "truncated.ckpt"
    shutil.copy(summary["last_checkpoint"], truncated)
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    with pytest.raises(ZooError, match="it is corrupt or truncated"):
        train(compose_train(["data=xor", f"ckpt_path={truncated}"], tmp_path / "resume"))
    evaluated = run_zoo(["eval", f"ckpt_path={truncated}"], tmp_path)
    assert evaluated.returncode == 2 and "it is corrupt or truncated" in evaluated.stderr
    assert "Traceback" not in evaluated.stderr


def test_a_non_finite_loss_stops_training_names_the_step_and_keeps_the_last_good_checkpoint(tmp_path):
    from zoo.commands.train import train

    # the learning rate grows 10× an epoch (scheduler=step with gamma 10): fine, then divergent
    diverging = ["data=digits", "optimizer=sgd", "optimizer.lr=0.01", "scheduler=step",
                 "scheduler.step_size=1", "scheduler.gamma=10", "trainer.max_epochs=20"]  # fmt: skip
    with pytest.raises(
        ZooError, match=r"the training loss became (nan|inf) at step (\d+); training stopped"
    ) as error:
        train(compose_train(diverging, tmp_path / "run"))
    step = int(error.value.args[0].split(" at step ")[1].split(";")[0])
    last = tmp_path / "run" / "checkpoints" / "last.ckpt"
    checkpoint = load_checkpoint(last)
    assert 0 < checkpoint["global_step"] <= step
    assert all(torch.isfinite(value).all() for value in checkpoint["state_dict"].values())
    assert str(last) in error.value.args[0]
