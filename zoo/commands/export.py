"""`zoo export ckpt_path=... format=safetensors`: the weights as safetensors plus a JSON file with
everything else a checkpoint holds for prediction (the task, its hyperparameters, the run config,
the data module's state such as the tokenizer). Neither file can hold code. `zoo predict` and
`zoo eval` accept the folder in place of a checkpoint.

`format=onnx`: model.onnx, with any batch size (and sequence length), checked against PyTorch with
onnxruntime when that is installed. Classifiers and regressors of feature rows or images take raw
values (rows as read from a CSV, pixels 0..255) and give what `zoo predict` gives - probabilities,
or values in the target's units: the standardisation is inside the graph. Token models (language
models, taggers, sequence classifiers, translation, masked LMs) take token ids and give logits,
with the tokenizer beside the graph (tokenizer.json; the word vocabulary of word-level data is in
config.json)."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from zoo.checkpoint import CONFIG, WEIGHTS, load_checkpoint
from zoo.commands.common import atomic_output, print_table, user_file_mode, write_json_atomic
from zoo.errors import ZooError, first_lines
from zoo.predictor import Predictor
from zoo.registry import plain
from zoo.tasks.inference.base import FirstOutput

FORMATS = ("safetensors", "onnx")
ONNX = "model.onnx"
TOKENIZER = "tokenizer.json"  # beside model.onnx: the tokenizer of a token model (Hugging Face tokenizers)
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
    """The model as ONNX with dynamic batch (and sequence) dimensions, and its largest difference
    from PyTorch. Feature rows and images: raw values in, the answers `zoo predict` gives out (the
    standardisation inside the graph); token models: ids in (tokenizer.json beside it), logits out."""

    predictor = Predictor.from_checkpoint(ckpt_path)
    task, datamodule = predictor.task, predictor.datamodule
    inputs = task.onnx_inputs(datamodule)
    if inputs is None:
        raise ZooError(f"format=onnx: a {type(task).__name__.removesuffix('Inference')} exports no graph")
    module = FirstOutput(task.end_to_end(datamodule)).eval()
    dynamic = {
        name: {0: "batch", 1: "time"} if name != "input" and x.ndim == 2 else {0: "batch"}
        for name, x in inputs.items()
    }
    with torch.no_grad():
        expected = module(*inputs.values())
    dynamic["output"] = (
        {0: "batch", 1: "time"} if "input" not in inputs and expected.ndim == 3 else {0: "batch"}
    )
    temporary = path.with_name(f".{path.name}.tmp")
    with warnings.catch_warnings():  # the TorchScript exporter: the torch.export one needs onnxscript
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                module, tuple(inputs.values()), str(temporary), dynamo=False, input_names=list(inputs),
                output_names=["output"], dynamic_axes=dynamic,
            )  # fmt: skip
        except (RuntimeError, torch.onnx.errors.OnnxExporterError) as error:
            temporary.unlink(missing_ok=True)
            raise ZooError(f"format=onnx: this model does not export ({first_lines(error)})") from None
    temporary.replace(path)
    rows = [("onnx", str(path))]
    tokenizer = getattr(datamodule, "tokenizer", None)
    if tokenizer is not None and hasattr(tokenizer, "to_str"):
        with atomic_output(path.with_name(TOKENIZER)) as file:
            file.write(tokenizer.to_str())
        rows.append(("tokenizer", str(path.with_name(TOKENIZER))))
    try:
        # optional (the onnx extra): imported only to check an ONNX export
        import onnxruntime
    except ImportError:
        return [*rows, ("checked", "no (pip install onnxruntime to compare with PyTorch)")]
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    got = session.run(None, {name: x.numpy() for name, x in inputs.items()})[0]
    difference = float(abs(got - expected.numpy()).max())
    if difference > 1e-4:
        raise ZooError(f"the ONNX model differs from PyTorch by {difference:.2e}: {path}")
    return [*rows, ("checked", f"onnxruntime = PyTorch within {difference:.1e}")]
