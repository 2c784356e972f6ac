"""BLEU by source length of several trained translation models on one plot: each checkpoint's
greedy translations of its validation split, sorted by source length and cut into the same six
buckets (zoo.tasks.seq2seq.bleu_by_source_length, the curve each run draws alone in
plots/bleu_by_length.png). Where a fixed context vector runs out of room, attention does not.

    python scripts/bleu_by_length.py runs/a/checkpoints/best.ckpt=attention \\
        runs/b/checkpoints/best.ckpt="fixed context" --output by_length.png
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

try:
    import zoo  # noqa: F401
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from zoo.checkpoint import restore
from zoo.errors import ZooError
from zoo.tasks.seq2seq import bleu_by_source_length
from zoo.viz.evaluation import score_by_length


def curves(checkpoints: dict[str, str]) -> tuple[list[str], dict[str, list[float]]]:
    """(the bucket labels, {name: BLEU per bucket}); every model must cut the same buckets."""
    labels: list[str] | None = None
    scores = {}
    for name, path in checkpoints.items():
        model, datamodule, _ = restore(path)
        datamodule.setup("validate")
        buckets, scores[name] = bleu_by_source_length(model, datamodule)
        if labels is not None and buckets != labels:
            raise ZooError(f"{path}: its validation split is cut into {buckets}, not {labels}")
        labels = buckets
    return labels or [], scores


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoints", nargs="+", help="CHECKPOINT=name (the legend's name)")
    parser.add_argument("--output", required=True, help="the plot's file (.png)")
    parser.add_argument("--title", default="greedy translations of the validation split")
    args = parser.parse_args(argv)
    checkpoints = {}
    for item in args.checkpoints:
        path, _, name = item.partition("=")
        checkpoints[name or path] = path
    labels, scores = curves(checkpoints)
    for name, values in scores.items():
        buckets = zip(labels, values, strict=True)
        print(f"{name}: " + ", ".join(f"{label} {value:.3f}" for label, value in buckets))
    print(score_by_length(labels, scores, "BLEU", args.output, title=args.title))
    return 0


if __name__ == "__main__":
    sys.exit(main())
