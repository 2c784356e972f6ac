"""Trained weights by preset name, and what a checkpoint argument may name.

The registry is zoo/weights/manifest.json: for each experiment preset with trained weights, the
model and dataset it is, the test metric its weights reached, the zoo version that trained them,
and the sha256 of each file of its `zoo export` folder (model.safetensors + config.json: weights,
preprocessing and tokenizer, no code). Small weights ship inside the package (zoo/weights/<preset>/);
larger ones name a `url` the files are fetched from into torch.hub's cache folder
(`<torch hub dir>/zoo/<preset>/`), each checked against its sha256 before it is used.
`python scripts/reproduce.py --weights` trains the presets again and rewrites the shipped folders
and the manifest.

`checkpoint_path` is how every command and `zoo.load` read a checkpoint argument: a .ckpt file, an
export folder, a run folder (its best checkpoint) or a preset name with weights.

This module imports no torch until weights are downloaded: preflight uses it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from zoo.errors import ZooError

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
MANIFEST = WEIGHTS_DIR / "manifest.json"
FILES = ("model.safetensors", "config.json")  # a `zoo export` folder (zoo.checkpoint.WEIGHTS, CONFIG)
BEST = Path("checkpoints") / "best.ckpt"  # a run folder's best checkpoint (training.callbacks)
LAST = Path("checkpoints") / "last.ckpt"

log = logging.getLogger(__name__)


def manifest() -> dict[str, dict[str, Any]]:
    """{preset: its entry}: model, data, metric, value, zoo_version, files {name: sha256}, url."""
    if not MANIFEST.is_file():
        return {}
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def list_weights(pattern: str = "*") -> dict[str, dict[str, Any]]:
    """The presets with trained weights whose name or model matches `pattern` (fnmatch)."""
    return {
        preset: entry
        for preset, entry in manifest().items()
        if fnmatch(preset, pattern) or fnmatch(entry["model"], pattern)
    }


def preset_for(name: str, pretrained: bool | str = True) -> str:
    """The preset whose weights `create_model(name, pretrained=...)` means: `pretrained` itself when
    it is a preset name, else `name` when it is one, else the first preset of model `name`."""
    entries = manifest()
    if isinstance(pretrained, str):
        if pretrained not in entries:
            raise ZooError(f"no trained weights named {pretrained!r}; {available(entries)}")
        if name not in (pretrained, entries[pretrained]["model"]):
            raise ZooError(
                f"the weights {pretrained!r} are of model {entries[pretrained]['model']!r}, not {name!r}"
            )
        return pretrained
    if name in entries:
        return name
    presets = [preset for preset, entry in entries.items() if entry["model"] == name]
    if not presets:
        raise ZooError(f"no trained weights for {name!r}; {available(entries)}")
    return presets[0]


def available(entries: dict[str, Any]) -> str:
    return f"weights exist for {', '.join(entries)} (zoo list weights)" if entries else "none are installed"


def weights_folder(preset: str) -> Path:
    """The checked `zoo export` folder of a preset's weights: shipped, cached or downloaded now."""
    entries = manifest()
    if preset not in entries:
        raise ZooError(f"no trained weights named {preset!r}; {available(entries)}")
    entry = entries[preset]
    shipped = WEIGHTS_DIR / preset
    if all((shipped / name).is_file() for name in FILES):
        check_files(shipped, entry, preset)
        return shipped
    cached = cache_dir() / preset
    if not all((cached / name).is_file() for name in FILES):
        download(preset, entry, cached)
    check_files(cached, entry, preset)
    return cached


def cache_dir() -> Path:
    """torch.hub's cache folder (TORCH_HOME, else ~/.cache/torch) /hub/zoo, as timm and
    torchvision keep theirs."""
    # torch.hub imports torch: loaded only when downloaded weights are looked for
    import torch.hub

    return Path(torch.hub.get_dir()) / "zoo"


def check_files(folder: Path, entry: dict[str, Any], preset: str) -> None:
    for name, expected in entry["files"].items():
        digest = sha256(folder / name)
        if digest != expected:
            raise ZooError(
                f"the weights of {preset} in {folder} are damaged: {name} has sha256 {digest[:12]}..., "
                f"the manifest says {expected[:12]}... (delete the folder to fetch them again)"
            )


def sha256(path: Path) -> str:
    """The file's sha256 (zoo.data.files has the same: weights sits below data and imports only
    zoo.errors, so the few lines are kept here)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(preset: str, entry: dict[str, Any], folder: Path) -> None:
    """Each file from `<url>/<name>` into `folder`, checked against its sha256 before it is moved
    in (torch.hub.download_url_to_file writes a temporary file): never half a folder of weights."""
    url = entry.get("url")
    if not url:
        raise ZooError(
            f"the weights of {preset} are not published yet: train them with "
            f"`zoo train experiment={preset}` and load the run folder"
        )
    if os.environ.get("ZOO_OFFLINE"):
        raise ZooError(
            f"the weights of {preset} are not in {folder} and ZOO_OFFLINE is set: put "
            f"{', '.join(entry['files'])} from {url} there"
        )
    # torch.hub's downloader (a progress bar, a temporary file): loaded only when weights download
    from torch.hub import download_url_to_file

    folder.mkdir(parents=True, exist_ok=True)
    for name, expected in entry["files"].items():
        source = f"{url.rstrip('/')}/{name}"
        partial = folder / f".{name}.part"
        try:
            download_url_to_file(source, str(partial), progress=True)
        except OSError as error:  # URLError is an OSError
            raise ZooError(
                f"cannot download the weights of {preset} from {source} ({getattr(error, 'reason', error)}); "
                f"with no network, put {', '.join(entry['files'])} into {folder}"
            ) from None
        if sha256(partial) != expected:
            partial.unlink()
            raise ZooError(f"the download of {source} does not match its sha256 in the manifest")
        partial.replace(folder / name)


def checkpoint_path(text: str | os.PathLike[str]) -> Path:
    """What a checkpoint argument names, as a file or export folder `zoo.checkpoint` reads: a
    .ckpt file or an export folder as they are; a run folder as its best checkpoint (else its
    last, saying so); a preset name with trained weights as their folder."""
    path = Path(text)
    if path.is_dir() and not (path / FILES[0]).is_file():
        for candidate in (BEST, LAST):
            if (path / candidate).is_file():
                log.info("%s is a run folder: using its %s", path, candidate)
                return path / candidate
        raise ZooError(f"{path} holds no checkpoint: a run folder has {BEST}, an export folder {FILES[0]}")
    if path.exists() or str(text) not in manifest():
        return path
    return weights_folder(str(text))


def names_weights(text: Any) -> bool:
    """Whether a checkpoint argument names a preset with weights rather than a path (preflight)."""
    return isinstance(text, str) and not Path(text).exists() and text in manifest()
