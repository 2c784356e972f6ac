"""LightningModules, one per learning task. A model config composes a task around a net.

`build_task` and `task_from_checkpoint` accept only task classes that running code has defined
(zoo.tasks.base.TASKS: the zoo's own, and any subclass of Task a program defines), and the task
accepts only nets defined in zoo.models: config and checkpoint data can name nothing else.
"""

from __future__ import annotations

from typing import Any

from zoo.errors import ZooError
from zoo.tasks.base import TASKS, Task
from zoo.tasks.classify import Classifier, Regressor
from zoo.tasks.embed import WordEmbedding
from zoo.tasks.language import LanguageModel
from zoo.tasks.masked import MaskedLM
from zoo.tasks.seq2seq import Seq2Seq
from zoo.tasks.tag import Tagger

__all__ = [
    "Task",
    "Classifier",
    "Regressor",
    "LanguageModel",
    "Tagger",
    "Seq2Seq",
    "MaskedLM",
    "WordEmbedding",
    "build_task",
    "task_from_checkpoint",
    "resolve_task_class",
]

NON_TASK_KEYS = ("_target_", "_recursive_", "_convert_")


def resolve_task_class(target: str) -> type[Task]:
    try:
        return TASKS[target]
    except (KeyError, TypeError):
        known = ", ".join(name for name in TASKS if name.count(".") == 2)
        raise ZooError(f"unknown task {target!r}; the zoo has {known}") from None


def build_task(model_config: dict[str, Any], **training: Any) -> Task:
    """Build a task from a model config (plain dict) plus optimizer/scheduler/regularizer configs."""
    kwargs = {key: value for key, value in model_config.items() if key not in NON_TASK_KEYS}
    cls = resolve_task_class(model_config.get("_target_"))
    try:
        return cls(**kwargs, **training)
    except (TypeError, ValueError, RuntimeError) as error:  # RuntimeError: a negative layer size
        raise ZooError(f"cannot build the model: {error}") from None


def task_from_checkpoint(checkpoint: dict[str, Any]) -> Task:
    """Rebuild the trained task from a checkpoint dict read by zoo.training.checkpoint."""
    from zoo.training.checkpoint import task_target

    cls = resolve_task_class(task_target(checkpoint))
    try:
        task = cls(**checkpoint["hyper_parameters"])
        task.load_state_dict(checkpoint["state_dict"])
    except (TypeError, ValueError, RuntimeError, KeyError) as error:
        raise ZooError(f"checkpoint does not match its model: {error}") from None
    return task.eval()
