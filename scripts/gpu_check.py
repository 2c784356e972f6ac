"""One command that checks the GPU half of the zoo and measures it, within about 8 minutes on one
GPU: scripts/bench.py at GPU sizes, then every experiment preset that needs a GPU for a bounded
number of steps (on its real data where present, else on generated data of its shapes), then
LeNet-5 on the real Fashion-MNIST (the full preset) when its files are here. Each run checks that
the loss falls and stays finite, that a checkpoint is written and loads with zoo.load and predicts
one raw input; it records its throughput, peak GPU memory and the GPU features it exercised
(bf16, torch.compile, channels-last, fused optimizer, data held and augmented on the device).
One table at the end, also written as JSON.

    python scripts/gpu_check.py                        # on a GPU machine
    python scripts/gpu_check.py --dry-run              # the same end to end on a CPU, tiny, in seconds

--dry-run runs every step on the CPU at tiny sizes (2 steps, batches of 2, fp32, no compilation):
it proves the script and the substitutions work before a device is started (tests run it).
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import sys
import time
from pathlib import Path
from typing import Any

try:
    import zoo  # noqa: F401
except ImportError:  # run from a checkout without installing: python scripts/gpu_check.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench.py and reproduce.py, beside this file

STEPS = 60  # training steps per preset on the GPU (enough to see the loss fall)
DRY_STEPS = 2
# A raw input each kind of task predicts from, by the task class the preset names
RAW_INPUTS = {
    "zoo.tasks.Classifier": None,  # images: an array of pixels of the data's shape; text: a sentence
    "zoo.tasks.LanguageModel": "the",
    "zoo.tasks.MaskedLM": "the [MASK] runs",
    "zoo.tasks.Seq2Seq": "the dog sees the cat",
}


def gpu_presets() -> list[str]:
    """The experiment presets whose trainer asks for a GPU."""
    from zoo.registry import compose, options

    return [
        name
        for name in options("experiment")
        if compose("train", [f"experiment={name}", "name=x"]).trainer.get("accelerator") == "gpu"
    ]


def data_present(cfg: Any) -> bool:
    from reproduce import data_missing

    return data_missing(cfg) is None


def stand_in_data(data: dict[str, Any]) -> dict[str, Any]:
    """Generated data of the preset's shapes for data that is not on this machine: random images of
    its image shape and classes, a random token stream of its vocabulary, or the generated grammar
    for what needs real words (a masked LM's WordPiece tokenizer, sentences, translations)."""
    target = data["_target_"].rsplit(".", 1)[-1]
    common = {"batch_size": data["batch_size"], "seed": data.get("seed", 0)}
    if target == "VisionDataModule":
        shape = list(data.get("input_shape") or [3, 32, 32])
        return {**common, "_target_": "zoo.data.synthetic.SyntheticImages", "input_shape": shape,
                "num_classes": data.get("num_classes") or 10, "num_features": int(torch.tensor(shape).prod()),
                "num_examples": 20_000, "augment": data.get("augment", "none"),
                "on_device": "auto"}  # fmt: skip
    if target == "LanguageModelDataModule" and data.get("tokenizer") != "wordpiece":
        return {**common, "_target_": "zoo.data.synthetic.SyntheticTokens", "bptt": data["bptt"],
                "vocab_size": data.get("vocab_size") or 33278, "num_tokens": 400_000}  # fmt: skip
    if target in ("LanguageModelDataModule", "SequenceDataModule"):
        return {**data, **{"corpus" if target == "LanguageModelDataModule" else "source": "grammar"}}
    if target == "TranslationDataModule":
        return {**data, "source": "grammar", "tokenizer": "word"}
    raise ValueError(f"no stand-in for {target}")


def composed(name: str, overrides: list[str], output_dir: Path, dry_run: bool) -> tuple[Any, str]:
    """The preset's config for a bounded run, on its data or a stand-in; and which data it reads."""
    from omegaconf import OmegaConf

    from zoo.registry import compose, plain

    quiet = ["logger=csv", "callbacks.progress=none", "callbacks.evaluation_plots=false",
             "callbacks.learning_curves=false", f"paths.output_dir={output_dir}", "trainer.max_epochs=1",
             "overwrite=true",
             "+trainer.limit_val_batches=2", "+trainer.limit_test_batches=2", "trainer.log_every_n_steps=1",
             "trainer.steps_per_batch=1"]  # fmt: skip
    steps = DRY_STEPS if dry_run else STEPS
    tiny = ["trainer.accelerator=cpu", "trainer.precision=32-true", "data.batch_size=2"] if dry_run else []
    cfg = compose("train", [f"experiment={name}", *quiet, f"trainer.max_steps={steps}", *tiny, *overrides])
    if not dry_run and data_present(cfg):
        return cfg, "real"
    OmegaConf.set_struct(cfg, False)
    data = plain(cfg.data)
    cfg.data = OmegaConf.create(stand_in_data(data))
    if dry_run:
        if "bptt" in cfg.data:
            cfg.data.bptt = 8
        cfg.model.compile = False  # compiling on a CPU needs a C++ toolchain and minutes
        if "context" in cfg.model.net:
            cfg.model.net.context = max(8, cfg.data.get("bptt", 8))
    return cfg, "stand-in"


def features(cfg: Any) -> list[str]:
    """The GPU features a run's config turns on."""
    found = []
    if "bf16" in str(cfg.trainer.get("precision")):
        found.append("bf16")
    if cfg.model.get("compile"):
        found.append("compile")
    if cfg.model.get("channels_last"):
        found.append("channels-last")
    if cfg.optimizer.get("fused"):
        found.append("fused optimizer")
    if cfg.data.get("on_device") not in (None, False):
        found.append(
            "data on device" + (" + augmentation" if cfg.data.get("augment", "none") != "none" else "")
        )
    return found


def losses(run_dir: Path) -> list[float]:
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    return [float(row["train/loss_step"]) for row in rows if row.get("train/loss_step")]


def raw_input(cfg: Any, predictor: Any) -> Any:
    text = RAW_INPUTS.get(cfg.model._target_)
    if text is not None:
        return text
    shape = getattr(predictor.datamodule, "image_shape", None)
    if shape:  # an image as an array of pixel values 0..255
        return torch.randint(0, 256, tuple(shape)).float().numpy()
    return "the dog sees the cat"  # a sentence classifier


def check_run(
    name: str, output_dir: Path, dry_run: bool, overrides: list[str] | None = None
) -> dict[str, Any]:
    """Train the preset for a bounded number of steps and check what a user relies on."""
    import zoo
    from zoo.commands.train import speed_text, train
    from zoo.errors import ZooError

    cfg, data = composed(name, overrides or [], output_dir / name, dry_run)
    row: dict[str, Any] = {"preset": name, "data": data, "features": features(cfg), "ok": False}
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    started = time.perf_counter()
    try:
        summary = train(cfg)
    except ZooError as error:
        return {**row, "error": str(error)[:200]}
    row["seconds"] = round(time.perf_counter() - started, 1)
    curve = losses(Path(summary["run_dir"]))
    row["loss_first"], row["loss_last"] = (curve[0], curve[-1]) if curve else (None, None)
    row["loss_falls"] = bool(curve) and curve[-1] < curve[0]
    row["finite"] = bool(curve) and all(torch.isfinite(torch.tensor(curve)).tolist())
    checkpoint = summary.get("best_checkpoint") or summary.get("last_checkpoint")
    row["checkpoint"] = bool(checkpoint) and Path(checkpoint).is_file()
    try:
        predictor = zoo.load(checkpoint)
        row["predicted"] = bool(predictor.predict(raw_input(cfg, predictor)))
    except Exception as error:  # a check, not a crash: the table says what failed
        row["predicted"], row["error"] = False, f"{type(error).__name__}: {error}"[:200]
    row["throughput"] = speed_text(summary["train_speed"]) or "-"
    row["peak_memory_gb"] = (
        round(torch.cuda.max_memory_allocated() / 2**30, 2) if torch.cuda.is_available() else None
    )
    row["test"] = summary.get("test")
    row["ok"] = row["loss_falls"] and row["finite"] and row["checkpoint"] and row["predicted"]
    if dry_run:  # two steps at batch 2 need not lower the loss: the checks that can fail here are the rest
        row["ok"] = row["finite"] and row["checkpoint"] and row["predicted"]
    return row


def fashion_mnist(output_dir: Path, dry_run: bool) -> dict[str, Any] | None:
    """LeNet-5 on the real Fashion-MNIST, the full preset on a GPU (two steps in a dry run)."""
    from zoo.commands.train import train
    from zoo.registry import compose

    bounded = ["trainer.max_steps=2", "+trainer.limit_val_batches=2", "+trainer.limit_test_batches=2"]
    on_gpu = ["trainer.accelerator=gpu", "trainer.precision=bf16-mixed"]
    cfg = compose("train", ["experiment=lenet5_fashion_mnist", "logger=csv", "callbacks.progress=none",
                            f"paths.output_dir={output_dir / 'lenet5_fashion_mnist'}", "overwrite=true",
                            *(bounded if dry_run else on_gpu)])  # fmt: skip
    if not data_present(cfg):
        return None
    started = time.perf_counter()
    summary = train(cfg)
    return {"preset": "lenet5_fashion_mnist (full)", "test_acc": summary["test"].get("test/acc"),
            "seconds": round(time.perf_counter() - started, 1)}  # fmt: skip


def environment() -> dict[str, Any]:
    cuda = torch.cuda.is_available()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "gpu": torch.cuda.get_device_name(0) if cuda else None,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "python": platform.python_version(),
    }


def print_table(report: dict[str, Any]) -> None:
    env = report["environment"]
    print(
        f"\nzoo gpu_check {env['date']}: {env['gpu'] or 'no GPU (dry run)'}, "
        f"torch {env['torch']}, CUDA {env['cuda']}"
    )
    bench = report.get("bench")
    if bench:
        for row in bench["workloads"]:
            mfu = f", MFU {row['mfu']:.1%}" if row.get("mfu") is not None else ""
            print(f"  bench {row['workload']:<16} zoo/raw {row['ratio']:.3f}{mfu}")
        print(f"  bench generation: cached {bench['generation']['speedup']:.1f}x re-reading")
    print(f"  {'preset':<28}{'data':<10}{'ok':<5}{'loss':<16}{'throughput':<38}{'peak GB':<9}features")
    for row in report["presets"]:
        loss = (
            f"{row['loss_first']:.2f}->{row['loss_last']:.2f}" if row.get("loss_first") is not None else "-"
        )
        print(f"  {row['preset']:<28}{row['data']:<10}{'yes' if row['ok'] else 'NO':<5}{loss:<16}"
              f"{row.get('throughput', '-'):<38}{str(row.get('peak_memory_gb') or '-'):<9}"
              f"{', '.join(row['features']) or '-'}"
              f"{'  ' + row['error'] if row.get('error') else ''}")  # fmt: skip
    fashion = report.get("fashion_mnist")
    if fashion:
        print(f"  {fashion['preset']}: test accuracy {fashion['test_acc']:.4f} in {fashion['seconds']:.0f} s")
    print(
        f"  {sum(r['ok'] for r in report['presets'])} of {len(report['presets'])} presets passed every check"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="everything on the CPU at tiny sizes")
    parser.add_argument("--json", type=Path, default=Path("runs/gpu_check/report.json"))
    parser.add_argument("--out", type=Path, default=Path("runs/gpu_check"), help="the runs' folders")
    parser.add_argument("--presets", default=None, help="comma-separated (default: every GPU preset)")
    parser.add_argument("--no-bench", action="store_true", help="skip scripts/bench.py")
    args = parser.parse_args(argv)
    if not args.dry_run and not torch.cuda.is_available():
        print("gpu_check: no GPU here; use --dry-run to check the script on a CPU", file=sys.stderr)
        return 2
    from zoo.run import quiet_lightning

    quiet_lightning()
    report: dict[str, Any] = {"environment": environment(), "dry_run": args.dry_run}
    if not args.no_bench:
        import bench

        device = ["--tiny", "--device", "cpu"] if args.dry_run else ["--device", "cuda", "--seconds", "4"]
        report["bench"] = bench.main([*device, "--out", str(args.out / "bench")])
    names = args.presets.split(",") if args.presets else gpu_presets()
    report["presets"] = [check_run(name, args.out, args.dry_run) for name in names]
    report["fashion_mnist"] = fashion_mnist(args.out, args.dry_run)
    print_table(report)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, default=str))
    print(f"report: {args.json}")
    return 0 if all(row["ok"] for row in report["presets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
