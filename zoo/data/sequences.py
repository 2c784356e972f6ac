"""Labelled token sequences: a label per sequence (sentiment) or a tag per token (part of speech,
named entities, and the copy task's recalls), in padded batches (tokens, lengths, targets).

Where the sequences come from: zoo.data.sources (one class per `data.source`), reading the upstream
formats with zoo.data.corpus_readers. The skip-gram pairs are zoo.data.skipgram (re-exported here:
checkpoints written before the split name `zoo.data.sequences.SkipGramDataModule`).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer

from zoo.data.base import TensorDataModule
from zoo.data.downloads import fetch
from zoo.data.skipgram import SkipGramDataModule  # noqa: F401  (the class path older checkpoints name)
from zoo.data.sources import build_source
from zoo.data.text import train_tokenizer
from zoo.errors import ZooError
from zoo.vocabulary import IGNORE

UNKNOWN_SHAPES = ("<unk:Xx>", "<unk:XX>", "<unk:x>", "<unk:0>", "<unk:.>")


def word_shape(word: str) -> str:
    """The unknown-word token of a word's shape: capitalised, all capitals, lower case, with a
    digit, or anything else (punctuation, mixed)."""
    if any(character.isdigit() for character in word):
        return "<unk:0>"
    if word.isupper():
        return "<unk:XX>"
    if word[:1].isupper():
        return "<unk:Xx>"
    return "<unk:x>" if word.islower() else "<unk:.>"


def word_bytes(word: str, width: int) -> list[int]:
    """The first `width` UTF-8 bytes of a word, each + 1, padded with 0 to `width`."""
    values = [byte + 1 for byte in word.encode("utf-8")[:width]]
    return values + [0] * (width - len(values))


class SequenceDataModule(TensorDataModule):
    """Padded batches of (tokens, lengths, targets) from a SequenceSource, with a tokenizer
    trained on the training split (or restored from a checkpoint). `source_options` are the
    source's own (e.g. num_sentences for grammar, copy_lag for copy). For tagging,
    `min_frequency` leaves rarer training words out of the vocabulary and `unknown_shapes` maps
    each word outside it to the <unk> of its shape (word_shape), so the tagger learns what an
    unseen capitalised word is from the rare ones (the word-shape features of NER taggers), and
    `characters` = C gives each word's first C UTF-8 bytes beside its id: tokens (B, T, 1 + C),
    the word id then its bytes + 1 (0 pads), for a tagger that reads spelling (char_filters)."""

    def __init__(
        self,
        source: str = "grammar",
        target: str = "tags",
        tags: list[str] | None = None,
        num_classes: int | None = None,
        class_names: list[str] | None = None,
        batch_size: int = 32,
        seed: int = 0,
        vocab_size: int = 20000,
        data_dir: str = "data",
        download: bool = True,
        max_length: int | None = None,
        tokenizer: str = "word",
        labelled: int | None = None,
        min_frequency: int = 0,
        unknown_shapes: bool = False,
        characters: int = 0,
        **source_options: Any,
    ):
        super().__init__(batch_size, seed)
        if target not in ("tags", "label"):
            raise ValueError(f"target must be 'tags' or 'label', got {target!r}")
        self.source, self.reader = source, build_source(source, source_options)
        self.target, self.tags, self.num_classes = target, list(tags or []), num_classes
        self.class_names = list(class_names or [])
        self.vocab_size = vocab_size
        self.data_dir, self.download, self.max_length = Path(data_dir), download, max_length
        if tokenizer != "word" and target == "tags":
            raise ValueError("tags need one token per word: data.tokenizer must be 'word' for tagging")
        if labelled is not None and labelled < 1:
            raise ValueError(f"data.labelled must be a positive number of training examples, got {labelled}")
        if unknown_shapes and target != "tags":
            raise ValueError("data.unknown_shapes is for tagging (a word per token)")
        if characters < 0 or (characters and target != "tags"):
            raise ValueError(f"data.characters is a number of bytes per word, for tagging; got {characters}")
        self.tokenizer_kind, self.labelled = tokenizer, labelled
        self.min_frequency, self.unknown_shapes, self.characters = min_frequency, unknown_shapes, characters
        self.tokenizer: Tokenizer | None = None
        self.collate_fn = self.collate  # datasets: lists of (token ids, target), padded per batch

    # --- files -----------------------------------------------------------------------------------
    def local(self, relative: str) -> Path:
        path = self.data_dir / relative
        if not path.exists():
            raise ZooError(
                f"{path} is missing: download the {self.source} dataset and put it there (see data/README.md)"
            )
        return path

    def unpack(self, url: str, folder: str) -> Path:
        """<data_dir>/<folder>: the archive at `url` downloaded and unpacked there if missing."""
        if (self.data_dir / folder).is_dir():
            return self.data_dir / folder
        archive = self.fetch(url, Path(url).name)
        try:
            shutil.unpack_archive(archive, self.data_dir)
        except (shutil.ReadError, OSError, EOFError) as error:
            raise ZooError(f"cannot unpack {archive} ({error}); delete it and try again") from None
        return self.data_dir / folder

    def fetch(self, url: str, name: str) -> Path:
        return fetch(url, self.data_dir / self.source / name, self.download)

    # --- Lightning -------------------------------------------------------------------------------
    def prepare_data(self) -> None:
        """Download a missing dataset (once per machine, before the processes of a DDP run read
        it), or fail in one line when it is missing and downloading is off."""
        self.reader.files(self)

    def setup(self, stage: str | None = None) -> None:
        if self.datasets:
            return
        examples = self.reader.examples(self)
        if self.tokenizer is None:
            texts = [" ".join(words) for words, _ in examples["train"]]
            shapes = UNKNOWN_SHAPES if self.unknown_shapes else ()
            self.tokenizer = train_tokenizer(
                self.tokenizer_kind, texts, self.vocab_size, self.min_frequency, shapes
            )
        if self.target == "tags" and not self.tags:
            self.tags = sorted({tag for _, tags in examples["train"] for tag in tags if tag is not None})
        examples["train"] = examples["train"][: self.labelled]  # the tokenizer saw all of the text
        for split, items in examples.items():
            self.datasets[split] = [self.encode(words, target) for words, target in items]

    def found_facts(self) -> dict[str, Any]:
        """What the training split says (zoo.run.facts_found): its tags or classes."""
        self.prepare_data()
        self.setup("fit")
        if self.target == "tags":
            return {"tags": list(self.tags)}
        return {"num_classes": len(self.class_names) or None, "class_names": list(self.class_names) or None}

    def encode(self, words: list[str], target: Any) -> tuple[list[int], Any]:
        if self.target == "label":  # the tokenizer may split words into pieces
            return self.tokenizer.encode(" ".join(words)).ids[: self.max_length], int(target)
        words = words[: self.max_length]
        ids: list[Any] = [self.word_id(word) for word in words]
        if self.characters:  # each word: its id, then its bytes
            ids = [
                [word_id, *word_bytes(word, self.characters)]
                for word_id, word in zip(ids, words, strict=True)
            ]
        index = {tag: i for i, tag in enumerate(self.tags)}
        unknown = {tag for tag in target if tag is not None and tag not in index}
        if unknown:
            raise ZooError(f"tags {sorted(unknown)} are not in data.tags {self.tags}")
        return ids, [IGNORE if tag is None else index[tag] for tag in target][: self.max_length]

    def word_id(self, word: str) -> int:
        """The word's id; a word outside the vocabulary is <unk> (1), or with unknown_shapes the
        <unk> of its shape (a capitalised unknown word is likely a name)."""
        found = self.tokenizer.token_to_id(word)
        if found is not None:
            return found
        return (self.unknown_shapes and self.tokenizer.token_to_id(word_shape(word))) or 1

    def collate(self, batch: list[tuple[list[int], Any]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        lengths = torch.tensor([max(len(ids), 1) for ids, _ in batch])
        per_word = [1 + self.characters] if self.characters else []  # the word id, then its bytes
        tokens = torch.zeros(len(batch), int(lengths.max()), *per_word, dtype=torch.long)
        for row, (ids, _) in enumerate(batch):
            tokens[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        if self.target == "label":
            return tokens, lengths, torch.tensor([label for _, label in batch])
        targets = torch.full(tokens.shape[:2], IGNORE, dtype=torch.long)
        for row, (_, tags) in enumerate(batch):
            targets[row, : len(tags)] = torch.tensor(tags, dtype=torch.long)
        return tokens, lengths, targets

    def state_dict(self) -> dict[str, Any]:
        return {
            "tokenizer": self.tokenizer.to_str() if self.tokenizer else None,
            "tags": self.tags,
            "class_names": self.class_names,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("tokenizer"):
            self.tokenizer = Tokenizer.from_str(state["tokenizer"])
        self.tags = list(state.get("tags") or self.tags)
        self.class_names = list(state.get("class_names") or self.class_names)
