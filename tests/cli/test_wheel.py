"""A wheel built from the repository installs into a fresh environment and finds its configs."""

from __future__ import annotations

import site
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_wheel_installs_into_a_fresh_environment_and_lists(tmp_path):
    wheel_dir = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(wheel_dir),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    (wheel,) = wheel_dir.glob("zoo-*.whl")

    # A fresh virtual environment holding only the wheel; the heavy dependencies (torch, ...) come
    # from this environment's site-packages through a .pth line, which does not run this
    # environment's own .pth files, so the editable install of the repo is not visible there.
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", str(wheel)],
        check=True,
        capture_output=True,
        text=True,
    )
    venv_site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    dependency_dirs = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    (venv_site / "deps.pth").write_text("\n".join(sorted(dependency_dirs)) + "\n")

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    located = subprocess.run(
        [
            str(python),
            "-c",
            "import zoo.registry as r; print(r.__file__); print(r.config_dir()); "
            "import zoo.data.text as t; print(t.bundled_corpus('shakespeare'))",
        ],  # fmt: skip
        cwd=outside,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    # the wheel's code, configs and bundled corpus
    assert len(located) == 3 and all(line.startswith(str(venv)) for line in located), located
    listed = subprocess.run([str(venv / "bin" / "zoo"), "list"], cwd=outside, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert "mlp" in listed.stdout and "digits" in listed.stdout and "adam" in listed.stdout
