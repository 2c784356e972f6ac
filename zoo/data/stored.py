"""Checks on a data module's state as a checkpoint or an export's config.json stores it: someone
else's data, read before predicting. Each value must be of the type and size the module uses
(an allowlist of keys and kinds), so a `mean` of the wrong length, a class count written as text
or a non-finite std is one ZooError line naming the key, not a broadcast that silently gives other
answers or a traceback."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from zoo.errors import ZooError


def is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


def is_finite_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def is_positive_number(value: Any) -> bool:
    return is_finite_number(value) and value > 0


def numbers(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: isinstance(value, list) and len(value) >= 1 and all(map(test, value))


def is_names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(name, str) for name in value)


# key -> (test, what it must be); a None value means "not set" and always passes
Rules = dict[str, tuple[Callable[[Any], bool], str]]
COMMON: Rules = {
    "class_names": (is_names, "a list of strings"),
    "num_classes": (is_count, "a positive integer"),
    "mean": (numbers(is_finite_number), "a list of finite numbers"),
    "std": (numbers(is_positive_number), "a list of positive numbers"),
}


def check_stored_state(owner: str, state: Any, rules: Rules) -> dict[str, Any]:
    """`state` if each of its values passes its rule; else one ZooError line."""
    if not isinstance(state, dict):
        raise ZooError(f"the stored state of {owner} is {type(state).__name__}, not a dict")
    for key, (test, wanted) in {**COMMON, **rules}.items():
        value = state.get(key)
        if value is not None and not test(value):
            shown = repr(value) if len(repr(value)) < 60 else repr(value)[:57] + "..."
            raise ZooError(
                f"the stored state of {owner}: {key} must be {wanted}, got {shown} (a {type(value).__name__})"
            )
    return state


def check_lengths(owner: str, state: dict[str, Any], size: Any, what: str) -> None:
    """mean and std, when stored, hold one value per `what` (`size` of them)."""
    for key in ("mean", "std"):
        if state.get(key) is not None and size is not None and len(state[key]) != size:
            raise ZooError(
                f"the stored state of {owner}: {key} has {len(state[key])} values for {size} {what}"
            )
