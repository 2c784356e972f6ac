import copy

import pytest
import torch

from zoo.errors import ZooError
from zoo.models.feedforward import MLP
from zoo.registry import compose
from zoo.training.optim import build_optimizer, build_scheduler


def test_weight_decay_only_on_weights():
    net = MLP(4, 2, hidden=[8], batch_norm=True)
    optimizer = build_optimizer(
        net.named_parameters(), {"_target_": "torch.optim.AdamW", "lr": 0.1, "weight_decay": 0.05}
    )
    decayed, undecayed = optimizer.param_groups
    assert decayed["weight_decay"] == 0.05 and all(p.ndim == 2 for p in decayed["params"])
    assert undecayed["weight_decay"] == 0.0 and all(p.ndim == 1 for p in undecayed["params"])
    assert len(decayed["params"]) + len(undecayed["params"]) == len(list(net.parameters()))


@pytest.mark.parametrize(
    "name",
    [
        "sgd",
        "momentum",
        "nesterov",
        "adam",
        "adamw",
        "rmsprop",
        "course_sgd",
        "course_adam",
        "course_rmsprop",
    ],
)
def test_every_optimizer_config_builds_and_steps(name):
    config = compose("train", [f"optimizer={name}", "name=x"])
    net = torch.nn.Linear(3, 1)
    from zoo.registry import plain

    optimizer = build_optimizer(net.named_parameters(), plain(config.optimizer))
    before = net.weight.detach().clone()
    net(torch.randn(8, 3)).pow(2).mean().backward()
    optimizer.step()
    assert not torch.equal(before, net.weight)


@pytest.mark.parametrize("name", ["step", "cosine", "onecycle", "plateau"])
def test_every_scheduler_config_builds(name):
    from zoo.registry import plain

    config = plain(compose("train", [f"scheduler={name}", "name=x"]).scheduler)
    optimizer = torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=0.1)
    built = build_scheduler(optimizer, config, total_steps=100)
    assert built["interval"] in ("epoch", "step")
    assert build_scheduler(optimizer, {}) is None


def test_only_optimizer_classes_from_torch_or_zoo_and_positive_lr():
    params = list(torch.nn.Linear(2, 1).named_parameters())
    with pytest.raises(ZooError, match="os.system"):
        build_optimizer(params, {"_target_": "os.system", "lr": 0.1})
    with pytest.raises(ZooError, match="lr"):
        build_optimizer(params, {"_target_": "torch.optim.SGD", "lr": -0.1})


def test_onecycle_schedule_spans_the_whole_run(train_run):
    summary = train_run(["data=moons", "scheduler=onecycle", "trainer.max_epochs=2"])
    assert summary["global_step"] > 0


def test_fused_adamw_under_bf16_clips_gradients_where_lightning_refuses(train_run):
    """The GPT preset's combination: Lightning's mixed-precision plugin refuses gradient clipping
    with a fused optimizer; the task clips itself (bf16 has no loss scale to undo)."""
    fused_bf16 = ["optimizer=adamw", "+optimizer.fused=true", "trainer.precision=bf16-mixed"]
    summary = train_run(["data=xor", *fused_bf16, "trainer.gradient_clip_val=0.5", "trainer.max_epochs=2"])
    assert summary["global_step"] > 0


def test_the_tasks_clipping_bounds_the_gradient_norm():
    from zoo.tasks import build_task

    net = {"_target_": "zoo.models.feedforward.MLP", "in_features": 3, "hidden": [4]}
    task = build_task({"_target_": "zoo.tasks.Classifier", "num_classes": 2, "net": net})
    optimizer = torch.optim.AdamW(task.parameters(), fused=True)
    for p in task.parameters():
        p.grad = torch.full_like(p, 10.0)

    class Bf16Trainer:
        precision = "bf16-mixed"

    task._trainer = Bf16Trainer()
    task.configure_gradient_clipping(optimizer, 1.0, "norm")
    norm = torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in task.parameters()]))
    assert abs(float(norm) - 1.0) < 1e-4


def test_without_weight_decay_one_group_holds_weights_then_the_other_parameters():
    net = MLP(4, 2, hidden=[8], batch_norm=True)
    (group,) = build_optimizer(
        net.named_parameters(), {"_target_": "torch.optim.Adam", "lr": 0.1}
    ).param_groups
    dims = [p.ndim for p in group["params"]]
    assert len(dims) == len(list(net.parameters())) and dims == sorted(dims, reverse=True)


def as_two_groups(checkpoint: dict) -> dict:
    """The checkpoint as zoo <= 0.2 wrote it without weight decay: weights, then the 1-D parameters."""
    old = copy.deepcopy(checkpoint)
    (group,) = old["optimizer_states"][0]["param_groups"]
    weights = sum(1 for value in checkpoint["state_dict"].values() if value.ndim >= 2)
    first, second = group["params"][:weights], group["params"][weights:]
    old["optimizer_states"][0]["param_groups"] = [{**group, "params": first}, {**group, "params": second}]
    for state in old["lr_schedulers"]:
        state["base_lrs"], state["_last_lr"] = state["base_lrs"] * 2, state["_last_lr"] * 2
    return old


def test_a_checkpoint_with_the_old_two_groups_resumes_as_the_one_group_checkpoint(tmp_path):
    from tests.conftest import compose_train
    from zoo.checkpoint import load_checkpoint
    from zoo.commands.train import train
    from zoo.training.optim import merge_undecayed_groups

    run = ["data=digits", "scheduler=step", "scheduler.step_size=1", "scheduler.gamma=0.5"]
    first = train(compose_train([*run, "trainer.max_epochs=1"], tmp_path / "first"))
    checkpoint = load_checkpoint(first["last_checkpoint"])
    old = as_two_groups(checkpoint)
    merge_undecayed_groups(old, weight_decay=0.0)
    assert old["optimizer_states"][0]["param_groups"] == checkpoint["optimizer_states"][0]["param_groups"]
    assert old["lr_schedulers"] == checkpoint["lr_schedulers"]

    torch.save(as_two_groups(checkpoint), tmp_path / "old.ckpt")
    resumed = {}
    for name, path in (("new", first["last_checkpoint"]), ("old", tmp_path / "old.ckpt")):
        summary = train(compose_train([*run, "trainer.max_epochs=3", f"ckpt_path={path}"], tmp_path / name))
        resumed[name] = load_checkpoint(summary["last_checkpoint"])
    assert resumed["old"]["global_step"] == resumed["new"]["global_step"] > checkpoint["global_step"]
    for key, value in resumed["new"]["state_dict"].items():
        assert torch.equal(resumed["old"]["state_dict"][key], value), key


OPTIMIZERS = {name: {"_target_": f"torch.optim.{name}", "lr": 0.1} for name in ("SparseAdam", "Adam", "SGD")}
SPARSE_ADAM, ADAM, SGD = OPTIMIZERS.values()


@pytest.mark.parametrize(
    ("config", "sparse", "message"),
    [
        (SPARSE_ADAM, set(), "sparse_adam updates sparse gradients only, and w is dense"),
        (ADAM, {"w"}, "w has sparse gradients, which Adam with these options cannot update"),
        ({**SGD, "momentum": 0.9}, {"w"}, "which SGD with these options cannot update"),
    ],
)
def test_sparse_gradients_and_the_optimizer_must_agree_before_the_first_step(config, sparse, message):
    weight = torch.nn.Parameter(torch.zeros(3, 2))
    with pytest.raises(ZooError, match=message):
        build_optimizer([("w", weight)], config, sparse)
    for fits in (SPARSE_ADAM, SGD):
        assert isinstance(build_optimizer([("w", weight)], fits, {"w"}), torch.optim.Optimizer)
