"""Speed of the zoo against a hand-written PyTorch loop, in one process, on the same model, batch,
optimizer and precision.

For each workload, (a) `zoo`: the run exactly as `zoo train` builds it (the composed config, the
zoo's task, data module, callbacks, logger and Lightning Trainer) and (b) `raw`: the same net,
optimizer and batches in a minimal loop over tensors already in memory (on the GPU when there is
one). Only training steps are timed, after warm-up steps; the time between epochs (validation,
checkpoints) is not counted on either side. Printed and written as JSON: steps/s, samples or
tokens/s, zoo/raw, and on a GPU the Transformer's model FLOP utilisation against a bf16 matmul peak
measured here. Then inference: key/value-cached generation against re-reading the whole context
for every new token.

    python scripts/bench.py                      # every workload, sizes for this machine
    python scripts/bench.py --workloads lenet5_mnist,gpt --json bench.json
    python scripts/bench.py --tiny               # a seconds-long check that everything runs

On a CPU the sizes shrink (`cpu` below) so that the whole run takes minutes, and the two sides
take turns: the raw loop takes as many steps next to each of the zoo's batches (after it, then
before the next, alternately), and zoo/raw is the median over these pairs, with its quartiles.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from pathlib import Path
from typing import Any

try:
    import zoo  # noqa: F401
except ImportError:  # run from a checkout without installing: python scripts/bench.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import lightning as L
import torch
import torch.nn.functional as F

# Each workload: Hydra overrides as `zoo train` takes them, then the ones for GPU or CPU sizes.
# `unit` is what one example of a batch is: an image (samples/s) or its tokens (tokens/s).
WORKLOADS: dict[str, dict[str, Any]] = {
    "mlp_digits": {
        "overrides": ["model=mlp", "data=digits"],
        "gpu": [],
        "cpu": [],
        "unit": "samples",
    },
    "lenet5_mnist": {
        "overrides": [
            "model=lenet5",
            "data=synthetic_images",
            "data.input_shape=[1,28,28]",
            "data.num_features=784",
            "data.batch_size=128",
        ],  # fmt: skip
        "gpu": [],
        "cpu": [],
        "unit": "samples",
    },
    "resnet18_cifar": {
        "overrides": ["model=resnet18", "data=synthetic_images", "optimizer=momentum"],
        "gpu": ["data.batch_size=512"],
        "cpu": ["data.batch_size=32"],
        "unit": "samples",
    },
    "lstm_lm": {
        "overrides": [
            "model=lstm_lm",
            "data=synthetic_tokens",
            "model.net.num_layers=2",
            "data.bptt=35",
            "trainer.gradient_clip_val=0.25",
        ],  # fmt: skip
        "gpu": [
            "model.net.embed_dim=1500",
            "model.net.hidden=1500",
            "data.vocab_size=33278",
            "data.batch_size=64",
        ],  # fmt: skip
        "cpu": [
            "model.net.embed_dim=256",
            "model.net.hidden=256",
            "data.vocab_size=10000",
            "data.batch_size=32",
        ],  # fmt: skip
        "unit": "tokens",
    },
    "gpt": {
        "overrides": ["experiment=gpt2_small_wikitext103", "data=synthetic_tokens", "scheduler=none"],
        "gpu": ["data.vocab_size=50304", "data.batch_size=16"],
        "cpu": [
            "model.net.d_model=128",
            "model.net.heads=4",
            "model.net.d_ff=512",
            "model.net.num_layers=2",
            "model.net.context=128",
            "data.bptt=128",
            "data.vocab_size=8192",
            "data.batch_size=8",
            "model.compile=false",
            "trainer.precision=32-true",
        ],  # fmt: skip
        "unit": "tokens",
    },
}
# A seconds-long run of each workload, for the test suite: the script's correctness, not speed.
TINY = {
    "mlp_digits": [],
    "lenet5_mnist": [],
    "resnet18_cifar": ["data.batch_size=4", "data.input_shape=[3,16,16]", "data.num_features=768"],
    "lstm_lm": ["model.net.embed_dim=16", "model.net.hidden=16", "data.vocab_size=100", "data.batch_size=4"],
    "gpt": [
        "model.net.d_model=16",
        "model.net.heads=2",
        "model.net.d_ff=32",
        "model.net.context=16",
        "data.bptt=16",
        "data.vocab_size=100",
        "data.batch_size=2",
    ],  # fmt: skip
}


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class TrainingStepTimer(L.Callback):
    """Wall time of the optimizer steps after the first `warmup`, leaving out what happens between
    epochs (validation, checkpoints, the learning-curve plot). Steps are counted by the trainer's
    global step, so a batch that takes several (trainer.steps_per_batch) counts as that many.

    With `raw`, the raw loop takes as many steps as each of the zoo's batches, next to it: after
    the zoo's batch for even intervals, before it for odd ones, so that neither side is always the
    one that runs first after an epoch's boundary (validation leaves the caches and the CPU's
    state to whoever runs next: a small model's step is measurably slower then)."""

    def __init__(self, warmup: int, steps: int, raw: RawLoop | None = None):
        self.warmup, self.target, self.steps, self.seconds = warmup, steps, 0, 0.0
        self.raw, self.raw_intervals = raw, []  # the raw loop's steps, taken next to the zoo's batches
        self.started: float | None = None
        self.first_step = 0
        self.intervals: list[tuple[int, float]] = []  # (steps, seconds) from one batch's end to the next's
        self.last: tuple[int, float] = (0, 0.0)

    def _resume(self, trainer: L.Trainer) -> None:
        if self.started is None and trainer.global_step >= self.warmup:
            synchronize(trainer.strategy.root_device)
            self.started, self.first_step = time.perf_counter(), trainer.global_step
            self.last = (trainer.global_step, self.started)

    def _pause(self, trainer: L.Trainer) -> None:
        if self.started is not None:
            synchronize(trainer.strategy.root_device)
            self.seconds += time.perf_counter() - self.started
            self.steps += trainer.global_step - self.first_step
            self.started = None

    def _raw_first(self) -> bool:
        """Whether the raw loop's steps for the zoo's interval now being timed come before it."""
        return self.raw is not None and len(self.intervals) % 2 == 1

    def _take_raw_steps(self, trainer: L.Trainer, steps: int) -> None:
        """The raw loop's `steps`, timed on their own; the zoo's clock skips the time they took."""
        synchronize(trainer.strategy.root_device)
        now = time.perf_counter()
        self.raw_intervals.append((steps, self.raw.timed(steps)))
        skipped = time.perf_counter() - now
        self.started += skipped
        self.last = (self.last[0], self.last[1] + skipped)

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._resume(trainer)

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, *args: Any
    ) -> None:
        if self.started is not None and self._raw_first():
            bundle = 1 if pl_module.automatic_optimization else len(batch)  # the steps this batch takes
            if trainer.max_steps >= 0:
                bundle = min(bundle, trainer.max_steps - trainer.global_step)
            self._take_raw_steps(trainer, bundle)

    def on_train_batch_end(self, trainer: L.Trainer, pl_module: L.LightningModule, *args: Any) -> None:
        if self.started is None:
            self._resume(trainer)  # the first timed step starts after the warm-up's last one ends
            return
        raw_after = self.raw is not None and not self._raw_first()
        if self.raw is not None:
            synchronize(trainer.strategy.root_device)
        now = time.perf_counter()
        steps = trainer.global_step - self.last[0]
        self.intervals.append((steps, now - self.last[1]))
        self.last = (trainer.global_step, now)
        if raw_after:
            self._take_raw_steps(trainer, steps)
        timed = self.steps + trainer.global_step - self.first_step
        if timed >= self.target:
            trainer.should_stop = True  # at the end of this batch (a bundle: all its steps)
        if timed >= self.target or trainer.global_step >= trainer.max_steps or trainer.is_last_batch:
            self._pause(trainer)


def compose_workload(name: str, device: str, tiny: bool, steps: int, warmup: int, out: Path) -> Any:
    from zoo.registry import compose

    spec = WORKLOADS[name]
    gpu_settings = device == "cuda" or GPU_SETTINGS_ON_CPU
    sizes = spec["gpu"] if gpu_settings else spec["cpu"]
    overrides = [
        *spec["overrides"], *sizes, *(TINY[name] if tiny else []),
        f"trainer.accelerator={'gpu' if device == 'cuda' else 'cpu'}", f"trainer.max_steps={warmup + steps}",
        "trainer.max_epochs=-1", "test=false", "name=bench", f"paths.output_dir={out / name}",
        "overwrite=true",  # the same scratch folder each time bench runs
    ]  # fmt: skip
    if not gpu_settings:
        overrides.append("trainer.precision=32-true")
    if name == "lenet5_mnist" or name == "resnet18_cifar":
        batch = compose("train", overrides).data.batch_size
        overrides.append(f"data.num_examples={batch * (warmup + steps + 1)}")  # one epoch
    if spec["unit"] == "tokens":
        data = compose("train", overrides).data
        overrides.append(f"data.num_tokens={data.batch_size * (data.bptt * (warmup + steps + 1) + 1)}")
    return compose("train", overrides)


def zoo_run(cfg: Any, warmup: int, steps: int, raw: RawLoop | None = None) -> dict[str, Any]:
    """The zoo's run, timed over `steps` steps or a few more (up to the end of a bundle of
    trainer.steps_per_batch); with `raw`, the raw loop takes as many steps next to each of the
    zoo's batches, timed on its own (the two then share the machine's passing states)."""
    from zoo.commands.train import train

    timer = TrainingStepTimer(warmup, steps, raw)
    train(cfg, extra_callbacks=[timer])
    run = {"steps": timer.steps, "seconds": timer.seconds, "intervals": timer.intervals}
    if raw is None:
        return run
    raw_steps = sum(steps for steps, _ in timer.raw_intervals)
    raw_seconds = sum(seconds for _, seconds in timer.raw_intervals)
    return {**run, "raw": {"steps": raw_steps, "seconds": raw_seconds, "intervals": timer.raw_intervals}}


def weighted_quantile(values: list[tuple[float, int]], q: float) -> float:
    """The q-quantile of values each counted `weight` times (the lower one at a tie)."""
    ordered = sorted(values)
    total = sum(weight for _, weight in ordered)
    if total <= 0:
        raise ValueError("no timed steps")
    counted = 0
    for value, weight in ordered:
        counted += weight
        if counted >= q * total:
            return value
    return ordered[-1][0]  # q > 1


def median_step_time(intervals: list[tuple[int, float]]) -> float:
    """The median seconds per step over timed intervals of several steps, each weighted by its
    steps: a shared machine's passing slowdowns (other processes, frequency changes) move a total
    far more than this, on either side."""
    return weighted_quantile([(seconds / steps, steps) for steps, seconds in intervals if steps > 0], 0.5)


def paired_ratios(
    zoo_intervals: list[tuple[int, float]], raw_intervals: list[tuple[int, float]]
) -> dict[str, float]:
    """zoo/raw speed of each of the zoo's intervals against the raw loop's steps taken right next
    to it (its pair, under the same passing state of the machine): the median and quartiles over
    the pairs, each weighted by its steps. Pairing cancels the machine's drift, which a ratio of
    each side's own median only averages out: over six runs of the MLP here, 0.915-0.933 paired
    against 0.887-0.949 as a ratio of medians."""
    if len(zoo_intervals) != len(raw_intervals):
        raise ValueError(f"{len(zoo_intervals)} zoo intervals but {len(raw_intervals)} raw ones")
    pairs = [
        ((raw_seconds / raw_steps) / (zoo_seconds / zoo_steps), zoo_steps)
        for (zoo_steps, zoo_seconds), (raw_steps, raw_seconds) in zip(
            zoo_intervals, raw_intervals, strict=True
        )
        if zoo_steps > 0 and raw_steps > 0
    ]
    return {name: weighted_quantile(pairs, q) for name, q in (("q1", 0.25), ("median", 0.5), ("q3", 0.75))}


def raw_batches(cfg: Any, device: torch.device) -> tuple[Any, Any]:
    """The data as a hand-written loop holds it: tensors on the device, and a function that
    returns the i-th training batch (images normalised there; token windows in order)."""
    from zoo.data import build_datamodule
    from zoo.registry import plain

    data = build_datamodule(plain(cfg)["data"])
    data.setup()
    if hasattr(data, "bptt"):  # a language model: (batch, bptt) windows of the token stream
        stream = data.datasets["train"].data.to(device)
        bptt = data.bptt

        def token_batch(i: int) -> tuple[torch.Tensor, torch.Tensor]:
            start = (i * bptt) % (stream.shape[1] - bptt - 1)
            return stream[:, start : start + bptt], stream[:, start + 1 : start + 1 + bptt]

        return data, token_batch
    train_split = data.datasets["train"]
    if hasattr(data, "normalize"):  # images: uint8 on the device, normalised per batch
        images, labels = (t.to(device) for t in data.splits["train"])
        mean = torch.tensor(data.mean, device=device).view(1, -1, 1, 1)
        std = torch.tensor(data.std, device=device).view(1, -1, 1, 1)
    else:  # feature rows, already standardised
        images, labels = (t.to(device) for t in train_split.tensors)
    batch_size, n = data.batch_size, len(labels)
    order = torch.randperm(n, device=device)

    def batch(i: int) -> tuple[torch.Tensor, torch.Tensor]:
        start = (i * batch_size) % n
        index = order[start : start + batch_size]
        x = images[index]
        return ((x.float() / 255 - mean) / std if x.dtype == torch.uint8 else x), labels[index]

    return data, batch


class RawLoop:
    """The same net, optimizer, precision and batches in the loop one would write by hand."""

    def __init__(self, cfg: Any, device: torch.device):
        from zoo.registry import plain
        from zoo.run import build_training_task
        from zoo.training.optim import build_optimizer

        config = plain(cfg)
        L.seed_everything(config["seed"], verbose=False)
        data, self.batch = raw_batches(cfg, device)
        net = build_training_task(config).net.to(device)  # the plain nn.Module the task trains
        if config["model"].get("channels_last"):
            net = net.to(memory_format=torch.channels_last)
        if config["model"].get("compile"):
            net.compile()
        self.net, self.device = net, device
        self.optimizer = build_optimizer(net.named_parameters(), config["optimizer"])
        self.clip = config["trainer"].get("gradient_clip_val")
        self.bf16 = "bf16" in str(config["trainer"].get("precision"))
        self.language_model = hasattr(data, "bptt")
        self.carries_state = self.language_model and getattr(net, "carries_state", True)
        self.state: Any = None
        self.taken = 0

    def step(self) -> None:
        x, y = self.batch(self.taken)
        self.taken += 1
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bf16):
            if self.language_model:
                logits, state = self.net(x, self.state)
                self.state = tuple(s.detach() for s in state) if self.carries_state else None
                loss = F.cross_entropy(logits.flatten(0, 1).float(), y.flatten())
            else:
                loss = F.cross_entropy(self.net(x).float(), y)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.clip:
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), self.clip)
        self.optimizer.step()

    def timed(self, steps: int) -> float:
        """Seconds for `steps` steps, the device's queue emptied before and after."""
        synchronize(self.device)
        started = time.perf_counter()
        for _ in range(steps):
            self.step()
        synchronize(self.device)
        return time.perf_counter() - started


def raw_run(cfg: Any, device: torch.device, warmup: int, steps: int) -> dict[str, Any]:
    loop = RawLoop(cfg, device)
    loop.timed(warmup)
    seconds = loop.timed(steps)
    return {"steps": steps, "seconds": seconds, "intervals": [(steps, seconds)]}


def steps_per_batch(cfg: Any) -> int:
    """The optimizer steps the zoo takes per Lightning batch in this run (trainer.steps_per_batch)."""
    from zoo.data import build_datamodule
    from zoo.registry import plain
    from zoo.training.steps import resolve_steps_per_batch

    config = plain(cfg)
    return resolve_steps_per_batch(config, build_datamodule(config["data"]))


def examples_per_step(cfg: Any, unit: str) -> int:
    batch = cfg.data.batch_size
    return batch * cfg.data.bptt if unit == "tokens" else batch


def transformer_flops_per_token(cfg: Any, parameters: int) -> float:
    """6N + 12·L·H·Q·T (PaLM's appendix B): N parameters without the position table, L layers,
    H heads of Q dimensions, context T."""
    net = cfg.model.net
    return 6 * parameters + 12 * net.num_layers * net.d_model * cfg.data.bptt


def bf16_matmul_peak(device: torch.device, size: int = 8192, repeats: int = 20) -> float:
    """The bf16 matmul rate this GPU reaches, in FLOP/s (the denominator of MFU)."""
    a = torch.randn(size, size, device=device, dtype=torch.bfloat16)
    b = torch.randn(size, size, device=device, dtype=torch.bfloat16)
    for _ in range(3):
        a @ b
    synchronize(device)
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    synchronize(device)
    return 2 * size**3 * repeats / (time.perf_counter() - started)


def calibrated_steps(
    name: str, device: torch.device, tiny: bool, warmup: int, out: Path, seconds: float
) -> int:
    """Enough timed steps for about `seconds` of the raw loop (at least 20, at most 2000), so that
    a short step is not timed over a few milliseconds."""
    probe = raw_run(compose_workload(name, device.type, tiny, 5, warmup, out), device, warmup, 5)
    step_time = probe["seconds"] / probe["steps"]
    return max(20, min(2000, math.ceil(seconds / step_time)))


def bench_workload(
    name: str, device: torch.device, tiny: bool, steps: int | None, warmup: int, out: Path, seconds: float
) -> dict:
    steps = steps or calibrated_steps(name, device, tiny, warmup, out, seconds)
    bundle = steps_per_batch(compose_workload(name, device.type, tiny, steps, warmup, out))
    # The zoo's timing starts and stops at the end of a batch: room for two bundles more
    cfg = compose_workload(name, device.type, tiny, steps + 2 * bundle, warmup, out)
    unit = WORKLOADS[name]["unit"]
    per_step = examples_per_step(cfg, unit)
    result: dict[str, Any] = {
        "workload": name,
        "steps": steps,
        "unit": unit,
        "batch": int(cfg.data.batch_size),
        "precision": str(cfg.trainer.precision),
        "compile": bool(cfg.model.get("compile")),
        "steps_per_batch": bundle,
    }
    # On a CPU, whose speed drifts while other processes come and go: the raw loop's steps are
    # taken next to each of the zoo's batches, as many each time (TrainingStepTimer); each side's
    # speed is its median step (median_step_time) and zoo/raw the median over the pairs
    # (paired_ratios). On a GPU, whose steps run asynchronously: each side's total time.
    if device.type == "cpu":
        raw = RawLoop(cfg, device)
        raw.timed(warmup)
        zoo = zoo_run(cfg, warmup, steps, raw)
        timings = {"raw": zoo.pop("raw"), "zoo": zoo}
    else:
        timings = {"raw": raw_run(cfg, device, warmup, steps), "zoo": zoo_run(cfg, warmup, steps)}
    result["timing"] = "interleaved, paired median" if device.type == "cpu" else "total"
    for side in ("raw", "zoo"):
        timing = timings[side]
        if device.type == "cpu":
            rate = 1 / median_step_time(timing["intervals"])
        else:
            rate = timing["steps"] / timing["seconds"]
        result[side] = {"steps": timing["steps"], "seconds": round(timing["seconds"], 4),
                        "steps_per_s": rate, f"{unit}_per_s": rate * per_step}  # fmt: skip
    if device.type == "cpu":
        pairs = paired_ratios(timings["zoo"]["intervals"], timings["raw"]["intervals"])
        result["ratio"], result["ratio_quartiles"] = pairs["median"], [pairs["q1"], pairs["q3"]]
    else:
        result["ratio"] = result["zoo"]["steps_per_s"] / result["raw"]["steps_per_s"]
        result["ratio_quartiles"] = None
    result["mfu"] = None
    if name == "gpt":
        from zoo.registry import plain
        from zoo.run import build_training_task

        net = build_training_task(plain(cfg)).net
        parameters = sum(
            p.numel() for n, p in net.named_parameters() if not n.startswith("embedding.positions")
        )
        result["flops_per_token"] = transformer_flops_per_token(cfg, parameters)
        if device.type == "cuda":
            result["mfu"] = result["zoo"]["tokens_per_s"] * result["flops_per_token"] / PEAK[0]
    return result


PEAK: list[float] = []
GPU_SETTINGS_ON_CPU = False  # --gpu-settings: the GPU presets (bf16, compile) on a CPU, a dry run


def bench_generation(device: torch.device, tiny: bool) -> dict[str, Any]:
    """Tokens/s of greedy generation with the key/value cache against re-reading the context."""
    from zoo.models.transformer import TransformerLanguageModel

    if device.type == "cuda":
        shape, batch, prompt_length, new = dict(d_model=768, heads=12, d_ff=3072, num_layers=12), 8, 16, 512
    else:
        shape, batch, prompt_length, new = dict(d_model=128, heads=4, d_ff=512, num_layers=2), 4, 16, 512
    if tiny:
        shape, batch, prompt_length, new = dict(d_model=16, heads=2, d_ff=32, num_layers=1), 2, 4, 8
    torch.manual_seed(0)
    net = TransformerLanguageModel(
        1000, **shape, dropout=0.0, context=prompt_length + new
    ).to(device).eval()  # fmt: skip
    prompt = torch.randint(4, 1000, (batch, prompt_length), device=device)

    @torch.no_grad()
    def cached() -> torch.Tensor:
        logits, state = net(prompt)
        tokens = [prompt]
        for _ in range(new):
            tokens.append(logits[:, -1:].argmax(-1))
            logits, state = net(tokens[-1], state)
        return torch.cat(tokens, dim=1)

    @torch.no_grad()
    def reread() -> torch.Tensor:
        tokens = prompt
        for _ in range(new):
            logits, _ = net(tokens)
            tokens = torch.cat([tokens, logits[:, -1:].argmax(-1)], dim=1)
        return tokens

    rates, outputs = {}, {}
    for name, generate in (("cached", cached), ("reread", reread)):
        generate()  # warm-up
        synchronize(device)
        started = time.perf_counter()
        outputs[name] = generate()
        synchronize(device)
        rates[name] = batch * new / (time.perf_counter() - started)
    return {
        "new_tokens": new,
        "batch": batch,
        "cached_tokens_per_s": rates["cached"],
        "reread_tokens_per_s": rates["reread"],
        "speedup": rates["cached"] / rates["reread"],
        "same_tokens": bool(torch.equal(outputs["cached"], outputs["reread"])),
    }


def bench_predict_startup(out: Path, tiny: bool) -> dict[str, Any]:
    """`zoo predict` on an MLP checkpoint against `python -c "import torch"`, each a fresh
    process, taking turns (the median of each, and of the pairs' ratios): what a user waits for
    to predict one row, against the floor that any PyTorch program pays."""
    import os
    import statistics
    import subprocess

    import zoo
    from zoo.commands.train import train
    from zoo.registry import compose

    quiet = ["logger=csv", "callbacks.progress=none", "callbacks.learning_curves=false",
             "callbacks.evaluation_plots=false", "trainer.accelerator=cpu"]  # fmt: skip
    folder = out / "predict_startup"
    summary = train(compose("train", [*quiet, "model=mlp", "data=digits", "trainer.max_epochs=1",
                                      f"paths.output_dir={folder}", "name=predict_startup",
                                      "overwrite=true"]))  # fmt: skip
    row = "[" + ",".join(str(i % 17) for i in range(64)) + "]"
    commands = {
        "predict": [sys.executable, "-m", "zoo", "predict", f"ckpt_path={summary['best_checkpoint']}",
                    f"input={row}", f"hydra.run.dir={folder / 'predict'}"],
        "import_torch": [sys.executable, "-c", "import torch"],
    }  # fmt: skip
    source = str(Path(zoo.__file__).resolve().parents[1])  # the zoo this script imported
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [source, os.environ.get("PYTHONPATH")]))}
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(1 if tiny else 7):
        for name, command in commands.items():
            started = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env)
            seconds[name].append(time.perf_counter() - started)
    ratios = [p / t for p, t in zip(seconds["predict"], seconds["import_torch"], strict=True)]
    return {
        "predict_s": statistics.median(seconds["predict"]),
        "import_torch_s": statistics.median(seconds["import_torch"]),
        "ratio": statistics.median(ratios),
        "runs": len(ratios),
    }


def print_results(results: dict[str, Any]) -> None:
    print(f"{'workload':<16}{'raw steps/s':>13}{'zoo steps/s':>13}{'zoo/raw':>9}  zoo throughput")
    for row in results["workloads"]:
        unit = row["unit"]
        mfu = f", MFU {row['mfu']:.1%}" if row["mfu"] is not None else ""
        quartiles = row["ratio_quartiles"]
        spread = f" (pairs' quartiles {quartiles[0]:.3f}-{quartiles[1]:.3f})" if quartiles else ""
        print(
            f"{row['workload']:<16}{row['raw']['steps_per_s']:>13.2f}{row['zoo']['steps_per_s']:>13.2f}"
            f"{row['ratio']:>9.3f}  {row['zoo'][f'{unit}_per_s']:,.0f} {unit}/s{mfu}{spread}"
        )
    generation = results["generation"]
    print(
        f"generation of {generation['new_tokens']} tokens: cached {generation['cached_tokens_per_s']:,.0f}"
        f" tokens/s, re-reading {generation['reread_tokens_per_s']:,.0f} tokens/s"
        f" ({generation['speedup']:.1f}×, same tokens: {generation['same_tokens']})"
    )
    startup = results["predict_startup"]
    print(
        f"zoo predict (one row, MLP): {startup['predict_s']:.2f} s; python -c 'import torch': "
        f"{startup['import_torch_s']:.2f} s; ratio {startup['ratio']:.2f} (median of {startup['runs']} pairs)"
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workloads", default=",".join(WORKLOADS), help="comma-separated, of: " + ", ".join(WORKLOADS)
    )
    parser.add_argument("--device", default="auto", choices=("auto", "cpu", "cuda"))
    parser.add_argument(
        "--steps", type=int, default=None, help="timed steps (default: --seconds' worth, 20 to 2000)"
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="time each side for about this long")
    parser.add_argument("--warmup", type=int, default=5, help="untimed steps first (compilation, caches)")
    parser.add_argument("--tiny", action="store_true", help="tiny sizes: check that it runs, not its speed")
    parser.add_argument(
        "--gpu-settings", action="store_true", help="the GPU settings (bf16, compile) on a CPU: a dry run"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--out", type=Path, default=Path("runs/bench"), help="the zoo runs' folders")
    args = parser.parse_args(argv)
    global GPU_SETTINGS_ON_CPU
    GPU_SETTINGS_ON_CPU = args.gpu_settings
    names = [name.strip() for name in args.workloads.split(",") if name.strip()]
    unknown = [name for name in names if name not in WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s) {', '.join(unknown)}; choose from {', '.join(WORKLOADS)}")
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)  # fmt: skip
    steps = args.steps or (3 if args.tiny else None)
    warmup = min(args.warmup, 2) if args.tiny else args.warmup
    if device.type == "cuda":
        PEAK.append(bf16_matmul_peak(device))
    from zoo.run import quiet_lightning

    quiet_lightning()
    results = {
        "device": torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else platform.processor() or "cpu",
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "bf16_peak_tflops": PEAK[0] / 1e12 if PEAK else None,
        "warmup": warmup,
        "workloads": [
            bench_workload(name, device, args.tiny, steps, warmup, args.out, args.seconds) for name in names
        ],
        "generation": bench_generation(device, args.tiny),
        "predict_startup": bench_predict_startup(args.out, args.tiny),
    }
    print_results(results)
    if args.json:
        from zoo.commands.common import write_json_atomic

        write_json_atomic(args.json, results)
    return results


if __name__ == "__main__":
    main()
