"""A run folder someone shared is data, never a command line (#28): `zoo train resume=<folder>`
replays only the plain `key=value` overrides of the zoo's own keys. Tested as classes: the
issue's three reproductions end to end, a corpus of hostile overrides (every Hydra flag, Hydra's
and the paths' settings, `_target_` at any depth, interpolations, resolvers, sweeps, deletions,
paths out of the folder) each refused in one line with nothing written anywhere, and a property
test over generated override strings whose oracle composes what was accepted."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import compose_train, run_zoo
from zoo import cli
from zoo.commands.replay import expand_resume
from zoo.commands.train import train
from zoo.errors import ZooError
from zoo.registry import compose

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    """A finished 1-epoch MLP run on digits, with the .hydra/overrides.yaml `zoo train` writes."""
    folder = tmp_path_factory.mktemp("finished") / "run"
    train(compose_train(["trainer.max_epochs=1"], folder))
    (folder / ".hydra").mkdir()
    (folder / ".hydra" / "overrides.yaml").write_text("- trainer.max_epochs=1\n")
    return folder


def shared_copy(finished_run: Path, tmp_path: Path, overrides: list[str]) -> Path:
    """The finished run copied to tmp_path/runs/shared with `overrides` as its stored overrides
    (a YAML list written item by item, as yaml.safe_dump would)."""
    import yaml

    run = tmp_path / "runs" / "shared"
    shutil.copytree(finished_run, run)
    (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    return run


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under `folder` with a digest of its bytes."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


# --- the issue's three reproductions, end to end --------------------------------------------------
def test_the_three_reproductions_of_the_issue_run_nothing_and_write_nothing(finished_run, tmp_path):
    class Payload:
        def __reduce__(self):
            return (os.system, ("echo PWNED > PWNED.txt",))

    run = shared_copy(finished_run, tmp_path, [])
    (run / ".hydra" / "config.pickle").write_bytes(pickle.dumps(Payload()))
    conf = run / "conf" / "experiment"
    conf.mkdir(parents=True)
    (conf / "evil.yaml").write_text(
        "# @package _global_\nhydra:\n  callbacks:\n    pwn:\n      _target_: shutil.copyfile\n"
        '      _args_: ["/etc/hostname", "COPIED.txt"]\ndata:\n  batch_size: 0\n'
    )
    elsewhere = tmp_path / "elsewhere"
    attempts = [
        ["--experimental-rerun=runs/shared/.hydra/config.pickle"],
        ["--config-dir=runs/shared/conf", "experiment=evil"],
        ["trainer.max_epochs=2", f"paths.output_dir={elsewhere}"],
    ]
    for overrides in attempts:
        import yaml

        (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
        before = snapshot(tmp_path)
        result = run_zoo(["train", "trainer.max_epochs=1", "resume=runs/shared"], tmp_path)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and "refused to replay" in lines[0], result.stderr
        assert snapshot(tmp_path) == before  # nothing written: no marker, no copy, no run elsewhere
        assert not (tmp_path / "PWNED.txt").exists() and not (tmp_path / "COPIED.txt").exists()
        assert not elsewhere.exists()


# --- a corpus of hostile overrides ----------------------------------------------------------------
HYDRA_FLAGS = [
    "-m", "--multirun", "-c", "--cfg", "--resolve", "-p", "--package", "-i", "--info", "-h", "--help",
    "--hydra-help", "--version", "-sc", "--shell-completion", "-r", "--run", "-cp", "--config-path",
    "-cn", "--config-name", "-cd", "--config-dir", "--experimental-rerun",
    "--exp", "--config-d", "--cf", "--mult",  # argparse's abbreviations of the long flags
]  # fmt: skip


def flag_forms(flag: str, value: str) -> list[list[str]]:
    """A flag alone, with `=value`, and with its value as the next item of the list."""
    return [[flag], [f"{flag}={value}"], [flag, value]]


HOSTILE: list[list[str]] = [form for flag in HYDRA_FLAGS for form in flag_forms(flag, "{marker_dir}")]
HOSTILE += [[item] for item in [
    # Hydra's own settings, which instantiate or move things
    "hydra.callbacks.pwn._target_=shutil.copyfile",
    "+hydra.callbacks.pwn._target_=shutil.copyfile",
    "++hydra.callbacks.pwn._args_=[/etc/hostname,{marker}]",
    "hydra.searchpath=[file://{marker_dir}]",
    "+hydra.searchpath=[file://{marker_dir}]",
    "hydra/launcher=basic",
    "hydra/hydra_logging=disabled",
    "hydra.run.dir={marker_dir}",
    "hydra.sweep.dir={marker_dir}",
    "hydra.job.chdir=true",
    "hydra.output_subdir=../../x",
    "hydra.verbose=true",
    "launcher=slurm",
    "hparams_search=optuna",
    # where the run is written or data is read
    "paths.output_dir={marker_dir}",
    "paths.log_dir={marker_dir}",
    "paths.data_dir={marker_dir}",
    "paths=default",
    "data.data_dir={marker_dir}",
    "data.root=/etc",
    "data.train=../../../etc/passwd",
    "model.pretrained=/tmp/elsewhere.ckpt",
    "name=../../escaped",
    # code named at any depth
    "model._target_=os.system",
    "model.net._target_=builtins.exec",
    "optimizer._target_=torch.load",
    "+logger.x._target_=torch.load",
    "model.net={{_target_: os.system, command: touch {marker}}}",
    "trainer.plugins=[{{_target_: shutil.copyfile}}]",
    "model.net.hidden={{_target_: os.getcwd}}",
    "callbacks.extra={{nested: {{deeper: {{_target_: os.system}}}}}}",
    "model._recursive_=true",
    "data._args_=[1]",
    # a preset or a group option the zoo does not have
    "experiment=evil",
    "model=../../conf/evil",
    "data=/etc/passwd",
    "logger=evil",
    "model@hydra=mlp",
    "+experiment=xor_mlp",
    # interpolations and resolvers
    "trainer.max_epochs=${{oc.env:HOME}}",
    "name=${{hydra:runtime.cwd}}",
    "seed=${{oc.create:{{a: 1}}}}",
    "data.batch_size='${{oc.decode:1}}'",
    "name=${{now:%Y}}",
    "model.net.hidden=[${{seed}}]",
    "callbacks.monitor=\\${{escaped}}",
    "trainer.max_epochs=${{zoo_direction:x}}",
    # sweeps, deletions, additions
    "optimizer.lr=0.1,0.01",
    "seed=range(1,3)",
    "seed=choice(1,2)",
    "seed=glob(*)",
    "seed=interval(0,1)",
    "~model",
    "~trainer.max_epochs",
    "+trainer.new_key=1",
    "++trainer.max_epochs=1",
    # not an override at all
    " trainer.max_epochs=1",
    "trainer.max_epochs =1",
    "trainer.max_epochs",
    "trainer.max_epochs=1\n--config-dir=x",
    "resume=elsewhere",
    "expected.value=0",
    "",
]]  # fmt: skip
HOSTILE += [[{"trainer.max_epochs": 1}], [["trainer.max_epochs=1"]], [3], [None]]


@pytest.mark.parametrize("overrides", HOSTILE, ids=[repr(item)[:60] for item in HOSTILE])
def test_every_hostile_stored_override_is_refused_in_one_line_writing_nothing(
    overrides, finished_run, tmp_path, monkeypatch, capsys
):
    marker_dir = tmp_path / "pwned"
    marker = marker_dir / "marker"
    items = [
        item.format(marker=marker, marker_dir=marker_dir) if isinstance(item, str) else item
        for item in overrides
    ]
    run = shared_copy(finished_run, tmp_path, items)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    code = cli.main(["train", f"resume={run}"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and lines[0].startswith("zoo: error: resume: refused to replay")
    assert snapshot(tmp_path) == before and not marker_dir.exists()


def test_what_a_run_writes_itself_is_replayed(finished_run, tmp_path):
    """The overrides of an ordinary run pass: group options, dotted keys of the zoo's groups, plain
    settings, lists; an earlier resume's ckpt_path is replaced; a key typed again wins."""
    stored = [
        "model=mlp", "data=digits", "optimizer=sgd", "scheduler=cosine", "regularizer=l2", "logger=csv",
        "experiment=xor_mlp", "trainer.max_epochs=2", "model.net.hidden=[32,16]", "optimizer.lr=0.05",
        "callbacks.progress=none", "seed=3", "test=false", "name=my_run", "data.batch_size=64",
        "ckpt_path=runs/old/checkpoints/last.ckpt", "trainer.accelerator=cpu", "data.root=images/train",
    ]  # fmt: skip
    run = shared_copy(finished_run, tmp_path, stored)
    args = expand_resume([f"resume={run}", "seed=5", f"hydra.run.dir={run}"])
    kept = [item for item in stored if not item.startswith(("ckpt_path=", "seed="))]
    assert args == [*kept, "seed=5", f"hydra.run.dir={run}", f"ckpt_path={run / 'checkpoints' / 'last.ckpt'}"]
    # the user may type a value the folder may not hold: theirs replaces the stored one
    shared = shared_copy(finished_run, tmp_path / "b", ["data.root=/srv/images"])
    assert "data.root=/srv/images" not in expand_resume([f"resume={shared}", "data.root=/srv/images"])[:-3]
    with pytest.raises(ZooError, match="cannot be set with resume="):
        expand_resume([f"resume={run}", "paths.output_dir=/tmp/elsewhere"])
    with pytest.raises(ZooError, match="cannot be set with resume="):
        expand_resume([f"resume={run}", f"hydra.run.dir={tmp_path / 'other'}"])


# --- a property test: whatever is accepted changes nothing of Hydra's or the paths' settings ------
FRAGMENTS = [
    "-", "--", "+", "++", "~", "=", ".", "/", "@", "_target_", "hydra", "paths", "callbacks", "searchpath",
    "run", "dir", "output_dir", "model", "net", "trainer", "max_epochs", "experiment", "evil", "xor_mlp",
    "${", "}", "oc.env:HOME", ":", "[", "]", "{", "}", ",", "'", "\"", " ", "\n", "1", "0.5", "/etc",
    "..", "config-dir", "experimental-rerun", "cfg", "job", "launcher", "seed", "choice(", ")", "os.system",
]  # fmt: skip
KEYS = ["trainer.max_epochs", "model", "experiment", "seed", "model.net.hidden", "data.batch_size", "name",
        "optimizer.lr", "logger", "callbacks.monitor", "trainer.accelerator"]  # fmt: skip
override_text = st.one_of(
    st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=8).map("".join),
    st.text(max_size=30),
    st.tuples(  # a key the zoo defines, with a generated value: what is accepted is composed below
        st.sampled_from(KEYS), st.lists(st.sampled_from(FRAGMENTS), max_size=5).map("".join)
    ).map("=".join),
)
SETTINGS_THAT_MUST_NOT_MOVE = (
    "callbacks",
    "searchpath",
    "run",
    "sweep",
    "launcher",
    "sweeper",
    "job_logging",
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(override_text, min_size=1, max_size=3))
def test_generated_stored_overrides_are_refused_or_leave_hydra_and_the_paths_alone(finished_run, items):
    import yaml
    from hydra.errors import HydraException
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    from zoo.allowlist import check_targets
    from zoo.commands.preflight import resolved

    run = finished_run.parent / "generated"  # a copy of its own: the other tests read finished_run's
    if not run.exists():
        shutil.copytree(finished_run, run)
    (run / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(items))
    try:
        args = expand_resume([f"resume={run}"])
    except ZooError as error:
        assert str(error) and "\n" not in str(error)
        return
    baseline = compose("train", [f"hydra.run.dir={run}"], return_hydra_config=True)
    try:
        cfg = compose("train", args[:-1], return_hydra_config=True)  # ckpt_path aside: nothing is loaded
        config = resolved(cfg)
    except (HydraException, OmegaConfBaseException, ZooError):
        return  # preflight refuses what does not compose or resolve, in one line
    for key in SETTINGS_THAT_MUST_NOT_MOVE:
        assert OmegaConf.to_container(cfg.hydra[key]) == OmegaConf.to_container(baseline.hydra[key])
    assert config["paths"] == resolved(baseline)["paths"]
    check_targets(config)  # every _target_ is one of the zoo's


# --- one run per folder, and a finished run is not silently replaced ------------------------------
HOLD_LOCK = """
import sys, time
from zoo.commands.common import RunFolderLock
with RunFolderLock(sys.argv[1]):
    print("locked", flush=True)
    time.sleep(60)
"""


def test_a_refused_run_writes_nothing_into_the_running_runs_folder(
    finished_run, tmp_path, monkeypatch, capsys
):
    run = tmp_path / "runs" / "A"
    shutil.copytree(finished_run, run)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(run)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    monkeypatch.chdir(tmp_path)
    try:
        assert holder.stdout.readline().strip() == "locked"
        before = snapshot(run)
        for args in (
            ["train", "trainer.max_epochs=5", f"hydra.run.dir={run}", "overwrite=true"],
            ["train", f"resume={run}", "trainer.max_epochs=5"],
        ):
            assert cli.main(args) == 2
            assert f"pid {holder.pid}" in capsys.readouterr().err
            assert snapshot(run) == before  # .hydra/overrides.yaml and config.yaml are the running run's
    finally:
        holder.kill()
        holder.wait()


def test_training_again_into_a_finished_runs_folder_needs_resume_or_overwrite(
    finished_run, tmp_path, monkeypatch, capsys
):
    run = tmp_path / "runs" / "X"
    shutil.copytree(finished_run, run)
    monkeypatch.chdir(tmp_path)
    before = snapshot(run)
    assert cli.main(["train", "trainer.max_epochs=1", f"hydra.run.dir={run}"]) == 2
    error = capsys.readouterr().err.strip()
    assert (
        "already holds a run's checkpoints" in error
        and f"resume={run}" in error
        and "overwrite=true" in error
    )
    assert snapshot(run) == before
    with pytest.raises(ZooError, match="already holds"):  # the Python API refuses it too
        train(compose_train(["trainer.max_epochs=1"], run))
    summary = train(compose_train(["trainer.max_epochs=1", "overwrite=true"], run))
    assert summary["global_step"] == 20
