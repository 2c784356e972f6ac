"""Run every experiment preset whose data is here and write docs/RESULTS.md: for each, the command,
the metric reached against the expected one, wall time, hardware and its plots; then the course's
claims, each with the experiment that shows it and the contrasting run (the other side of the
claim, e.g. the same net without a hidden layer); the course's written-out algorithms against the
library's own (seconds, measured at every run); each run's parameters and training speed.

    python scripts/reproduce.py                          # every preset whose data is present
    python scripts/reproduce.py --only xor_mlp,circles_mlp
    python scripts/reproduce.py --tiny                   # 1 epoch of 2 batches: a check that all runs
                                                         # (into runs/reproduce-tiny/, RESULTS.md too)
    python scripts/reproduce.py --weights                # and publish the trained weights (zoo.weights)

Presets whose dataset is not on disk (ZOO_OFFLINE=1 is set while checking, nothing is downloaded)
or that need a GPU when there is none are listed as skipped, with the reason. Runs are written to
runs/reproduce/<experiment>[_contrast]/ (git-ignored); their plots are copied next to the results
file, into docs/results/<experiment>[_contrast]/, which RESULTS.md links (so the links work on any
clone). With --only, the rows of the other experiments already in the results file are kept.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

try:
    import zoo  # noqa: F401
except ImportError:  # run from a checkout without installing: python scripts/reproduce.py
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zoo.errors import ZooError
from zoo.weights import WEIGHTS_DIR

TINY = ["trainer.max_epochs=1", "++trainer.limit_train_batches=2", "++trainer.limit_val_batches=2",
        "++trainer.limit_test_batches=2"]  # fmt: skip
QUIET = ["callbacks.progress=none", "logger=csv"]
RESULTS, RUNS = "docs/RESULTS.md", "runs/reproduce"
TINY_RUNS = "runs/reproduce-tiny"  # --tiny's runs and results: the measured ones stay untouched
MAX_SHIPPED_BYTES = 4_000_000  # trained weights ship inside the package up to this size (zoo.weights)
LOWER_IS_BETTER = ("loss", "ppl", "perplexity", "mse", "mae", "error")


def hardware() -> str:
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} (torch {torch.__version__})"
    return f"CPU, {os.cpu_count()} cores, {platform.machine()} (torch {torch.__version__})"


def compose_experiment(name: str, overrides: list[str], output_dir: Path) -> Any:
    from zoo.registry import compose

    return compose(
        "train",
        # each reproduction replaces the previous one in its folder (runs/reproduce/<preset>)
        [
            f"experiment={name}",
            *overrides,
            f"paths.output_dir={output_dir}",
            f"name={name}",
            "overwrite=true",
        ],
    )


def unavailable(cfg: Any) -> str | None:
    """Why this experiment cannot run here (its data is missing, it needs a GPU), or None."""
    import torch

    if cfg.trainer.get("accelerator") == "gpu" and not torch.cuda.is_available():
        return "needs a GPU"
    return data_missing(cfg)


def data_missing(cfg: Any) -> str | None:
    """Why the experiment's data is not on this machine (nothing is downloaded to find out), or None."""
    from zoo.data import build_datamodule
    from zoo.registry import plain

    previous = os.environ.get("ZOO_OFFLINE")
    os.environ["ZOO_OFFLINE"] = "1"  # check what is on disk; never download here
    try:
        build_datamodule(plain(cfg.data)).prepare_data()
    except ZooError as error:
        return f"data not present ({str(error)[:120]})"
    finally:
        if previous is None:
            os.environ.pop("ZOO_OFFLINE", None)
        else:
            os.environ["ZOO_OFFLINE"] = previous
    return None


def run(name: str, overrides: list[str], output_dir: Path) -> dict[str, Any]:
    """One training run in this process; a run that stops with a zoo error is a result too."""
    from zoo.commands.train import train

    started = time.time()
    try:
        summary = train(compose_experiment(name, overrides, output_dir))
    except ZooError as error:
        return {
            "status": f"stopped: {error}",
            "wall_time_s": round(time.time() - started, 1),
            "run_dir": output_dir,
        }
    return {**summary, "status": "ok", "run_dir": Path(summary["run_dir"])}


def reached(result: dict[str, Any], metric: str | None) -> float | None:
    """The run's value of `metric`: test/... from its test, train/... from its last epoch."""
    if not metric or result["status"] != "ok":
        return None
    return result.get("train" if metric.startswith("train/") else "test", {}).get(metric)


def meets(value: float | None, expected: dict[str, Any] | None) -> str:
    if value is None or not expected:
        return "-"
    lower = any(word in expected["metric"] for word in LOWER_IS_BETTER)
    good = value <= expected["value"] if lower else value >= expected["value"]
    return "yes" if good else "no"


def keep_plots(run_dir: Path, results_file: Path, name: str) -> list[Path]:
    """The run's plots (plots/*.png) copied into <results file's folder>/results/<name>/, replacing
    what an earlier run left there: the results file links these copies."""
    import shutil

    folder = results_file.parent / "results" / name
    shutil.rmtree(folder, ignore_errors=True)
    plots = sorted((run_dir / "plots").glob("*.png")) if run_dir.is_dir() else []
    if plots:
        folder.mkdir(parents=True)
    return [Path(shutil.copy2(plot, folder / plot.name)) for plot in plots]


def claim_plot(row: dict[str, Any], metric: str, results_file: Path) -> list[Path]:
    """Both runs' curves of a train/ or val/ metric on one plot (<results folder>/<experiment>/claim.png):
    the claim's own metric, or for a claim compared on test/X the validation curve val/X."""
    from zoo.viz.curves import compared_curves, epoch_values

    if not metric.startswith(("train/", "val/")) or not row.get("contrast"):
        return []
    contrast = " ".join(row["claim"].get("contrast") or [])
    runs = {
        row["name"]: epoch_values(Path(row["result"]["run_dir"]), metric),
        contrast: epoch_values(Path(row["contrast"]["result"]["run_dir"]), metric),
    }
    if not all(runs.values()):
        return []
    path = results_file.parent / "results" / row["name"] / "claim.png"
    return [compared_curves(runs, metric, path, title=row["claim"]["text"])]


def claim_values(result: dict[str, Any], metrics: list[str], width: int) -> str:
    """ "train/acc 1.0000, test/acc 0.7312" for a finished run, else its status."""
    values = [(metric, reached(result, metric)) for metric in metrics]
    if any(value is None for _, value in values):
        return result["status"][:width]
    return ", ".join(f"{metric} {value:.4f}" for metric, value in values)


def plot_links(plots: list[Path], results_file: Path) -> str:
    links = [f"[{p.stem}]({os.path.relpath(p, results_file.parent)})" for p in plots]
    return ", ".join(links) or "-"


def command_line(name: str, overrides: list[str]) -> str:
    return " ".join(["zoo train", f"experiment={name}", *overrides])


# The results file's tables, and which column of each names the experiment of a row
SECTIONS = {
    "## Experiments": 0,
    "## The course's claims": 1,
    "## Baselines": 0,
    "## Samples": 0,
    "## Re-evaluated": 0,
    "## Training speed": 0,
    "## Not run here": 0,
}


WRITTEN_HERE = (*SECTIONS, "## The course's algorithms, written out")


def other_sections(path: Path) -> list[str]:
    """The lines of the results file's sections this script does not write (measured by other
    scripts, e.g. scripts/bench_lm.py's "## Next to nanoGPT"), kept as they are."""
    if not path.is_file():
        return []
    kept: list[str] = []
    keeping = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            keeping = line not in WRITTEN_HERE
        if keeping:
            kept.append(line)
    return kept


def earlier_rows(path: Path, rerun: set[str]) -> dict[str, list[str]]:
    """{section: its rows} of an existing results file, for experiments not looked at again."""
    kept: dict[str, list[str]] = {section: [] for section in SECTIONS}
    if not path.is_file():
        return kept
    section = None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line if line in SECTIONS else None
        elif section and line.startswith("| ") and not line.startswith("|---"):
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            name = cells[SECTIONS[section]] if len(cells) > SECTIONS[section] else ""
            if name not in rerun and name not in ("experiment",) and cells[0] != "claim":
                kept[section].append(line)
    return kept


def ngram_baseline(cfg: Any, order: int) -> float:
    """Nats per token of an interpolated Kneser-Ney n-gram fitted on the data's training text and
    read over its test text, tokenized as the model's data is (zoo.course.ngram)."""
    from zoo.course.ngram import KneserNeyLM
    from zoo.data import build_datamodule
    from zoo.data.text import encode_lines
    from zoo.registry import plain

    datamodule = build_datamodule(plain(cfg.data))
    texts = datamodule.load_texts()
    datamodule.read_splits(("train",))
    tokenizer = datamodule.tokenizer
    texts["train"] = datamodule.trained_lines(texts["train"])  # the lines the net learns from
    train, test = (encode_lines(tokenizer, texts[split]).tolist() for split in ("train", "test"))
    return KneserNeyLM(order, tokenizer.get_vocab_size()).fit(train).cross_entropy(test)


def most_frequent_tag_baseline(cfg: Any) -> float:
    """Token accuracy on the test split of tagging each word with the tag it has most often in the
    training split, and a word training never saw with the most frequent tag overall."""
    from collections import Counter, defaultdict

    from zoo.data import build_datamodule
    from zoo.registry import plain

    datamodule = build_datamodule(plain(cfg.data))
    examples = datamodule.reader.examples(datamodule)
    seen: dict[str, Counter] = defaultdict(Counter)
    for words, tags in examples["train"]:
        for word, tag in zip(words, tags, strict=True):
            seen[word][tag] += 1
    overall = sum(seen.values(), Counter()).most_common(1)[0][0]
    best = {word: counts.most_common(1)[0][0] for word, counts in seen.items()}
    pairs = [
        (best.get(word, overall), tag)
        for words, tags in examples["test"]
        for word, tag in zip(words, tags, strict=True)
    ]
    return sum(guess == tag for guess, tag in pairs) / len(pairs)


def naive_bayes_baseline(cfg: Any) -> float:
    """Test accuracy of binarized multinomial naive Bayes over each text's words (Wang & Manning
    2012's MNB): log p(c) + sum over the distinct words w of the text of log p(w | c), where
    p(w | c) counts the training texts of class c holding w, add-one smoothed; words training never
    saw are left out. The bag-of-words anchor a sentence classifier should beat."""
    import math
    from collections import Counter

    from zoo.data import build_datamodule
    from zoo.registry import plain

    datamodule = build_datamodule(plain(cfg.data))
    examples = datamodule.reader.examples(datamodule)
    texts = Counter(label for _, label in examples["train"])
    holding: dict[Any, Counter] = {label: Counter() for label in texts}
    for words, label in examples["train"]:
        holding[label].update(set(words))
    vocabulary = set().union(*holding.values())
    prior = {label: math.log(count / len(examples["train"])) for label, count in texts.items()}
    total = {label: sum(counts.values()) + len(vocabulary) for label, counts in holding.items()}

    def score(label: Any, words: set[str]) -> float:  # log p(c) + sum of log p(w | c)
        return prior[label] + sum(math.log((holding[label][w] + 1) / total[label]) for w in words)

    def guess(words: list[str]) -> Any:
        known = set(words) & vocabulary
        return max(holding, key=lambda label: score(label, known))

    return sum(guess(words) == label for words, label in examples["test"]) / len(examples["test"])


def context_frequency_baseline(cfg: Any) -> float:
    """The negative-sampling loss on the test pairs of a model that ignores the centre word: each
    context word o gets the one score s_o that is best on the training pairs, σ(s_o) =
    p(o) / (p(o) + k q(o)) (p: o's share of the training contexts, add-one smoothed; q: the noise
    distribution; k noise words per pair), and the noise term is its expectation over q. What a
    skip-gram model's test loss shows beyond how often each word occurs."""
    import torch
    import torch.nn.functional as F

    from zoo.data import build_datamodule
    from zoo.registry import plain

    datamodule = build_datamodule(plain(cfg.data))
    datamodule.setup("fit")
    vocab, k, q = len(datamodule.noise), datamodule.negatives, datamodule.noise.double()
    contexts = torch.tensor([context for _, context in datamodule.datasets["train"]])
    p = (torch.bincount(contexts, minlength=vocab).double() + 1) / (len(contexts) + vocab)
    score = torch.log(p) - torch.log(k * q.clamp_min(1e-12))  # logit of p / (p + k q)
    test = torch.tensor([context for _, context in datamodule.datasets["test"]])
    noise_term = k * (q * -F.logsigmoid(-score)).sum()
    return float(-F.logsigmoid(score[test]).mean() + noise_term)


def copy_source_baseline(cfg: Any) -> float:
    """Test BLEU (the model's: zoo.tasks.seq2seq.TokenBLEU) of each source sentence given as its own
    translation, its words read by the target language's tokenizer: what names, numbers and
    punctuation shared by the two languages score with no translation at all."""
    import torch
    from torch.nn.utils.rnn import pad_sequence

    from zoo.data import build_datamodule
    from zoo.registry import plain
    from zoo.tasks.seq2seq import TokenBLEU
    from zoo.vocabulary import EOS, IGNORE, PAD

    datamodule = build_datamodule(plain(cfg.data))
    datamodule.setup("test")
    sources = [source for source, _ in datamodule.load_pairs()["test"]]
    encodings = datamodule.tgt_tokenizer.encode_batch(sources)
    copies = [torch.tensor([*encoding.ids, EOS]) for encoding in encodings]
    targets = [torch.tensor(target[1:]) for _, target in datamodule.datasets["test"]]  # after <bos>
    bleu = TokenBLEU()
    bleu.update(pad_sequence(copies, batch_first=True, padding_value=PAD),
                pad_sequence(targets, batch_first=True, padding_value=IGNORE))  # fmt: skip
    return float(bleu.compute())


def preset_baseline(cfg: Any, metric: str | None) -> dict[str, Any] | None:
    """The preset's `baseline:` on its test split, with the metric it is compared on: `ngram: N`
    (a Kneser-Ney N-gram, in the units of the preset's metric), `most_frequent_tag: true` (a
    tagger's test/acc from word-tag counts alone), `naive_bayes: true` (a text classifier's
    test/acc from a bag of words), `context_frequency: true` (skip-gram's
    test/loss without the centre word) or `copy_source: true` (a translation's test/bleu when the
    source is copied)."""
    from zoo.registry import plain

    baseline = plain(cfg.baseline) if cfg.get("baseline") else {}
    if baseline.get("ngram"):
        order = int(baseline["ngram"])
        value = in_units_of(metric, ngram_baseline(cfg, order))
        return {"name": f"Kneser-Ney {order}-gram", "value": value, "metric": metric}
    if baseline.get("most_frequent_tag"):
        value = most_frequent_tag_baseline(cfg)
        return {"name": "each word's most frequent training tag", "value": value, "metric": "test/acc"}
    if baseline.get("naive_bayes"):
        value = naive_bayes_baseline(cfg)
        return {"name": "naive Bayes over the words (binarized)", "value": value, "metric": "test/acc"}
    if baseline.get("context_frequency"):
        value = context_frequency_baseline(cfg)
        return {"name": "context-word frequency alone", "value": value, "metric": "test/loss"}
    if baseline.get("copy_source"):
        value = copy_source_baseline(cfg)
        return {"name": "the source copied", "value": value, "metric": "test/bleu"}
    return None


def optional_section(
    title: str, text: list[str], columns: list[str], rows: list[str], in_order: bool = False
) -> list[str]:
    """A results table with its heading and explanation, or nothing when it has no rows; its rows
    sorted (by experiment), or `in_order` as given."""
    if not rows:
        return []
    header = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return ["", title, "", *text, "", *header, *(rows if in_order else sorted(rows))]


def in_units_of(metric: str | None, nats: float) -> float:
    """A cross-entropy in nats per token as the preset's metric reports it: a perplexity is e^nats."""
    import math

    return math.exp(nats) if metric and metric.endswith("ppl") else nats


def write_results(
    path: Path,
    rows: list[dict[str, Any]],
    skipped: list[tuple[str, str]],
    tiny: bool,
    merge: bool = False,
    course: list[str] | None = None,
) -> None:
    """The results file: these rows, and with `merge` the rows of experiments not run this time;
    `course`: the rows of the course's written-out algorithms (course_algorithms)."""
    looked_at = {row["name"] for row in rows} | {name for name, _ in skipped}
    kept = earlier_rows(path, looked_at) if merge else {section: [] for section in SECTIONS}
    lines = [
        "# Results",
        "",
        f"Written by `python scripts/reproduce.py{' --tiny' if tiny else ''}`, last on "
        f"{time.strftime('%Y-%m-%d')}, hardware: {hardware()}. Wall times are this machine's.",
    ]
    if tiny:
        lines += [
            "",
            "**--tiny: one epoch of two batches per run - a check that everything runs, not results.**",
        ]
    lines += [
        "",
        "## Experiments",
        "",
        "| experiment | command | metric | reached | expected | met | wall time | plots |",
        "|---|---|---|---|---|---|---|---|",
    ]
    new_rows = []
    for row in rows:
        expected = row["expected"] or {}
        value = row["value"]
        shown = f"{value:.4f}" if value is not None else row["result"]["status"][:80]
        plots = keep_plots(Path(row["result"]["run_dir"]), path, row["name"])
        new_rows.append(
            f"| {row['name']} | `{row['command']}` | {expected.get('metric', '-')} | {shown} | "
            f"{expected.get('value', '-')} | {meets(value, expected)} | "
            f"{row['result']['wall_time_s']:.0f} s | {plot_links(plots, path)} |"
        )
    lines += sorted([*kept["## Experiments"], *new_rows])
    claims = [row for row in rows if row["claim"]]
    lines += [
        "",
        "## The course's claims",
        "",
        "| claim | experiment | its result | contrasting run | its result | its plots |",
        "|---|---|---|---|---|---|",
    ]
    claim_rows = []
    for row in claims:
        contrast = row.get("contrast")
        metrics = row["claim"].get("metric") or (row["expected"] or {}).get("metric")
        metrics = metrics if isinstance(metrics, list) else [metrics]  # e.g. [train/acc, test/acc]
        ours = claim_values(row["result"], metrics, 80)
        contrast_plots: list[Path] = []
        if contrast is None:
            theirs = "-"
        else:
            contrast_plots = keep_plots(Path(contrast["result"]["run_dir"]), path, f"{row['name']}_contrast")
            # the curves behind the claim: its train/ or val/ metric, else its test metric's val/ one
            curve = next(
                (m for m in metrics if m.startswith(("train/", "val/"))), "val/" + metrics[0].split("/")[-1]
            )
            contrast_plots = claim_plot(row, curve, path) + contrast_plots
            theirs = claim_values(contrast["result"], metrics, 100)
        claim_rows.append(
            f"| {row['claim']['text']} | {row['name']} | {ours} | "
            f"`{' '.join(row['claim'].get('contrast') or [])}` | {theirs} | "
            f"{plot_links(contrast_plots, path)} |"
        )
    lines += sorted([*kept["## The course's claims"], *claim_rows], key=lambda line: line.split(" | ")[1])
    baseline_rows = [
        f"| {row['name']} | {row['baseline']['metric']} | {value:.4f} | {row['baseline']['name']} | "
        f"{row['baseline']['value']:.4f} |"
        for row in rows
        if row.get("baseline") and (value := reached(row["result"], row["baseline"]["metric"])) is not None
    ]
    lines += optional_section(
        "## Baselines",
        [
            "The same test split read by a baseline that learns no parameters by gradient (`baseline:` in "
            "the preset): an n-gram, word-tag counts, context-word frequency, or the source copied."
        ],
        ["experiment", "metric", "reached", "baseline", "its value"],
        [*kept["## Baselines"], *baseline_rows],
    )
    sample_rows = [
        f"| {row['name']} | `{sample['prompt']}` | {sample['options']} | {markdown_cell(sample['output'])} |"
        for row in rows
        for sample in row.get("samples") or []
    ]
    lines += optional_section(
        "## Samples",
        ["What the best checkpoint answers (`sample:` in the preset): `zoo predict` with the same input",
         "and options (seed 0) gives the same. Line breaks are shown as ⏎."],
        ["experiment", "input", "options", "output"],
        [*kept["## Samples"], *sample_rows],
    )  # fmt: skip
    reevaluated_rows = [
        f"| {row['name']} | {options} | {(row['expected'] or {}).get('metric')} | "
        f"{row['value']:.4f} | {value:.4f} |"
        for row in rows
        if row["value"] is not None
        for options, value in row.get("reevaluated") or []
    ]
    lines += optional_section(
        "## Re-evaluated",
        ["The best checkpoint's test split again with other options (`reevaluate:` in the preset;",
         "`zoo eval ckpt_path=... <options>`), e.g. beam search instead of greedy decoding."],
        ["experiment", "options", "metric", "as trained", "re-evaluated"],
        [*kept["## Re-evaluated"], *reevaluated_rows],
    )  # fmt: skip
    lines += optional_section(
        "## The course's algorithms, written out",
        ["Each against the library's own implementation (`zoo.course.agreement`), measured at every run",
         "of this script (seconds)."],
        ["algorithm", "checked against", "measured", "plot"],
        course or [],
        in_order=True,
    )  # fmt: skip
    speed_rows = [speed_row(row["name"], row["result"]) for row in rows if row["result"].get("train_speed")]
    lines += optional_section(
        "## Training speed",
        ["Parameters, optimizer steps, and the time in training steps with their batches' loading",
         "(not validation, checkpoints or plots) with the examples and real tokens (not padding)",
         "read per second in it: `train_speed` in the run's summary.json."],
        ["experiment", "parameters", "steps", "training time", "examples/s", "tokens/s"],
        [*kept["## Training speed"], *speed_rows],
    )  # fmt: skip
    if skipped or kept["## Not run here"]:
        lines += ["", "## Not run here", "", "| experiment | why |", "|---|---|"]
        lines += sorted([*kept["## Not run here"], *(f"| {name} | {why} |" for name, why in skipped)])
    others = other_sections(path)
    if others:
        lines += ["", *others]
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.part")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def publish_weights(name: str, checkpoint: str, metric: str, value: float, weights_dir: Path) -> str:
    """Export a preset's best checkpoint as its trained weights (zoo.weights): into
    <weights_dir>/<name>/ when the safetensors file is at most MAX_SHIPPED_BYTES, and its manifest
    entry (model, data, metric, zoo version, sha256 of each file; a `url` to fill when published
    for larger ones). Then re-checked: the weights are loaded by name, sha256 and all, and `zoo eval`
    on them must give the run's test metric again. Returns what happened, for the log."""
    import json
    import shutil
    import tempfile

    import zoo
    from zoo.commands.evaluate import evaluate
    from zoo.commands.export import export
    from zoo.registry import compose
    from zoo.weights import FILES, sha256

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / name
        export(
            compose("export", [f"ckpt_path={checkpoint}", f"output={folder}", f"paths.output_dir={scratch}"])
        )
        choices = compose("train", [f"experiment={name}"], return_hydra_config=True).hydra.runtime.choices
        entry = {
            "model": choices.model,
            "data": choices.data,
            "metric": metric,
            "value": round(value, 4),
            "zoo_version": zoo.__version__,
            "files": {file: sha256(folder / file) for file in FILES},
            "bytes": sum((folder / file).stat().st_size for file in FILES),
            "url": None,
        }
        shipped = entry["bytes"] <= MAX_SHIPPED_BYTES
        target = weights_dir / name
        if shipped:
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(folder, target)
    manifest_path = weights_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    manifest[name] = {**manifest.get(name, {}), **entry, "url": manifest.get(name, {}).get("url")}
    temporary = manifest_path.with_name(".manifest.json.part")
    temporary.write_text(json.dumps(dict(sorted(manifest.items())), indent=2) + "\n")
    os.replace(temporary, manifest_path)
    if not shipped:
        limit = f"{MAX_SHIPPED_BYTES / 1e6:.0f} MB"
        return f"{name}: {entry['bytes'] / 1e6:.1f} MB, over the {limit} shipped; manifest only"
    again = evaluate(compose("eval", [f"ckpt_path={name}", f"paths.output_dir={scratch_dir(name)}"]))[metric]
    if abs(again - value) > 1e-4:
        raise ZooError(f"the published weights of {name} give {metric} {again:.4f}, the run gave {value:.4f}")
    return f"{name}: {entry['bytes'] / 1e6:.2f} MB shipped, {metric} {again:.4f} again from the shipped files"


def scratch_dir(name: str) -> str:
    import tempfile

    return str(Path(tempfile.gettempdir()) / f"zoo-weights-check-{name}")


def course_algorithms(results_file: Path, tiny: bool) -> list[str]:
    """The course section's rows: each written-out algorithm of zoo.course against the library's
    own (zoo.course.agreement), measured now; the XOR curves plotted into results/course/."""
    from zoo.course.agreement import (
        backprop_gap,
        gradient_check_error,
        optimizer_gaps,
        random_expressions_gap,
        xor_agreement,
    )
    from zoo.viz.curves import compared_curves

    expressions, steps, mlp = (50, 200, [8]) if tiny else (1000, 2000, [32, 16])
    shape = "-".join(str(size) for size in [64, *mlp, 10])
    xor = xor_agreement(steps=steps)
    plot = compared_curves(
        {
            "zoo.course.autodiff": list(enumerate(xor["losses"], 1)),
            "torch.autograd": list(enumerate(xor["torch_losses"], 1)),
        },
        "binary cross-entropy loss",
        results_file.parent / "results" / "course" / "xor_autodiff.png",
        title="XOR 2-2-1 by gradient descent, from the same initial weights",
        x_label="step",
    )
    gaps = optimizer_gaps()
    return [
        f"| reverse-mode autodiff (`zoo.course.autodiff`) | torch.autograd: the value and every input's "
        f"gradient of {expressions:,} random expressions of 1-8 operations, float64 | largest difference "
        f"{random_expressions_gap(expressions):.1e} (relative to max(1, \\|torch's\\|)) | - |",
        f"| XOR network (2-2-1, tanh, sigmoid output) trained by that autodiff, {steps:,} steps of gradient "
        f"descent at 0.5 | torch.autograd from the same initial weights | final loss "
        f"{xor['losses'][-1]:.4f}, {xor['correct']}/4 points right; largest loss difference over all "
        f"steps {xor['largest_gap']:.1e} | "
        f"{plot_links([plot], results_file)} |",
        f"| backprop by its equations (`zoo.course.backprop`), MLP {shape} (tanh) on 256 digit images | "
        f"torch.autograd | largest difference {backprop_gap(mlp):.1e} of the largest gradient | - |",
        f"| gradient checking (`zoo.course.gradcheck`), 100 weights of that MLP | central differences "
        f"(ε = 1e-4) against the written-out gradients | worst relative error "
        f"{gradient_check_error(mlp):.1e}; with the first layer's gradient 30% off: "
        f"{gradient_check_error(mlp, first_layer_off_by=1.3):.2f} | - |",
        "| SGD, momentum, RMSprop, Adam from their update rules (`zoo.course.optimizers`) | torch.optim, "
        "100 steps on an ill-conditioned quadratic (float64) | largest weight difference: "
        + ", ".join(f"{name} {gap:.1e}" for name, gap in gaps.items())
        + " | - |",
    ]


def speed_row(name: str, summary: dict[str, Any]) -> str:
    speed = summary["train_speed"]
    tokens = f"{speed['tokens_per_s']:,.0f}" if speed.get("tokens_per_s") else "-"
    examples = f"{speed['examples_per_s']:,.0f}" if speed.get("examples_per_s") else "-"
    return (
        f"| {name} | {summary['parameters']:,} | {summary['global_step']:,} | {speed['seconds']:.0f} s | "
        f"{examples} | {tokens} |"
    )


def markdown_cell(text: str) -> str:
    """Text as one table cell: line breaks as ⏎, pipes escaped."""
    return text.replace("|", "\\|").replace("\r", "").replace("\n", " ⏎ ")


def generated_samples(checkpoint: str, sample: dict[str, Any]) -> list[dict[str, Any]]:
    """The checkpoint's answers to the preset's `sample:` inputs (`input`: one or a list), with
    its other keys as predict options (seed 0): a language model's continuation, a translation,
    a word's nearest neighbours or an analogy's answer."""
    import zoo
    from zoo.tasks.inference.tag import entities_text

    options = {"seed": 0, **{key: value for key, value in sample.items() if key != "input"}}
    inputs = sample["input"] if isinstance(sample["input"], list) else [sample["input"]]
    predictor = zoo.load(checkpoint)
    samples = []
    for text in inputs:
        (result,) = predictor.predict(str(text), **options)
        if "generated" in result:
            output = result["generated"]
        elif "translation" in result:
            output = result["translation"]
        elif "entities" in result:
            output = entities_text(result["entities"])
        else:
            output = ", ".join(f"{word} ({score:.2f})" for word, score in result["nearest"])
        shown = ", ".join(f"{key}={value}" for key, value in options.items() if key != "seed")
        samples.append({"prompt": text, "options": shown or "-", "output": output})
    return samples


def reevaluated(
    checkpoint: str, options: list[dict[str, Any]], metric: str | None, output_dir: Path
) -> list[tuple[str, float]]:
    """(options as `key=value ...`, the metric) for each set of `zoo eval` options."""
    from zoo.commands.evaluate import evaluate
    from zoo.registry import compose

    results = []
    for option in options:
        overrides = [f"{key}={value}" for key, value in option.items()]
        cfg = compose("eval", [f"ckpt_path={checkpoint}", f"paths.output_dir={output_dir}", *overrides])
        results.append((" ".join(overrides), evaluate(cfg)[metric]))
    return results


def ordered(names: list[str], configs: dict[str, Any]) -> list[str]:
    """An experiment after the one whose checkpoint it needs."""
    result: list[str] = []
    for name in names:
        needs = (configs[name].claim or {}).get("needs")
        if needs and needs in names and needs not in result:
            result.append(needs)
        if name not in result:
            result.append(name)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated experiment names (default: all)")
    parser.add_argument("--tiny", action="store_true", help="one epoch of two batches per run")
    parser.add_argument(
        "--output",
        help=f"the results file (default: {RESULTS}; with --tiny {TINY_RUNS}/RESULTS.md, so a check never"
        " overwrites the measured results)",
    )
    parser.add_argument(
        "--runs", help=f"where the runs go (default: {RUNS}; with --tiny {TINY_RUNS}, beside the real runs)"
    )
    parser.add_argument(
        "--weights",
        action="store_true",
        help="publish the trained weights of each run that meets its target into zoo/weights/",
    )
    args = parser.parse_args(argv)
    args.runs = args.runs or (TINY_RUNS if args.tiny else RUNS)
    args.output = args.output or (f"{TINY_RUNS}/RESULTS.md" if args.tiny else RESULTS)

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from zoo.registry import options, plain

    known = list(options("experiment"))
    names = args.only.split(",") if args.only else known
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"reproduce: unknown experiment {unknown[0]!r}; valid: {', '.join(known)}", file=sys.stderr)
        return 2
    runs = Path(args.runs)
    configs = {name: compose_experiment(name, [], runs / name) for name in names}
    for name in list(configs):  # and the experiments they need a checkpoint of
        needs = (configs[name].claim or {}).get("needs")
        if needs and needs not in configs:
            names.append(needs)
            configs[needs] = compose_experiment(needs, [], runs / needs)
    extra = [*QUIET, *(TINY if args.tiny else [])]
    skipped = [(name, why) for name in names if (why := unavailable(configs[name]))]
    todo = ordered([name for name in names if name not in dict(skipped)], configs)
    rows: list[dict[str, Any]] = []
    best: dict[str, str] = {}  # experiment -> its best checkpoint (for `needs`)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns) as progress:
        bar = progress.add_task("experiments", total=len(todo))
        for name in todo:
            progress.update(bar, description=f"{name}")
            cfg = configs[name]
            claim = plain(cfg.claim) if cfg.claim else None
            overrides = list(extra)
            if claim and claim.get("needs"):
                if claim["needs"] not in best:
                    skipped.append((name, f"needs a checkpoint of {claim['needs']}, which did not run"))
                    progress.advance(bar)
                    continue
                overrides.append(f"model.pretrained={os.path.relpath(best[claim['needs']])}")
            metric = (plain(cfg.expected) or {}).get("metric") if cfg.expected else None
            result = run(name, overrides, runs / name)
            if result["status"] == "ok" and result.get("best_checkpoint"):
                best[name] = result["best_checkpoint"]
            row = {
                "name": name,
                "command": command_line(name, [o for o in overrides if o not in extra]),
                "expected": plain(cfg.expected) if cfg.expected else None,
                "claim": claim,
                "result": result,
                "value": reached(result, metric),
            }
            if claim and claim.get("contrast"):
                contrast = run(name, [*extra, *claim["contrast"]], runs / f"{name}_contrast")
                row["contrast"] = {"result": contrast, "value": reached(contrast, metric)}
            if not args.tiny:
                row["baseline"] = preset_baseline(cfg, metric)
            if cfg.get("sample") and name in best:
                row["samples"] = generated_samples(best[name], plain(cfg.sample))
            if cfg.get("reevaluate") and name in best:
                row["reevaluated"] = reevaluated(best[name], plain(cfg.reevaluate), metric, runs / name)
            if (
                args.weights
                and not args.tiny
                and name in best
                and meets(row["value"], row["expected"]) == "yes"
            ):
                print(publish_weights(name, best[name], metric, row["value"], WEIGHTS_DIR))
            rows.append(row)
            progress.advance(bar)
    course = course_algorithms(Path(args.output), args.tiny)
    write_results(Path(args.output), rows, skipped, args.tiny, merge=bool(args.only), course=course)
    print(f"{len(rows)} experiments run, {len(skipped)} skipped; results written to {args.output}")
    return 0


def stopped_cleanly(argv: list[str] | None = None) -> int:
    """main(), with a stop by signal said in two lines as `zoo train` says it, not a traceback (the
    results file is written once every run has ended, so it is left as it was)."""
    from zoo.errors import Interrupted

    try:
        return main(argv)
    except Interrupted as stop:
        print(f"reproduce: stopped by {stop}; the results file was not written", file=sys.stderr)
        print("run it again: the stopped run starts over in its folder", file=sys.stderr)
        return 128 + stop.signum


if __name__ == "__main__":
    sys.exit(stopped_cleanly())
