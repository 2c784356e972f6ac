"""`zoo <command> --help`: the command's own usage and options, read from its row of the command
table and from configs/<command>.yaml (each top-level key, its default and its comment), so the
help always matches the config. Hydra's own help (config groups, flags) stays at --hydra-help.
No Hydra or torch is imported: help is instant.
"""

from __future__ import annotations

import re
import textwrap

from zoo.commands.table import command
from zoo.registry import config_dir, options

WIDTH = 100  # columns the option comments are wrapped to
KEY_LINE = re.compile(r"^([A-Za-z_]\w*):\s*(.*)$")


def command_help(name: str) -> str:
    row = command(name)
    first, *rest = row.help.splitlines()
    lines = [f"usage: zoo {name} [key=value ...]", "", first, *rest, ""]
    groups, keys = config_options(name)
    if groups:
        lines.append("groups (zoo list <group> shows each option):")
        width = max(len(f"{group}={default}") for group, default in groups)
        lines += [
            f"  {f'{group}={default}':<{width}}  {len(options(group))} options" for group, default in groups
        ]
        lines.append("")
    if keys:
        lines.append("options (key=default):")
        width = min(max(len(f"{key}={value}") for key, value, _ in keys), 34)
        for key, value, comment in keys:
            setting = f"{key}={value}"
            wrapped = textwrap.wrap(comment, WIDTH - width - 4) or [""]
            if len(setting) > width:  # its comment starts on the next line
                lines.append(f"  {setting}")
                wrapped = [line for line in wrapped if line] or []
                lines += [f"  {'':<{width}}  {line}" for line in wrapped]
                continue
            lines.append(f"  {setting:<{width}}  {wrapped[0]}".rstrip())
            lines += [f"  {'':<{width}}  {line}" for line in wrapped[1:]]
        lines.append("")
    lines.append("Hydra's flags: --cfg job (the composed config), -m (a sweep), --hydra-help.")
    return "\n".join(lines)


def config_options(name: str) -> tuple[list[tuple[str, str]], list[tuple[str, str, str]]]:
    """([(group, default choice)], [(key, default, comment)]) of configs/<name>.yaml: each
    top-level key with its inline comment, else the comment lines just above it."""
    path = config_dir() / f"{name}.yaml"
    if not path.is_file():
        return [], []
    groups: list[tuple[str, str]] = []
    keys: list[tuple[str, str, str]] = []
    comment: list[str] = []
    in_defaults = False
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:  # the first line describes the file
        stripped = line.strip()
        if in_defaults and line.startswith("  - "):
            group, _, choice = stripped[2:].partition(":")
            choice = choice.split("#")[0].strip()
            if choice and group not in ("hydra", "paths"):
                groups.append((group.strip(), choice))
            continue
        in_defaults = False
        if stripped.startswith("#"):
            comment.append(stripped.lstrip("#").strip())
            continue
        match = KEY_LINE.match(line)
        if match is None:
            comment = [] if not stripped else comment
            continue
        key, value = match.groups()
        if key == "defaults":
            in_defaults = True
        elif key not in ("hydra",):
            value, _, inline = value.partition("  #")
            text = inline.strip() or " ".join(comment)
            keys.append((key, value.strip() or "{...}", text))
        comment = []
    return groups, keys
