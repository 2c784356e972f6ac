"""The image pipeline shared by every image dataset.

Images are held as one uint8 tensor (N, C, H, W) per split. Batches leave the loader as uint8
(4× less to copy to the GPU) and are normalised, per dataset channel mean and std, after they
reach the device (`prepare_batch`). Two ways to batch:

- DataLoader: per-image torchvision.transforms.v2 augmentation in worker processes;
- on the device (`on_device=true`, the default when training on a GPU): the whole split is
  copied to the GPU once and batches are index slices, augmented there with batched tensor
  operations, so the input pipeline never stalls the model.

Both draw the same shuffling order from the seed (SeededShuffle), so without augmentation they
give identical batches.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import nullcontext
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import Dataset

from zoo.data.base import SeededShuffle, TensorBatches, TensorDataModule, use_as_training_order
from zoo.data.preprocessing import Pixels
from zoo.data.stored import check_lengths, check_stored_state, is_count
from zoo.errors import ZooError

AUGMENTATIONS = ("none", "crop_flip")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")


def random_crop_flip(images: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Per-image random crop of the zero-padded batch and random horizontal flip, batched."""
    n, _, height, width = images.shape
    device = images.device
    padded = F.pad(images, (padding, padding, padding, padding))
    top = torch.randint(0, 2 * padding + 1, (n,), device=device, generator=generator)
    left = torch.randint(0, 2 * padding + 1, (n,), device=device, generator=generator)
    rows = (top[:, None] + torch.arange(height, device=device))[:, :, None]
    cols = (left[:, None] + torch.arange(width, device=device))[:, None, :]
    cropped = padded[torch.arange(n, device=device)[:, None, None], :, rows, cols].permute(0, 3, 1, 2)
    flip = torch.rand(n, device=device, generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], cropped.flip(-1), cropped)


class ImageTensors(Dataset):
    """uint8 images and labels; an optional per-image transform (DataLoader path)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, transform: Callable | None = None):
        self.images, self.labels, self.transform = images, labels, transform
        self.slices_batches = transform is None  # a per-image transform needs the images one by one

    @property
    def tensors(self) -> tuple[torch.Tensor, torch.Tensor]:
        """What a batch is sliced from (zoo.data.base.batch_tensors), as a TensorDataset has it."""
        return self.images, self.labels

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        image = self.images[index]
        return (self.transform(image) if self.transform else image), self.labels[index]


IMAGE_STATE_RULES = {
    "image_shape": (
        lambda shape: (
            isinstance(shape, list)
            and len(shape) == 3
            and all(map(is_count, shape))
            and shape[0] in (1, 3)
            and shape[1] * shape[2] <= 4096 * 4096
        ),
        "[channels (1 or 3), height, width] of at most 4096 x 4096 pixels",
    ),
}
MAX_IMAGE_PIXELS = 100_000_000  # 10,000 x 10,000: larger is refused before its pixels are read
ALPHA_MODES = {"LA": "L", "La": "L", "PA": "RGBA", "RGBA": "RGB", "RGBa": "RGB"}


def read_image(path: str | Path | Any, channels: int, size: tuple[int, int]) -> torch.Tensor:
    """An image file (or a PIL image) of any size and colour mode → uint8 (channels, H, W), as
    training data."""
    # Pillow loads only where image files are read
    from PIL import Image, UnidentifiedImageError

    try:
        with nullcontext(path) if isinstance(path, Image.Image) else Image.open(path) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ZooError(
                    f"{path} is {width}×{height} pixels, more than the {MAX_IMAGE_PIXELS:,} an input may have"
                )
            eight_bit = eight_bit_image(image, path)
            resized = eight_bit.convert("L" if channels == 1 else "RGB").resize(
                (size[1], size[0]), Image.BILINEAR
            )
            array = np.asarray(resized, dtype=np.uint8)
    except Image.DecompressionBombError:  # PIL's own guard, at twice its MAX_IMAGE_PIXELS
        raise ZooError(f"{path} claims more pixels than the {MAX_IMAGE_PIXELS:,} an input may have") from None
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise ZooError(f"{path} is not an image file that can be read ({type(error).__name__})") from None
    array = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return torch.from_numpy(array.copy())


def eight_bit_image(image: Any, path: str | Path) -> Any:
    """The image in an 8-bit mode PIL converts to L and RGB by value (not by clipping):
    - 16-bit grey (I;16, I;16B, ...: 0..65535) scaled to 0..255 (PIL's convert("L") would clip
      every value above 255 to white);
    - 32-bit integer (I) and float (F) grey in PIL's own 0..255 units (what convert("I"/"F") of an
      8-bit image gives); values outside 0..255 (or not finite) are refused, never clipped;
    - a palette (P) through its colours; an alpha channel (LA, RGBA, PA, ...) dropped, as PIL's
      convert("L") and convert("RGB") drop it;
    - CMYK and YCbCr through their RGB colours; 1, L and RGB as they are."""
    # Pillow loads only where image files are read
    from PIL import Image

    mode = image.mode
    if mode.startswith("I;16"):
        array = np.asarray(image).astype(np.float32)
        return Image.fromarray(np.round(array / 257).astype(np.uint8), "L")
    if mode in ("I", "F"):
        array = np.asarray(image, dtype=np.float64)
        if array.size and (not np.isfinite(array).all() or array.min() < 0 or array.max() > 255):
            low, high = np.nanmin(array), np.nanmax(array)
            raise ZooError(
                f"{path}: a {mode}-mode image with values {low:g}..{high:g}; the zoo reads {mode} images "
                "in 0..255 (save it as 8-bit, or as 16-bit PNG for 0..65535)"
            )
        return Image.fromarray(np.round(array).astype(np.uint8), "L")
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    while image.mode in ALPHA_MODES:
        image = image.convert(ALPHA_MODES[image.mode])
    if image.mode in ("CMYK", "YCbCr"):  # their RGB colours first: grey is then the RGB image's grey
        image = image.convert("RGB")
    if image.mode not in ("1", "L", "RGB"):
        raise ZooError(f"{path}: images of PIL mode {image.mode} are not read; save it as RGB or greyscale")
    return image


class ImageDataModule(TensorDataModule):
    """Subclasses implement `load_splits()` → {"train"|"val"|"test": (uint8 (N,C,H,W), int64 labels)}
    and set `class_names`; `mean`/`std` (per channel, in 0..1 units) are dataset constants or,
    when None, measured on the training split."""

    def __init__(
        self,
        batch_size: int = 128,
        seed: int = 0,
        num_workers: int = 0,
        augment: str = "none",
        padding: int = 4,
        on_device: bool | str = "auto",
        num_features: int | None = None,
        num_classes: int | None = None,
        input_shape: list[int] | None = None,
    ):
        super().__init__(batch_size, seed, num_workers)
        if augment not in AUGMENTATIONS:
            raise ValueError(f"data.augment must be one of {', '.join(AUGMENTATIONS)}, got {augment!r}")
        if on_device not in (True, False, "auto"):
            raise ValueError(f"data.on_device must be true, false or auto, got {on_device!r}")
        self.augment, self.padding, self.on_device = augment, padding, on_device
        self.num_features, self.num_classes = num_features, num_classes
        self.expected_shape = list(input_shape) if input_shape is not None else None
        self.pin_memory = torch.cuda.is_available()  # uint8 batches copied to a GPU: page-locked
        self.class_names: list[str] = []
        self.mean: list[float] | None = None
        self.std: list[float] | None = None
        self.image_shape: list[int] | None = None  # (C, H, W)
        self.splits: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.device_splits: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}

    def load_splits(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        raise NotImplementedError

    # --- setup -------------------------------------------------------------------------------
    def setup(self, stage: str | None = None) -> None:
        if self.splits:
            return
        self.splits = self.load_splits()
        images = self.splits["train"][0]
        if images.dtype != torch.uint8 or images.ndim != 4:
            raise TypeError("load_splits must return uint8 images of shape (N, C, H, W)")
        self.image_shape = list(images.shape[1:])
        self.check_facts()
        if self.mean is None:
            pixels = images.float().div(255).transpose(0, 1).reshape(images.shape[1], -1)
            self.mean, self.std = pixels.mean(1).tolist(), pixels.std(1).clamp_min(1e-3).tolist()
        transform = self.augmentation()
        for name, (split_images, labels) in self.splits.items():
            self.datasets[name] = ImageTensors(split_images, labels, transform if name == "train" else None)

    def check_facts(self) -> None:
        """The config's facts (which model configs interpolate) must match the images."""
        if self.expected_shape is not None and self.expected_shape != self.image_shape:
            raise ZooError(f"data.input_shape is {self.expected_shape} but the images are {self.image_shape}")
        features = math.prod(self.image_shape)
        if self.num_features is not None and self.num_features != features:
            raise ZooError(f"data.num_features is {self.num_features} but the images give {features}")
        classes = int(max(int(labels.max()) for _, labels in self.splits.values() if len(labels)) + 1)
        if self.num_classes is not None and self.num_classes < classes:
            raise ZooError(f"data.num_classes is {self.num_classes} but the data has {classes} classes")
        self.num_classes = self.num_classes or classes
        self.num_features = features

    def augmentation(self) -> Callable | None:
        if self.augment == "crop_flip":
            from torchvision.transforms import v2  # training only: 1.5 s to import

            size = self.image_shape[1:]
            return v2.Compose([v2.RandomCrop(size, padding=self.padding), v2.RandomHorizontalFlip()])
        return None

    # --- batching ----------------------------------------------------------------------------
    def target_device(self) -> torch.device | None:
        """The device to hold the data on, or None for the DataLoader path."""
        trainer = getattr(self, "trainer", None)
        device = trainer.strategy.root_device if trainer is not None else torch.device("cpu")
        if self.on_device == "auto":
            return device if device.type == "cuda" else None
        return device if self.on_device else None

    def loader(self, name: str, shuffle: bool) -> Any:
        if name not in self.datasets:
            self.setup()
        device = self.target_device()
        if device is None:
            return super().loader(name, shuffle)
        if name not in self.device_splits:
            images, labels = self.splits[name]
            self.device_splits[name] = (images.to(device), labels.to(device))
        images, labels = self.device_splits[name]
        augment = None
        if name == "train" and self.augment == "crop_flip":
            generator = torch.Generator(device=device).manual_seed(self.seed)
            augment = partial(random_crop_flip, padding=self.padding, generator=generator)
        sampler = SeededShuffle(len(labels), self.seed) if shuffle else None
        if name == "train":
            use_as_training_order(self, sampler)
        return TensorBatches((images, labels), self.batch_size, sampler, augment)

    def normalize(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images → float, per-channel standardised (an MLP flattens them itself)."""
        mean = torch.tensor(self.mean, device=images.device).view(-1, 1, 1)
        std = torch.tensor(self.std, device=images.device).view(-1, 1, 1)
        x = (images.float() / 255 - mean) / std
        return x

    def prepare_batch(self, batch: Any) -> Any:
        images, labels = batch
        return self.normalize(images), labels

    # --- raw inputs for predict --------------------------------------------------------------
    def features(self, rows: np.ndarray | torch.Tensor) -> torch.Tensor:
        """Pixel values 0..255, as rows of C·H·W values or images (N, [C,] H, W) → model input."""
        channels, height, width = self.image_shape
        x = torch.as_tensor(np.asarray(rows, dtype=np.float32))
        if x.ndim == 2 and x.shape[1] != channels * height * width:
            raise ZooError(f"expected {channels * height * width} pixel values per row, got {x.shape[1]}")
        if x.ndim > 2 and tuple(x.shape[-2:]) != (height, width) or x.ndim == 4 and x.shape[1] != channels:
            shape = "×".join(map(str, x.shape[1:]))
            raise ZooError(
                f"expected images of {channels}×{height}×{width} pixels (or {height}×{width} for one "
                f"channel), got {shape}; image files of any size are resized"
            )
        x = x.reshape(-1, channels, height, width).clamp(0, 255).round().to(torch.uint8)
        return self.normalize(x)

    def raw_input_module(self) -> Pixels:
        """`features` as a torch module (zoo.data.preprocessing): what an export puts before the net."""
        return Pixels(self.image_shape, self.mean, self.std)

    def read_images(self, paths: list[Path]) -> torch.Tensor:
        channels, height, width = self.image_shape
        return self.normalize(torch.stack([read_image(path, channels, (height, width)) for path in paths]))

    def state_dict(self) -> dict[str, Any]:
        return {
            "mean": self.mean,
            "std": self.std,
            "class_names": self.class_names,
            "image_shape": self.image_shape,
            "num_classes": self.num_classes,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        check_stored_state(type(self).__name__, state, IMAGE_STATE_RULES)
        shape = state.get("image_shape") or self.image_shape
        check_lengths(type(self).__name__, state, shape[0] if shape else None, "channels")
        self.mean, self.std = state.get("mean", self.mean), state.get("std", self.std)
        self.class_names = list(state.get("class_names") or self.class_names)
        self.image_shape = state.get("image_shape", self.image_shape)
        self.num_classes = state.get("num_classes", self.num_classes)
