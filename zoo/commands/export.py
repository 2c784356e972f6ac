"""`zoo export ckpt_path=... format=safetensors`: the weights as safetensors plus a JSON file with
everything else a checkpoint holds for prediction (the task, its hyperparameters, the run config,
the data module's state such as the tokenizer). Neither file can hold code. `zoo predict` and
`zoo eval` accept the folder in place of a checkpoint.

`format=onnx` (feedforward and convolutional classifiers and regressors): model.onnx, the net from
its prepared input (standardised features or normalised images, as config.json's data state says)
to its output signals, with any batch size; checked against PyTorch with onnxruntime when that is
installed."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from zoo.checkpoint import CONFIG, WEIGHTS, load_checkpoint
from zoo.commands.common import print_table, user_file_mode, write_json_atomic
from zoo.errors import ZooError
from zoo.predictor import Predictor
from zoo.registry import plain

FORMATS = ("safetensors", "onnx")
ONNX = "model.onnx"
LIGHTNING_ONLY = ("state_dict", "optimizer_states", "lr_schedulers", "loops", "callbacks", "zoo_resume")


def export(cfg: Any) -> dict[str, Any]:

    config = plain(cfg)
    if config["format"] not in FORMATS:
        raise ZooError(f"format must be one of {', '.join(FORMATS)}, got {config['format']!r}")
    checkpoint = load_checkpoint(config["ckpt_path"])
    output = Path(config.get("output") or Path(config["ckpt_path"]).with_suffix(""))
    try:
        output.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ZooError(f"cannot make the export folder {output}: {error.strerror or error}") from None
    rows = [("config", str(output / CONFIG))]
    if config["format"] == "onnx":
        rows += export_onnx(config["ckpt_path"], output / ONNX)
    else:
        # tied weights share storage: safetensors wants each tensor once, so each entry gets a copy
        weights = {name: tensor.contiguous().clone() for name, tensor in checkpoint["state_dict"].items()}
        temporary = output / f".{WEIGHTS}.tmp"
        save_file(weights, str(temporary))
        temporary.chmod(user_file_mode())
        temporary.replace(output / WEIGHTS)
        rows.insert(0, ("weights", str(output / WEIGHTS)))
    rest = {key: value for key, value in checkpoint.items() if key not in LIGHTNING_ONLY}
    try:
        write_json_atomic(output / CONFIG, rest)
    except TypeError as error:
        raise ZooError(f"this checkpoint holds something JSON cannot store ({error})") from None
    print_table("zoo export", rows)
    return {"output": str(output)}


def export_onnx(ckpt_path: str, path: Path) -> list[tuple[str, str]]:
    """The net as ONNX with a dynamic batch dimension, and its largest difference from PyTorch."""

    predictor = Predictor.from_checkpoint(ckpt_path)
    task, datamodule = predictor.task, predictor.datamodule
    example = task.onnx_example(datamodule)
    if example is None:
        raise ZooError("format=onnx is for classifiers and regressors of feature rows or images")
    temporary = path.with_name(f".{path.name}.tmp")
    with warnings.catch_warnings():  # the TorchScript exporter: the torch.export one needs onnxscript
        warnings.simplefilter("ignore")
        torch.onnx.export(
            task.net, (example,), str(temporary), dynamo=False, input_names=["input"],
            output_names=["output"], dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
        )  # fmt: skip
    temporary.replace(path)
    try:
        # optional (the onnx extra): imported only to check an ONNX export
        import onnxruntime
    except ImportError:
        return [("onnx", str(path)), ("checked", "no (pip install onnxruntime to compare with PyTorch)")]
    with torch.no_grad():
        expected = task.net(example).numpy()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input": example.numpy()})[0]
    difference = float(abs(got - expected).max())
    if difference > 1e-4:
        raise ZooError(f"the ONNX model differs from PyTorch by {difference:.2e}: {path}")
    return [("onnx", str(path)), ("checked", f"onnxruntime = PyTorch within {difference:.1e}")]
