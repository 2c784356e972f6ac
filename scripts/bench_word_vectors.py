"""The zoo's skip-gram next to gensim's Word2Vec: the same text (the whole Brown corpus, tokenized
by the zoo's tokenizer), the same settings (dimension, window, noise words, subsampling threshold,
epochs, vocabulary), both sets of vectors scored by the same functions on WordSim353, SimLex-999
and Mikolov's analogies (zoo.tasks.word_vector_scores), and their training words per second.
gensim's own evaluators score its vectors too, a check of the zoo's scorer from outside.

    pip install gensim                          # only for this comparison (not a zoo dependency)
    python scripts/bench_word_vectors.py        # trains experiment=skipgram_brown, then gensim

Differences that remain: gensim shrinks each window at random (uniformly 1..window, so near words
count more) and keeps a word with probability (√(f/t) + 1)·t/f; the zoo uses the whole window and
min(1, √(t/f)); gensim updates by plain SGD with a decaying rate, the zoo by Adam in batches.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
try:
    import zoo
except ImportError:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))
    import zoo

PRESET = "skipgram_brown"


def zoo_run(overrides: list[str], folder: Path) -> tuple[dict[str, Any], Any]:
    """Train the preset; its summary and its data module (tokenizer, text, test sets)."""
    from zoo.data import build_datamodule
    from zoo.registry import compose, plain

    started = time.time()
    summary = zoo.train(PRESET, overrides, output_dir=folder)
    summary["bench_wall_s"] = time.time() - started
    data = build_datamodule(plain(compose("train", [f"experiment={PRESET}", *overrides]).data))
    data.setup("fit")
    return summary, data


def zoo_vectors(checkpoint: str) -> Any:
    import torch

    state = torch.load(checkpoint, map_location="cpu", weights_only=True)["state_dict"]
    return state["net.input_vectors.weight"].float().numpy()


def training_sentences(data: Any) -> list[list[str]]:
    """The text the zoo's vectors learnt from, as the tokenizer's tokens (lowercased words and marks)."""
    lines = data.sentences()
    return [
        encoding.tokens
        for split in data.train_on
        for encoding in data.tokenizer.encode_batch(lines[split])
        if encoding.tokens
    ]


def gensim_run(sentences: list[list[str]], settings: dict[str, Any], workers: int) -> tuple[Any, float]:
    from gensim.models import Word2Vec

    started = time.time()
    model = Word2Vec(
        sentences,
        sg=1,
        vector_size=settings["dim"],
        window=settings["window"],
        negative=settings["negatives"],
        sample=settings["subsample"],
        epochs=settings["epochs"],
        min_count=1,
        max_final_vocab=settings["vocab"],
        workers=workers,
        seed=0,
    )
    return model, time.time() - started


def scores(vectors: Any, index: dict[str, int], data: Any) -> dict[str, float]:
    from zoo.tasks.word_vector_scores import word_vector_scores

    normalize = data.tokenizer.normalizer.normalize_str
    return word_vector_scores(vectors, index, data.similarity_sets, data.analogies, normalize)


def gensim_own_scores(model: Any, folder: Path) -> dict[str, float]:
    """gensim's evaluators on its vectors (Spearman over pairs in vocabulary; analogies over the
    questions in vocabulary, case-insensitive): the outside check of the zoo's scorer."""
    result = {}
    for name, file in (("wordsim353", "wordsim353.tsv"), ("simlex999", "simlex999.txt")):
        _, spearman, _ = model.wv.evaluate_word_pairs(str(folder / file), case_insensitive=True)
        result[name] = float(spearman.statistic if hasattr(spearman, "statistic") else spearman[0])
    accuracy, _ = model.wv.evaluate_word_analogies(str(folder / "questions-words.txt"), restrict_vocab=10**9)
    result["analogy"] = float(accuracy)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--workers", type=int, default=2, help="gensim's threads (the zoo trains on all cores)"
    )
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "bench_word_vectors")
    parser.add_argument("--json", type=Path, help="write the measurements here too")
    parser.add_argument(
        "overrides", nargs="*", help="more overrides of the preset (e.g. trainer.max_epochs=1)"
    )
    args = parser.parse_args(argv)
    try:
        import gensim  # noqa: F401
    except ImportError:
        sys.exit("bench_word_vectors: needs gensim (pip install gensim), the reference implementation")

    overrides = [
        f"trainer.max_epochs={args.epochs}",
        "callbacks.progress=plain",
        "logger=csv",
        *args.overrides,
    ]
    summary, data = zoo_run(overrides, args.work / "zoo")
    sentences = training_sentences(data)
    words = sum(map(len, sentences))
    settings = {"dim": 100, "window": data.window, "negatives": data.negatives, "subsample": data.subsample,
                "epochs": args.epochs, "vocab": data.tokenizer.get_vocab_size()}  # fmt: skip
    model, gensim_seconds = gensim_run(sentences, settings, args.workers)

    zoo_index = {w: i for w, i in data.tokenizer.get_vocab().items() if not w.startswith("<")}
    gensim_index = {w: i for i, w in enumerate(model.wv.index_to_key)}
    from zoo.data.packages import packaged_folder

    report = {
        "settings": settings,
        "training_words": words,
        "zoo": {
            **scores(zoo_vectors(summary["best_checkpoint"]), zoo_index, data),
            "seconds": summary["wall_time_s"],
            "words_per_s": words * args.epochs / summary["wall_time_s"],
            "vocabulary": len(zoo_index),
        },  # fmt: skip
        "gensim": {
            **scores(model.wv.vectors, gensim_index, data),
            "seconds": gensim_seconds,
            "words_per_s": words * args.epochs / gensim_seconds,
            "vocabulary": len(gensim_index),
            "own_evaluators": gensim_own_scores(
                model, packaged_folder("word_vector_tests", data.data_dir, False)
            ),
            "version": gensim.__version__,
        },  # fmt: skip
    }
    for key in ("wordsim353", "simlex999", "analogy"):
        z, g = report["zoo"][key], report["gensim"][key]
        coverage = report["zoo"][key + "_coverage"], report["gensim"][key + "_coverage"]
        own = report["gensim"]["own_evaluators"][key]
        print(f"| {key} | {z:.3f} ({coverage[0]:.0%}) | {g:.3f} ({coverage[1]:.0%}) | {own:.3f} |")
    print(f"| words/s | {report['zoo']['words_per_s']:,.0f} | {report['gensim']['words_per_s']:,.0f} | |")
    vectors_file = args.work / "zoo_vectors.txt"  # GloVe's text format: model.embeddings=<this file>
    write_vectors(vectors_file, zoo_vectors(summary["best_checkpoint"]), zoo_index)
    print(f"the zoo's vectors: {vectors_file}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, default=str))
    return 0


def write_vectors(path: Path, vectors: Any, index: dict[str, int]) -> None:
    """One line per word: the word, then its vector's numbers (GloVe's text format)."""
    with path.open("w", encoding="utf-8") as file:
        for word, row in sorted(index.items(), key=lambda item: item[1]):
            file.write(word + " " + " ".join(f"{value:.5f}" for value in vectors[row]) + "\n")


if __name__ == "__main__":
    sys.exit(main())
