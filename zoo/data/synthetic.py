"""Random data in a real dataset's shape, for measuring speed (scripts/bench.py, or
`zoo train data=synthetic_images` / `data=synthetic_tokens`): nothing to download, and the data
goes through the same pipeline as the real dataset of that shape (the image module's uint8
batches, normalised on the device and held there on a GPU; the language model's BPTT windows).
A model learns nothing from it but the class or token frequencies."""

from __future__ import annotations

import torch
from tokenizers import Tokenizer, models, pre_tokenizers

from zoo.data.images import ImageDataModule
from zoo.data.text import BPTTWindows, LanguageModelDataModule
from zoo.vocabulary import SPECIAL_TOKENS


class SyntheticImages(ImageDataModule):
    """`num_examples` random uint8 images of `input_shape` (C, H, W) per training split (an eighth
    of that for val and test), labels uniform over `num_classes`."""

    def __init__(
        self,
        input_shape: list[int] | None = None,
        num_classes: int = 10,
        num_examples: int = 50000,
        **options,
    ):
        shape = list(input_shape or [3, 32, 32])
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(f"data.input_shape must be [channels, height, width], got {shape}")
        if num_examples < 1 or num_classes < 2:
            raise ValueError("data.num_examples must be positive and data.num_classes at least 2")
        super().__init__(num_classes=num_classes, input_shape=shape, **options)
        self.num_examples = num_examples
        self.class_names = [str(i) for i in range(num_classes)]
        self.mean, self.std = [0.5] * shape[0], [0.29] * shape[0]  # uniform 0..255: mean ½, std ≈ 0.29

    def load_splits(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        generator = torch.Generator().manual_seed(self.seed)
        sizes = {"train": self.num_examples, "val": max(1, self.num_examples // 8)}
        sizes["test"] = sizes["val"]
        return {
            split: (
                torch.randint(0, 256, (n, *self.expected_shape), dtype=torch.uint8, generator=generator),
                torch.randint(0, self.num_classes, (n,), generator=generator),
            )
            for split, n in sizes.items()
        }


class SyntheticTokens(LanguageModelDataModule):
    """A stream of `num_tokens` ids drawn uniformly from a vocabulary of exactly `vocab_size`
    (the four special tokens and the words w4, w5, ...), cut into (batch_size, bptt) windows; val
    and test streams are a tenth as long."""

    def __init__(self, vocab_size: int = 33278, num_tokens: int = 200_000, **options):
        if vocab_size <= len(SPECIAL_TOKENS) or num_tokens < 1:
            raise ValueError(
                "data.vocab_size must exceed the 4 special tokens and data.num_tokens be positive"
            )
        super().__init__(vocab_size=vocab_size, **options)
        self.num_tokens = num_tokens

    def read_splits(self, splits: tuple[str, ...]) -> None:
        """All three streams at once (they cost nothing to draw), whatever is asked."""
        if self.datasets:
            return
        vocab = {token: i for i, token in enumerate(SPECIAL_TOKENS)}
        vocab.update({f"w{i}": i for i in range(len(SPECIAL_TOKENS), self.vocab_size)})
        self.tokenizer = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
        self.tokenizer.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
        generator = torch.Generator().manual_seed(self.seed)
        for split, n in (
            ("train", self.num_tokens),
            ("val", self.num_tokens // 10),
            ("test", self.num_tokens // 10),
        ):
            stream = torch.randint(len(SPECIAL_TOKENS), self.vocab_size, (n,), generator=generator)
            self.datasets[split] = BPTTWindows(stream, self.batch_size, self.bptt)
