"""The zoo's GPT-shaped language model next to nanoGPT, on the same text, split and recipe.

Both read the same token stream: the first 1,000,000 characters of the bundled Shakespeare, split
90/10 as nanoGPT's prepare script splits, read as the zoo reads text (`data=text_files`, a
character tokenizer, each line ended by <eos>) and written for nanoGPT as its train.bin / val.bin /
meta.pkl. The recipe is nanoGPT's CPU one (its README): 4 layers, 4 heads, width 128, context 64,
batch 12, AdamW 1e-3 with betas (0.9, 0.99) and weight decay 0.1, 100 warmup steps then a cosine
to 1e-4, dropout 0, gradient clipping at 1.0, float32, no compile. Each side runs as its own
command (`zoo train ...`, nanoGPT's own `train.py`), timed and with its peak memory measured; the
pairs take turns (the first side alternates). Then both trained models are scored on the same
full validation stream (every window of 64 characters), and the ratios zoo / nanoGPT printed.

    python scripts/bench_lm.py --nanogpt path/to/nanoGPT --steps 100 --pairs 3
    python scripts/bench_lm.py --nanogpt path/to/nanoGPT --steps 2000 --pairs 1 --json lm.json
    python scripts/bench_lm.py --steps 100             # the zoo's side alone (no checkout given)

Nothing of nanoGPT is copied into this repository: its train.py, model.py, configurator.py and
config/ are copied from the checkout given into the scratch folder and run there.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import pickle
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHARACTERS = 1_000_000
# nanoGPT's CPU recipe; the learning rate decays over 2000 steps whatever a run's length (100
# steps are the first 100 of that schedule)
RECIPE = {
    "layers": 4, "heads": 4, "width": 128, "context": 64, "batch": 12, "lr": 1e-3, "min_lr": 1e-4,
    "decay_steps": 2000,
}  # fmt: skip
TARGETS = {"val_loss": (1.00, 1.03), "tokens_per_s": 1.0, "wall": 1.0, "peak_rss": 1.1}


def prepare_text(folder: Path) -> dict[str, Path]:
    """The first CHARACTERS characters of the bundled plays, 90% train and 10% val (test = val)."""
    plays = ROOT / "data" / "shakespeare"
    text = "".join((plays / f"{split}.txt").read_text(encoding="utf-8") for split in ("train", "val", "test"))
    text = text[:CHARACTERS]
    cut = int(0.9 * len(text))
    folder.mkdir(parents=True, exist_ok=True)
    files = {"train": folder / "train.txt", "val": folder / "val.txt", "test": folder / "val.txt"}
    files["train"].write_text(text[:cut], encoding="utf-8")
    files["val"].write_text(text[cut:], encoding="utf-8")
    return files


def data_overrides(files: dict[str, Path]) -> list[str]:
    return [
        "data=text_files",
        *(f"data.{split}={path}" for split, path in files.items()),
        "data.tokenizer=char",
        f"data.batch_size={RECIPE['batch']}",
        f"data.bptt={RECIPE['context']}",
    ]


def zoo_streams(files: dict[str, Path]) -> tuple[Any, dict[str, Any]]:
    """The zoo's data module over the files and its encoded train / val token streams."""
    import zoo

    data = zoo.create_datamodule("text_files", overrides=data_overrides(files)[1:])
    data.setup("fit")
    return data, {split: data.datasets[split].data.reshape(-1) for split in ("train", "val")}


def write_nanogpt_data(folder: Path, data: Any, streams: dict[str, Any]) -> None:
    """train.bin / val.bin (uint16 ids) and meta.pkl as nanoGPT's prepare script writes them,
    from the zoo's own encoding: both sides read the very same tokens."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    for split, stream in streams.items():
        np.asarray(stream, dtype=np.uint16).tofile(folder / f"{split}.bin")
    vocabulary = data.tokenizer.get_vocab()
    meta = {
        "vocab_size": data.actual_vocab_size,
        "stoi": vocabulary,
        "itos": {i: s for s, i in vocabulary.items()},
    }
    with (folder / "meta.pkl").open("wb") as file:  # nanoGPT's format (read by its train.py)
        pickle.dump(meta, file)


def timed(command: list[str], cwd: Path, log: Path) -> dict[str, float]:
    """Run a command under /usr/bin/time: its wall time (s) and peak resident memory (GB)."""
    started = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(
            ["/usr/bin/time", "-f", "PEAK_KB %M", *command],
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    wall = time.perf_counter() - started
    text = log.read_text()
    if done.returncode != 0:
        sys.exit(f"bench_lm: {' '.join(command[:3])} failed ({done.returncode}); see {log}:\n{text[-2000:]}")
    peak = int(re.findall(r"PEAK_KB (\d+)", text)[-1]) / 1e6
    return {"wall_s": wall, "peak_rss_gb": peak}


def run_zoo(files: dict[str, Path], steps: int, folder: Path) -> dict[str, Any]:
    shutil.rmtree(folder, ignore_errors=True)
    r = RECIPE
    command = [
        sys.executable,
        "-m",
        "zoo",
        "train",
        "model=transformer_lm",
        *data_overrides(files),
        f"model.net.d_model={r['width']}",
        f"model.net.heads={r['heads']}",
        f"model.net.d_ff={4 * r['width']}",
        f"model.net.num_layers={r['layers']}",
        "model.net.dropout=0.0",
        f"model.net.context={r['context']}",
        "optimizer=adamw",
        f"optimizer.lr={r['lr']}",
        "optimizer.betas=[0.9,0.99]",
        "optimizer.weight_decay=0.1",
        "scheduler=warmup_cosine",
        "scheduler.warmup_steps=100",
        f"scheduler.total_steps={RECIPE['decay_steps']}",
        f"scheduler.min_lr={r['min_lr']}",
        f"trainer.max_steps={steps}",
        "trainer.max_epochs=1000",
        "trainer.gradient_clip_val=1.0",
        "trainer.steps_per_batch=1",
        "test=false",
        "callbacks.progress=plain",
        "callbacks.evaluation_plots=false",
        "callbacks.learning_curves=false",
        "logger=csv",
        "seed=1337",
        f"hydra.run.dir={folder}",
    ]
    result = timed(command, ROOT, folder.with_suffix(".log"))
    summary = json.loads((folder / "summary.json").read_text())
    result["tokens_per_s"] = summary["train_speed"]["tokens_per_s"]
    result["checkpoint"] = summary["last_checkpoint"]
    return result


def run_nanogpt(checkout: Path, work: Path, steps: int) -> dict[str, Any]:
    """nanoGPT's own train.py with its CPU recipe, in `work` (a copy of the checkout's scripts)."""
    for name in ("train.py", "model.py", "configurator.py"):
        shutil.copy(checkout / name, work / name)
    shutil.copytree(checkout / "config", work / "config", dirs_exist_ok=True)
    shutil.rmtree(work / "out", ignore_errors=True)
    r = RECIPE
    command = [
        sys.executable,
        "train.py",
        "config/train_shakespeare_char.py",
        "--device=cpu",
        "--compile=False",
        "--eval_iters=20",
        "--log_interval=1",
        f"--block_size={r['context']}",
        f"--batch_size={r['batch']}",
        f"--n_layer={r['layers']}",
        f"--n_head={r['heads']}",
        f"--n_embd={r['width']}",
        f"--max_iters={steps}",
        f"--lr_decay_iters={r['decay_steps']}",
        "--dropout=0.0",
        "--dataset=zoo_chars",
        f"--eval_interval={steps}",
        "--always_save_checkpoint=True",
        "--out_dir=out",
    ]
    log = work / "nanogpt.log"
    result = timed(command, work, log)
    # "iter k: loss x, time y ms": the training iterations, less the first (it includes the first
    # evaluation) and the last (the final evaluation comes at its start)
    times = [float(ms) for ms in re.findall(r"iter \d+: loss [\d.]+, time ([\d.]+)ms", log.read_text())][1:-1]
    result["tokens_per_s"] = r["batch"] * r["context"] * len(times) / (sum(times) / 1000)
    result["checkpoint"] = str(work / "out" / "ckpt.pt")
    return result


def zoo_val_loss(checkpoint: str, val: Any) -> float:
    import zoo

    net = zoo.load(checkpoint).task.net.eval()
    return windows_loss(lambda x: net(x)[0], val)


def nanogpt_val_loss(work: Path, checkpoint: str, val: Any) -> float:
    import torch

    spec = importlib.util.spec_from_file_location("nanogpt_model", work / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    saved = torch.load(checkpoint, map_location="cpu", weights_only=True)
    model = module.GPT(module.GPTConfig(**saved["model_args"]))
    model.load_state_dict(saved["model"])
    model.eval()
    return windows_loss(lambda x: model(x, x)[0], val)  # targets given: logits at every position


def windows_loss(logits_of: Any, val: Any) -> float:
    """Mean cross-entropy (nats per token) over every non-overlapping window of the validation
    stream, each predicting its next CONTEXT tokens."""
    import torch
    import torch.nn.functional as F

    context = RECIPE["context"]
    stream = torch.as_tensor(val, dtype=torch.long)
    count = (len(stream) - 1) // context
    inputs = stream[: count * context].view(count, context)
    targets = stream[1 : count * context + 1].view(count, context)
    total = 0.0
    with torch.no_grad():
        for start in range(0, count, 256):
            logits = logits_of(inputs[start : start + 256])
            total += F.cross_entropy(
                logits.flatten(0, 1), targets[start : start + 256].flatten(), reduction="sum"
            ).item()
    return total / targets.numel()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nanogpt", type=Path, help="a nanoGPT checkout (train.py, model.py, config/)")
    parser.add_argument("--steps", type=int, default=100, help="training steps of each run (default 100)")
    parser.add_argument("--pairs", type=int, default=1, help="runs of each side, taking turns (default 1)")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "bench_lm", help="the scratch folder")
    parser.add_argument("--json", type=Path, help="write the measurements here too")
    args = parser.parse_args(argv)
    if args.nanogpt and not (args.nanogpt / "train.py").is_file():
        sys.exit(f"bench_lm: {args.nanogpt} is not a nanoGPT checkout (no train.py)")

    work = args.work.resolve()
    files = prepare_text(work / "text")
    data, streams = zoo_streams(files)
    nanogpt_work = work / "nanogpt"
    write_nanogpt_data(nanogpt_work / "data" / "zoo_chars", data, streams)
    print(
        f"text: {len(streams['train']):,} train and {len(streams['val']):,} val tokens, "
        f"{data.actual_vocab_size} symbols; {args.steps} steps, {args.pairs} pair(s)"
    )

    rows = []
    for pair in range(args.pairs):
        sides = ["zoo", "nanogpt"] if args.nanogpt else ["zoo"]
        if pair % 2:
            sides.reverse()
        row: dict[str, Any] = {}
        for side in sides:
            if side == "zoo":
                row["zoo"] = run_zoo(files, args.steps, work / f"zoo_{pair}")
                row["zoo"]["val_loss"] = zoo_val_loss(row["zoo"]["checkpoint"], streams["val"])
            else:
                row["nanogpt"] = run_nanogpt(args.nanogpt, nanogpt_work, args.steps)
                row["nanogpt"]["val_loss"] = nanogpt_val_loss(
                    nanogpt_work, row["nanogpt"]["checkpoint"], streams["val"]
                )
            print(
                f"pair {pair + 1} {side}: "
                + ", ".join(f"{k} {v:.4g}" for k, v in row[side].items() if k != "checkpoint")
            )
        rows.append(row)

    report: dict[str, Any] = {"steps": args.steps, "pairs": rows, "recipe": RECIPE}
    if args.nanogpt:
        commit = subprocess.run(
            ["git", "-C", str(args.nanogpt), "rev-parse", "HEAD"], capture_output=True, text=True
        )
        report["nanogpt_commit"] = commit.stdout.strip() or "unknown"
        target_loss = TARGETS["val_loss"][0] if args.steps >= 1000 else TARGETS["val_loss"][1]
        ratios = {}
        for key, label, target, better in (
            ("tokens_per_s", "training tokens/s", TARGETS["tokens_per_s"], ">="),
            ("val_loss", "validation loss (full val stream)", target_loss, "<="),
            ("wall_s", "wall time of the whole command", TARGETS["wall"], "<="),
            ("peak_rss_gb", "peak RSS", TARGETS["peak_rss"], "<="),
        ):
            values = [row["zoo"][key] / row["nanogpt"][key] for row in rows]
            ratio = statistics.median(values)
            met = ratio >= target if better == ">=" else ratio <= target
            zoo_mean = statistics.mean(row["zoo"][key] for row in rows)
            nano_mean = statistics.mean(row["nanogpt"][key] for row in rows)
            ratios[key] = {
                "ratio": ratio,
                "all": values,
                "target": f"{better} {target}",
                "met": met,
                "zoo": zoo_mean,
                "nanogpt": nano_mean,
            }
            print(
                f"| {label} | {ratio:.3f} ({', '.join(f'{v:.3f}' for v in values)}) | {zoo_mean:.4g} vs "
                f"{nano_mean:.4g} | {better} {target} | {'yes' if met else 'no'} |"
            )
        report["ratios"] = ratios
        print(f"nanoGPT commit {report['nanogpt_commit']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
