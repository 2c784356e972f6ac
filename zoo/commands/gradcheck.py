"""`zoo gradcheck model=... data=...`: autograd's gradient of the model's loss against central
differences, in float64 on one training batch; exit status 1 if the worst relative error is above
the tolerance."""

from __future__ import annotations

from typing import Any

import torch
from omegaconf import DictConfig

from zoo.commands.common import print_table
from zoo.course.gradcheck import gradient_check
from zoo.data import build_datamodule
from zoo.errors import ZooError
from zoo.registry import plain
from zoo.run import build_training_task


def gradcheck(cfg: DictConfig) -> dict[str, Any]:
    config = plain(cfg)
    torch.manual_seed(config["seed"])
    datamodule = build_datamodule(config["data"])
    datamodule.prepare_data()
    datamodule.setup("fit")
    batch = datamodule.on_after_batch_transfer(next(iter(datamodule.train_dataloader())), 0)
    batch = [part[: config["batch_size"]] for part in batch]
    batch = [part.double() if part.is_floating_point() else part for part in batch]
    task = build_training_task(config).double().eval()  # eval: no dropout noise, fixed batch-norm statistics
    parameters = [p for p in task.parameters() if p.requires_grad]

    def loss() -> torch.Tensor:
        return task.loss_and_outputs(batch)[0]

    result = gradient_check(
        loss, parameters, num_samples=config["samples"], eps=config["eps"], seed=config["seed"]
    )
    passed = result["worst_relative_error"] <= config["tolerance"]
    print_table(
        "zoo gradcheck",
        [
            ("coordinates checked", str(result["checked"])),
            ("worst relative error", f"{result['worst_relative_error']:.2e}"),
            ("tolerance", f"{config['tolerance']:.0e}"),
            ("result", "passed" if passed else "FAILED"),
        ],
    )
    if not passed:
        raise ZooError(
            f"gradient check failed: worst relative error {result['worst_relative_error']:.2e} "
            f"> {config['tolerance']:.0e}"
        )
    return result
