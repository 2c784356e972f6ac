"""LightningModules, one per learning task. A model config composes a task around a net.

`build_task` and `zoo.checkpoint.restore` accept only task classes that running code has defined
(zoo.tasks.base.TASKS: the zoo's own, and any subclass of Task a program defines), and the task
accepts only nets defined in zoo.models: config and checkpoint data can name nothing else.

Importing this package imports no task module (they import Lightning): `from zoo.tasks import
Classifier` imports zoo.tasks.classify then, so that zoo.tasks.inference, which predicting uses,
stays free of Lightning.
"""

from __future__ import annotations

import importlib
from typing import Any

from zoo.errors import ZooError

# The module of each class this package exports
EXPORTS = {
    "Task": "base",
    "Classifier": "classify",
    "Regressor": "classify",
    "LanguageModel": "language",
    "Tagger": "tag",
    "Seq2Seq": "seq2seq",
    "MaskedLM": "masked",
    "WordEmbedding": "embed",
}
__all__ = [*EXPORTS, "build_task", "resolve_task_class"]
NON_TASK_KEYS = ("_target_", "_recursive_", "_convert_")


def __getattr__(name: str) -> Any:
    if name in EXPORTS:
        return getattr(importlib.import_module(f"zoo.tasks.{EXPORTS[name]}"), name)
    raise AttributeError(f"module 'zoo.tasks' has no attribute {name!r}")


def resolve_task_class(target: str) -> Any:
    """The task class a config or checkpoint names: the zoo's own (defined here on first use)
    or one that running code defined."""
    # zoo.tasks.base imports Lightning: this package loads it only when a task class is resolved
    from zoo.tasks.base import TASKS

    for module in sorted(set(EXPORTS.values())):
        importlib.import_module(f"zoo.tasks.{module}")
    try:
        return TASKS[target]
    except (KeyError, TypeError):
        known = ", ".join(name for name in TASKS if name.count(".") == 2)
        raise ZooError(f"unknown task {target!r}; the zoo has {known}") from None


def inference_target(task_target: Any) -> str:
    """The dotted name of the zoo's Inference class of one of its task classes (no Lightning is
    imported to find it): zoo.tasks.Classifier -> zoo.tasks.inference.classify.ClassifierInference."""
    name = task_target.rpartition(".")[2] if isinstance(task_target, str) else None
    if not isinstance(task_target, str) or task_target != f"zoo.tasks.{name}" or name not in EXPORTS:
        raise ZooError(f"unknown task {task_target!r}; the zoo has {', '.join(EXPORTS)}")
    return f"zoo.tasks.inference.{EXPORTS[name]}.{name}Inference"


def build_task(model_config: dict[str, Any], **training: Any) -> Any:
    """Build a task from a model config (plain dict) plus optimizer/scheduler/regularizer configs."""
    kwargs = {key: value for key, value in model_config.items() if key not in NON_TASK_KEYS}
    cls = resolve_task_class(model_config.get("_target_"))
    try:
        return cls(**kwargs, **training)
    except (TypeError, ValueError, RuntimeError) as error:  # RuntimeError: a negative layer size
        raise ZooError(f"cannot build the model: {error}") from None
