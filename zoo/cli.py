"""The `zoo` command: train | eval | predict | list, each Hydra app over the configs/ tree.

`zoo <command> [overrides]` keeps sys.argv as typed (Lightning's DDP launcher re-runs the same
argv in each extra rank). Before Hydra starts, the overrides are checked against the registry and
composed once, so a misspelt model name or key is one readable line, not a stack trace.
"""

from __future__ import annotations

import os
import signal
import sys
from contextlib import nullcontext

from zoo import __version__
from zoo.commands.argv import CommandLine, split_command_line
from zoo.commands.hydra_app import error_line, run_hydra
from zoo.commands.preflight import preflight
from zoo.commands.table import BY_NAME, help_lines
from zoo.commands.table import command as command_row
from zoo.errors import ZooError

HELP = """usage: zoo <command> [hydra overrides] [-m]

A PyTorch model zoo trained from one Hydra CLI.

commands:
{commands}

`zoo <command> --help` shows the command's options; Hydra's flags work after the command: `zoo
train --cfg job` prints the composed config, --hydra-help Hydra's own help (--config-dir/-path/
-name and --experimental-rerun are refused: a search path is hydra.searchpath=[file://DIR]).
Shell completion: eval "$(zoo -sc install=bash)" (or zsh). `zoo --version` prints the version.
Set HYDRA_FULL_ERROR=1 to see full tracebacks.
In Python: zoo.create_model("resnet18", num_classes=10), zoo.load("lenet5_fashion_mnist")(image);
see the README.
"""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(HELP.format(commands=help_lines()))
        return 0
    if args[0] in ("-V", "--version"):
        print(f"zoo {__version__}")
        return 0
    if args[0] in ("-sc", "--shell-completion"):
        return shell_completion(args)
    command, rest = args[0], args[1:]
    try:
        row = command_row(command)
        if not row.hydra:
            row.run()(rest)
            return 0
        if rest and rest[0] in ("-h", "--help"):
            # zoo.commands.helptext reads the config files: loaded only to answer --help
            from zoo.commands.helptext import command_help

            print(command_help(command))
            return 0
        line = checked_command_line(command, rest)
    except ZooError as error:
        error_line(str(error))
        return 2
    # zoo.commands.common imports rich: loaded when a run folder is locked, not on `zoo --help`
    from zoo.commands.common import RunFolderLock

    rest = [*line.flags, *line.overrides]
    folder = named_run_folder(command, line)
    previous = signal.signal(signal.SIGTERM, stop_on_sigterm)
    try:
        with RunFolderLock(folder) if folder is not None else nullcontext():
            return run_hydra(command, rest)
    except ZooError as error:  # the run folder is in use
        error_line(str(error))
        return 2
    except (KeyboardInterrupt, Terminated) as stop:
        # a partial output file is removed by whatever wrote it (atomic_output); training has its
        # own handler (StopOnSignal), which saves a checkpoint first
        name = "SIGTERM" if isinstance(stop, Terminated) else "SIGINT"
        error_line(f"stopped by {name}; nothing partial was left behind")
        return 128 + (signal.SIGTERM if name == "SIGTERM" else signal.SIGINT)
    finally:
        signal.signal(signal.SIGTERM, previous)


class Terminated(BaseException):
    """SIGTERM outside training, raised like KeyboardInterrupt, so that cleanup code runs."""


def stop_on_sigterm(signum: int, frame: object) -> None:
    raise Terminated


def named_run_folder(command: str, line: CommandLine) -> str | None:
    """The folder `zoo train hydra.run.dir=...` (or resume=) writes into: locked before Hydra
    writes its .hydra/ record there, so that a refused second run changes nothing of the first."""
    if not command_row(command).writes_run_folder or line.multirun or line.answers_only:
        return None
    given = [arg.split("=", 1)[1] for arg in line.overrides if arg.startswith("hydra.run.dir=")]
    return given[-1] if given and "${" not in given[-1] else None


def checked_command_line(command: str, args: list[str]) -> CommandLine:
    """What Hydra gets: the allowed flags as typed, the overrides with a resumed run's replayed ones
    expanded, all composed and checked by preflight (whatever flags are present; only a Hydra
    answer such as --help or shell completion composes nothing)."""

    line = split_command_line(args)
    prepare = command_row(command).prepare
    overrides = prepare(line.overrides) if prepare is not None else line.overrides
    if not line.answers_only:
        preflight(command, overrides, multirun=line.multirun)
    return CommandLine(line.flags, overrides)


def shell_completion(args: list[str]) -> int:
    """Hydra's completion for a zoo command line. The script `zoo -sc install=bash` (or `zoo train
    --shell-completion install=zsh`) prints calls `zoo -sc query=bash` with the line typed so far in
    COMP_LINE: the command's name is completed here, the rest by that command's Hydra app."""
    if not any(arg.startswith("query=") for arg in args[1:]):
        if "install=zsh" in args[1:]:  # zsh runs bash's completion functions through bashcompinit
            print("autoload -Uz bashcompinit && bashcompinit")
        return run_hydra("train", args)  # install / uninstall: one script serves every command
    line = os.environ.get("COMP_LINE", "")
    parts = line.split(None, 2)
    if len(parts) < 2 or len(parts) == 2 and not line.endswith(" "):
        typed = parts[1] if len(parts) == 2 else ""
        print(" ".join(name for name in BY_NAME if name.startswith(typed)))
        return 0
    name = parts[1]
    if name not in BY_NAME or not BY_NAME[name].hydra:
        print()
        return 0
    os.environ["COMP_LINE"] = f"zoo {parts[2] if len(parts) > 2 else ''}"
    return run_hydra(name, args)


def entry_point() -> None:
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        # the reader went away (`zoo --help | head -1`): quiet, as other command-line tools are;
        # stdout is pointed at /dev/null so that Python's own flush at exit does not complain
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 0
    sys.exit(code)
