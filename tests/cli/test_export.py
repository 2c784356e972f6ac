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
    import pytest

    from zoo.checkpoint import load_checkpoint
    from zoo.errors import ZooError

    with pytest.raises(ZooError, match="cannot read the exported model"):
        load_checkpoint(tmp_path)


@pytest.mark.parametrize("model", [["data=digits"], ["experiment=lenet5_digits"]], ids=["mlp", "lenet5"])
def test_onnx_export_of_feedforward_and_cnn_models_matches_pytorch(tmp_path, model):
    import onnxruntime

    from zoo.commands.export import export
    from zoo.registry import compose

    summary = train(compose_train([*model, "trainer.max_epochs=1"], tmp_path / "run"))
    folder = tmp_path / "onnx"
    export(compose("export", [f"ckpt_path={summary['best_checkpoint']}", "format=onnx", f"output={folder}",
                              f"paths.output_dir={tmp_path}"]))  # fmt: skip
    task, data, _ = restore(summary["best_checkpoint"], for_trainer=True)
    x = torch.randn(7, *(getattr(data, "image_shape", None) or [data.num_features]))  # a new batch size
    with torch.no_grad():
        expected = task.net(x).numpy()
    session = onnxruntime.InferenceSession(str(folder / "model.onnx"), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": x.numpy()})[0]
    assert got.shape == expected.shape and abs(got - expected).max() < 1e-4


def test_onnx_export_refuses_a_sequence_model(tmp_path):
    from zoo.commands.export import export
    from zoo.registry import compose

    summary = train(compose_train(["model=lstm_classifier", "data=grammar_sentiment", "trainer.max_epochs=1"],
                                  tmp_path / "run"))  # fmt: skip
    with pytest.raises(ZooError, match="format=onnx is for classifiers and regressors"):
        export(compose("export", [f"ckpt_path={summary['best_checkpoint']}", "format=onnx",
                                  f"output={tmp_path / 'x'}", f"paths.output_dir={tmp_path}"]))  # fmt: skip
