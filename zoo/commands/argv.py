"""A command line split into Hydra's flags and overrides, by an allowlist of the flags the zoo
takes. Hydra's own parser (argparse) also reads abbreviations (`--exp=...` is
`--experimental-rerun`), flags that unpickle a file, add a config search path or swap the
command's config: none of those reaches it. Every other word is an override, which preflight
composes and checks whether flags are present or not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from zoo.errors import ZooError
from zoo.weights import names_weights

# flag -> the values it takes as its next word or after "=" (None: no value; (): any word)
FLAG_VALUES: dict[str, tuple[str, ...] | None] = {
    "-m": None,
    "--multirun": None,
    "-c": ("job", "hydra", "all"),
    "--cfg": ("job", "hydra", "all"),
    "--resolve": None,
    "-p": (),
    "--package": (),
    "-i": ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath"),
    "--info": ("all", "config", "defaults", "defaults-tree", "plugins", "searchpath"),
    "-h": None,
    "--help": None,
    "--hydra-help": None,
    "--version": None,
    "-sc": None,
    "--shell-completion": None,
    "-r": None,
    "--run": None,
}
OPTIONAL_VALUE = ("-i", "--info")  # `--info` alone means `--info all`
# With these, Hydra answers instead of running a job: the words after them are not overrides to
# compose (`--shell-completion query=bash`).
ANSWERS_ONLY = ("-h", "--help", "--hydra-help", "--version", "-sc", "--shell-completion", "-i", "--info")
REFUSED_HINT = {
    "--config-dir": "the zoo reads its own config tree; add a folder with hydra.searchpath=[file://DIR]",
    "-cd": "the zoo reads its own config tree; add a folder with hydra.searchpath=[file://DIR]",
    "--config-path": "the zoo reads its own config tree",
    "-cp": "the zoo reads its own config tree",
    "--config-name": "each zoo command has its own config",
    "-cn": "each zoo command has its own config",
    "--experimental-rerun": "it unpickles a file; rerun with resume=<run folder>",
}


@dataclass
class CommandLine:
    flags: list[str] = field(default_factory=list)
    overrides: list[str] = field(default_factory=list)

    @property
    def multirun(self) -> bool:
        return any(flag in ("-m", "--multirun") for flag in self.flags)

    @property
    def answers_only(self) -> bool:
        return any(flag.split("=", 1)[0] in ANSWERS_ONLY for flag in self.flags)


def split_command_line(args: list[str]) -> CommandLine:
    """Flags (each with its value, kept as typed) and overrides; an unknown or refused flag is one
    ZooError line naming it."""
    line = CommandLine()
    position = 0
    while position < len(args):
        word = args[position]
        position += 1
        if not word.startswith("-"):
            line.overrides.append(word)
            continue
        name, has_value, value = word.partition("=")
        if name not in FLAG_VALUES:
            raise ZooError(refusal(name))
        allowed = FLAG_VALUES[name]
        if allowed is None:
            if has_value:
                raise ZooError(f"{name} takes no value (got {word!r})")
            line.flags.append(word)
            continue
        if not has_value:
            following = args[position] if position < len(args) else None
            if name in OPTIONAL_VALUE and following not in allowed:
                line.flags.append(name)  # `--info` alone; the next word is read as usual
                continue
            if following is None:
                raise ZooError(f"{name} needs a value")
            value, position = following, position + 1
        if allowed and value not in allowed:
            raise ZooError(f"{name} {value!r}: choose one of {', '.join(allowed)}")
        line.flags += [name, value]
    return line


def refusal(name: str) -> str:
    if name in REFUSED_HINT:
        return f"{name} is not accepted by zoo ({REFUSED_HINT[name]})"
    known = ", ".join(sorted(flag for flag in FLAG_VALUES if flag.startswith("--")))
    return f"unknown flag {name!r}; zoo takes Hydra's {known} (and their short forms)"


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


def quote_text_inputs(overrides: list[str]) -> list[str]:
    """`zoo predict`'s overrides with a typed text input quoted for Hydra (quote_text_input) and
    `model=<preset>` read as the preset's trained weights (weights_as_checkpoint)."""
    return weights_as_checkpoint([quote_text_input(arg) for arg in overrides])


def weights_as_checkpoint(overrides: list[str]) -> list[str]:
    """`model=<preset>` on a command that reads a checkpoint (predict, eval, export) as
    `ckpt_path=<preset>`: the preset's trained weights (zoo list weights)."""
    rewritten = []
    for arg in overrides:
        key, equals, value = arg.partition("=")
        if key == "model" and equals:
            if not names_weights(value):
                raise ZooError(
                    f"model={value}: this command reads trained weights - give a preset that has them "
                    "(zoo list weights) or ckpt_path=<checkpoint or run folder>"
                )
            arg = f"ckpt_path={value}"
        rewritten.append(arg)
    return rewritten
