"""The `zoo` command: train | eval | predict | list, each Hydra app over the configs/ tree.

`zoo <command> [overrides]` keeps sys.argv as typed (Lightning's DDP launcher re-runs the same
argv in each extra rank). Before Hydra starts, the overrides are checked against the registry and
composed once, so a misspelt model name or key is one readable line, not a stack trace.
"""

from __future__ import annotations

import re
import sys

from zoo.commands.hydra_app import error_line
from zoo.errors import ZooError

HELP = """usage: zoo <command> [hydra overrides] [-m]

A PyTorch model zoo trained from one Hydra CLI.

commands:
  train     train a model:  zoo train model=mlp data=digits optimizer=adam trainer.max_epochs=20
            sweep with -m:  zoo train -m optimizer=sgd,adam optimizer.lr=0.1,0.01
            search:         zoo train hparams_search=optuna hydra.sweeper.n_trials=20
            preset:         zoo train experiment=circles_mlp
            resume:         zoo train resume=runs/<name>/<time>   (after a crash, Ctrl-C or SIGTERM)
  eval      test a checkpoint on its dataset:  zoo eval ckpt_path=runs/.../checkpoints/best.ckpt
            (translation models: beam_size=5 decodes the test split by beam search)
  predict   predict with a checkpoint:  zoo predict ckpt_path=... input=rows.csv (or .npy, [x1,x2],
            an image or a folder of them, or text for text models)
  list      list models, datasets, optimizers, schedulers, ... with descriptions:  zoo list [group]
  gradcheck check a model's gradients against central differences:  zoo gradcheck model=mlp data=xor
  export    weights as safetensors + config as JSON:  zoo export ckpt_path=... [output=folder]
            (zoo predict and zoo eval take the folder as ckpt_path)

Every Hydra option works after the command: `zoo train --cfg job` prints the composed config,
`zoo train --help` lists the config groups. Set HYDRA_FULL_ERROR=1 to see full tracebacks.
In Python: zoo.create_model(...), zoo.load(checkpoint).predict(inputs); see the README.
"""
HYDRA_COMMANDS = ("train", "eval", "predict", "gradcheck", "export")


def quote_text_input(arg: str) -> str:
    """`input=ein Mann fährt Fahrrad` (the shell has taken the quotes off) as Hydra's quoted
    string, so that any text reaches predict as typed: Hydra's own parser rejects unquoted spaces
    with letters such as ä, and reads `a,b` as a sweep. Inline rows (`input=[1,2]`) and values
    the user quoted for Hydra are left as they are."""
    if not arg.startswith("input="):
        return arg
    value = arg.split("=", 1)[1]
    numbers = re.fullmatch(r"[-+]?[\d.]+(e[-+]?\d+)?", value) or re.fullmatch(
        r"\[[\d\s.,eE+\-\[\]]*\]", value
    )
    if value.startswith(("'", '"')) or numbers:
        return arg
    value = re.sub(r"(\\+)(?='|$|\$\{)", lambda run: run.group(1) * 2, value)  # backslashes Hydra unescapes
    return "input='" + value.replace("'", "\\'").replace("${", "\\${") + "'"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(HELP)
        return 0
    command, rest = args[0], args[1:]
    try:
        from zoo.commands.preflight import expand_resume, preflight

        if command == "list":
            from zoo.commands.listing import list_registry

            list_registry(rest)
            return 0
        if command not in HYDRA_COMMANDS:
            raise ZooError(
                f"unknown command {command!r}; choose one of train, eval, predict, export, gradcheck, list"
            )
        if command == "train":
            rest = expand_resume(rest)
        if command == "predict":
            rest = [quote_text_input(arg) for arg in rest]
        if not any(arg.startswith("-") and arg not in ("-m", "--multirun") for arg in rest):
            preflight(command, rest, multirun=any(arg in ("-m", "--multirun") for arg in rest))
    except ZooError as error:
        error_line(str(error))
        return 2
    from zoo.commands.hydra_app import run_hydra

    return run_hydra(command, rest)


def entry_point() -> None:
    sys.exit(main())
