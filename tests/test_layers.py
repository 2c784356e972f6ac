"""The package's layers, read from every module's imports (function-level ones included): a
lower layer never imports a higher one, so that a model is usable in any PyTorch code, the data
knows no model, and predicting needs no Lightning (the project's design notes, shared/DESIGN.md).
Every top-level module and package has a rule of its own (a test checks that none is missing):
    errors                  -> imports nothing of the zoo; allowlist, vocabulary, weights: only errors
    checkpoint              -> the checkpoint format: no training, command, cli, run, Lightning
    models, data, viz       -> no task, training, command or cli module (models: no Lightning,
                               Hydra or data either)
    training                -> no task, command, cli, run or predictor module
    tasks.inference         -> no other task module, no training, command or cli module, and
                               neither Lightning, torchmetrics nor torchvision
    tasks, registry         -> no command, cli or run module
    predictor, architectures -> no training, command, cli or run module, no Lightning
    run (assembly)          -> no command or cli module
    commands, zoo/__init__  -> no cli module (zoo/__main__.py, `python -m zoo`, is the entry point)
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "zoo"
TOP = ("zoo.allowlist", "zoo.architectures", "zoo.checkpoint", "zoo.cli", "zoo.commands", "zoo.course",
       "zoo.data", "zoo.errors", "zoo.models", "zoo.predictor", "zoo.registry", "zoo.run", "zoo.tasks",
       "zoo.training", "zoo.viz", "zoo.vocabulary", "zoo.weights")  # fmt: skip
UPPER = ("zoo.tasks", "zoo.training", "zoo.commands", "zoo.cli", "zoo.course", "zoo.run", "zoo.predictor")
RUNNERS = ("zoo.commands", "zoo.cli", "zoo.run")
FORBIDDEN = {
    "zoo.errors": tuple(module for module in TOP if module != "zoo.errors"),
    "zoo.allowlist": tuple(module for module in TOP if module not in ("zoo.allowlist", "zoo.errors")),
    "zoo.vocabulary": tuple(module for module in TOP if module not in ("zoo.vocabulary", "zoo.errors")),
    "zoo.weights": tuple(module for module in TOP if module not in ("zoo.weights", "zoo.errors")),
    "zoo.checkpoint": ("zoo.training", *RUNNERS, "zoo.predictor", "zoo.course", "lightning", "torchmetrics"),
    "zoo.models": (*UPPER, "zoo.data", "zoo.checkpoint", "zoo.registry", "lightning", "hydra", "omegaconf"),
    "zoo.data": (*UPPER, "zoo.checkpoint"),
    "zoo.viz": (*UPPER, "zoo.checkpoint"),
    "zoo.training": ("zoo.tasks", *RUNNERS, "zoo.predictor"),
    "zoo.course": ("zoo.tasks", "zoo.training", *RUNNERS, "zoo.predictor", "lightning"),
    "zoo.tasks": (*RUNNERS, "zoo.predictor"),
    "zoo.tasks.inference": (*UPPER, "lightning", "torchmetrics", "torchvision"),
    "zoo.registry": (*RUNNERS, "zoo.training", "zoo.predictor", "zoo.checkpoint"),
    "zoo.predictor": (*RUNNERS, "zoo.training", "zoo.course", "lightning", "torchmetrics"),
    "zoo.architectures": (
        *RUNNERS,
        "zoo.training",
        "zoo.course",
        "zoo.predictor",
        "lightning",
        "torchmetrics",
    ),
    "zoo.run": ("zoo.commands", "zoo.cli", "zoo.predictor"),
    "zoo.commands": ("zoo.cli",),
    "zoo.cli": (),
    "zoo": ("zoo.cli",),
}


ENTRY_POINTS = ("zoo.__main__",)


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, imported module) for every import in the file, relative ones resolved."""
    found = []
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).strip(".")
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def layer_of(module: str) -> str:
    return max((layer for layer in FORBIDDEN if module == layer or module.startswith(layer + ".")), key=len)


def is_under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def violations(package: Path = PACKAGE) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        module = module_name(path, package)
        if module in ENTRY_POINTS:
            continue
        for line, name in imports(path, package):
            for forbidden in FORBIDDEN[layer_of(module)]:
                if is_under(name, forbidden) and not is_under(name, layer_of(module)):
                    found.append(f"{path.relative_to(package.parent)}:{line} ({module}) imports {name}")
    return found


def test_no_module_imports_a_higher_layer():
    assert violations() == []


def test_every_top_level_module_has_a_rule_of_its_own():
    found = {module_name(path) for path in PACKAGE.glob("*.py")} | {
        module_name(path / "__init__.py") for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()
    }
    assert found - set(ENTRY_POINTS) - {"zoo"} == set(TOP) and set(TOP) <= set(FORBIDDEN)


def test_run_assembly_importing_a_command_fails_the_check(tmp_path):
    """What the layering once allowed: zoo/run.py reaching up into zoo.commands (preflight)."""
    package = tmp_path / "zoo"
    (package / "commands").mkdir(parents=True)
    (package / "commands" / "__init__.py").write_text("")
    (package / "commands" / "preflight.py").write_text("def check_targets(config): ...\n")
    (package / "run.py").write_text(
        "def assemble(cfg):\n    from zoo.commands.preflight import check_targets\n"
    )
    assert violations(package) == ["zoo/run.py:2 (zoo.run) imports zoo.commands.preflight.check_targets"]


def test_the_check_names_file_and_line_of_an_upward_import(tmp_path):
    package = tmp_path / "zoo"
    (package / "models").mkdir(parents=True)
    (package / "models" / "__init__.py").write_text("")
    (package / "models" / "net.py").write_text("import torch\n\nfrom ..tasks import Task\n")
    (package / "data.py").write_text("import lightning\n")
    assert violations(package) == ["zoo/models/net.py:3 (zoo.models.net) imports zoo.tasks.Task"]


def test_an_inference_module_may_import_its_own_layer_but_no_task_or_lightning(tmp_path):
    inference = tmp_path / "zoo" / "tasks" / "inference"
    inference.mkdir(parents=True)
    (inference / "base.py").write_text("import torch\n")
    (inference / "kind.py").write_text(
        "from zoo.tasks.inference.base import Inference\nfrom zoo.tasks.base import Task\nimport lightning\n"
    )
    assert violations(tmp_path / "zoo") == [
        "zoo/tasks/inference/kind.py:2 (zoo.tasks.inference.kind) imports zoo.tasks.base.Task",
        "zoo/tasks/inference/kind.py:3 (zoo.tasks.inference.kind) imports lightning",
    ]


def unexplained_function_imports(package: Path = PACKAGE) -> list[str]:
    """Imports inside functions whose block has no comment on the line above (or on the line):
    `file:line module`."""
    found = []
    for path in sorted(package.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for function in ast.walk(ast.parse("\n".join(lines))):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for node in ast.walk(function):
                if not isinstance(node, ast.Import | ast.ImportFrom):
                    continue
                start = node.lineno - 1
                while start > 0 and lines[start - 1].strip().startswith(("import ", "from ")):
                    start -= 1  # the first import of this block
                above = lines[start - 1].strip() if start > 0 else ""
                if not above.startswith("#") and "#" not in lines[node.lineno - 1]:
                    module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
                    found.append(f"{path.relative_to(package.parent)}:{node.lineno} {module}")
    return found


def test_every_import_inside_a_function_says_why_it_is_not_at_the_top():
    """An import inside a function is an exception - a library loaded only when it is used, so that
    `zoo --help`, `zoo list` and predicting start fast, or an import cycle broken - and its block
    says which in a comment; everything else is imported at the top of its module."""
    assert unexplained_function_imports() == []
