"""`zoo export`: safetensors weights + a JSON config that predict and eval take in place of the
checkpoint, with the same outputs."""

import json

import pytest
import torch

from tests.conftest import compose_train, run_zoo
from zoo.checkpoint import restore
from zoo.commands.train import train
from zoo.errors import ZooError


def test_an_exported_folder_predicts_exactly_like_its_checkpoint(tmp_path):
    summary = train(compose_train(["data=digits", "trainer.max_epochs=2"], tmp_path / "run"))
    checkpoint = summary["best_checkpoint"]
    exported = run_zoo(["export", f"ckpt_path={checkpoint}", f"output={tmp_path / 'exported'}"], tmp_path)
    assert exported.returncode == 0, exported.stderr[-2000:]
    folder = tmp_path / "exported"
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    assert "optimizer_states" not in json.loads((folder / "config.json").read_text())

    task, data, _ = restore(checkpoint, for_trainer=True)
    task_again, data_again, _ = restore(folder, for_trainer=True)
    rows = torch.rand(5, 64) * 16
    expected = task.predict_proba(data.features(rows.numpy()))
    torch.testing.assert_close(
        task_again.predict_proba(data_again.features(rows.numpy())), expected, rtol=0, atol=0
    )
    (tmp_path / "rows.csv").write_text("\n".join(",".join(str(int(v)) for v in row) for row in rows.tolist()))
    by_checkpoint = run_zoo(["predict", f"ckpt_path={checkpoint}", "input=rows.csv"], tmp_path)
    by_folder = run_zoo(["predict", f"ckpt_path={folder}", "input=rows.csv"], tmp_path)
    assert by_folder.returncode == 0, by_folder.stderr[-2000:]
    assert by_folder.stdout.replace(str(folder), "X") == by_checkpoint.stdout.replace(str(checkpoint), "X")


def test_a_folder_that_is_not_an_export_is_one_clear_error(tmp_path):

    from zoo.checkpoint import load_checkpoint

    with pytest.raises(ZooError, match="holds no checkpoint: a run folder has checkpoints/best.ckpt"):
        load_checkpoint(tmp_path)
    (tmp_path / "model.safetensors").write_bytes(b"not safetensors")
    with pytest.raises(ZooError, match="cannot read the exported model"):
        load_checkpoint(tmp_path)
