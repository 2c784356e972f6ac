"""The habits of command-line tools: --version, a quiet closed pipe, each command's own --help
(matching its config file), shell completion of commands, groups and keys, and trained weights by
preset name or run folder where a checkpoint is asked for."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from omegaconf import OmegaConf

import zoo
from tests.conftest import run_zoo, zoo_env
from zoo.commands.helptext import command_help
from zoo.commands.table import COMMANDS
from zoo.registry import config_dir

ZOO = str(Path(sys.executable).parent / "zoo")  # the installed script, as a shell runs it


def test_version_and_a_closed_pipe(tmp_path):
    assert run_zoo(["--version"], tmp_path).stdout.strip() == f"zoo {zoo.__version__}"
    for command in (f"{ZOO} --help | head -1", f"{ZOO} list | head -1", f"{ZOO} train --help | head -2"):
        piped = subprocess.run(["bash", "-c", command], env=zoo_env(tmp_path), capture_output=True, text=True)
        assert piped.returncode == 0 and piped.stdout.startswith("usage: zoo") or "models" in piped.stdout
        assert piped.stderr == "", piped.stderr


@pytest.mark.parametrize("row", [row for row in COMMANDS if row.hydra], ids=lambda row: row.name)
def test_each_commands_help_shows_its_own_options_as_its_config_has_them(row):
    text = command_help(row.name)
    assert text.startswith(f"usage: zoo {row.name}") and "powered by Hydra" not in text
    config = OmegaConf.load(config_dir() / f"{row.name}.yaml")
    keys = [key for key in config if key not in ("defaults", "hydra")]
    for key in keys:
        assert f"\n  {key}=" in text, key
    groups = [next(iter(item)) for item in config.get("defaults", []) if isinstance(item, dict)]
    for group in groups:
        if group not in ("hydra", "paths") and config.defaults:
            assert f"\n  {group}=" in text, group


def test_predict_help_through_the_cli(tmp_path):
    shown = run_zoo(["predict", "--help"], tmp_path)
    assert (
        shown.returncode == 0 and "top_k=5" in shown.stdout and "model=lenet5_fashion_mnist" in shown.stdout
    )


def complete(line: str, tmp_path: Path, shell: str = "bash") -> list[str]:
    """What TAB offers after `line` in bash, through the function `zoo -sc install=bash` defines."""
    script = f"""eval "$({ZOO} -sc install={shell})"
COMP_LINE={line!r}; COMP_POINT=${{#COMP_LINE}}; read -ra COMP_WORDS <<< "$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
hydra_bash_completion; printf '%s\\n' "${{COMPREPLY[@]}}" """
    env = {**zoo_env(tmp_path), "PATH": f"{Path(ZOO).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_bash_completion_completes_commands_groups_options_and_keys(tmp_path):
    assert complete("zoo tr", tmp_path) == ["train"]
    assert "model=" in complete("zoo train mod", tmp_path)
    assert "model=lenet5" in complete("zoo train model=le", tmp_path)
    assert "top_k=" in complete("zoo predict to", tmp_path)


def test_zsh_completion_installs_through_bashcompinit(tmp_path):
    script = run_zoo(["-sc", "install=zsh"], tmp_path, program=[ZOO]).stdout
    assert "bashcompinit" in script and "hydra_bash_completion" in script
    env = {**zoo_env(tmp_path), "COMP_LINE": "zoo train optim"}
    query = subprocess.run([ZOO, "-sc", "query=zsh"], env=env, capture_output=True, text=True)
    assert "optimizer=" in query.stdout.split()


def test_predict_with_a_presets_weights_on_a_fresh_install(tmp_path):
    from PIL import Image

    from tests.test_weights_and_models import fashion_mnist_test_images

    images, labels = fashion_mnist_test_images(1)
    Image.fromarray(images[0]).save(tmp_path / "item.png")
    shown = run_zoo(["predict", "model=lenet5_fashion_mnist", "input=item.png"], tmp_path)
    assert shown.returncode == 0, shown.stderr
    names = zoo.load("lenet5_fashion_mnist").datamodule.class_names
    assert f"│ item.png │ {names[labels[0]]} " in shown.stdout
    wrong = run_zoo(["predict", "model=resnet56", "input=item.png"], tmp_path)
    assert wrong.returncode == 2 and "give a preset that has them (zoo list weights)" in wrong.stderr


def test_a_run_folder_is_a_checkpoint_argument(tmp_path):
    trained = run_zoo(["train", "experiment=xor_mlp", "trainer.max_epochs=2", "hydra.run.dir=run",
                       "callbacks.progress=none"], tmp_path)  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    by_folder = run_zoo(["predict", "ckpt_path=run", "input=[1,-1]"], tmp_path)
    by_file = run_zoo(["predict", "ckpt_path=run/checkpoints/best.ckpt", "input=[1,-1]"], tmp_path)
    assert by_folder.returncode == 0, by_folder.stderr
    said, _, table = by_folder.stdout.partition("\n")
    assert said == "run is a run folder: using its checkpoints/best.ckpt"
    assert table == by_file.stdout
