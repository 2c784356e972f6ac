"""The package's layers, read from every module's imports: a lower layer never imports a higher
one, so that a model is usable in any PyTorch code and the data knows no model (DESIGN.md).
    models, data, viz  -> import no task, training, command or cli module (models: no Lightning,
                          Hydra or data either)
    training           -> imports no task, command or cli module
    tasks.inference    -> imports no other task module, no training, command or cli module, and
                          neither Lightning, torchmetrics nor torchvision (predicting needs none)
    nothing            -> imports zoo.cli (but zoo/__main__.py, which is `python -m zoo`)
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "zoo"
UPPER = ("zoo.tasks", "zoo.training", "zoo.commands", "zoo.cli", "zoo.course")
FORBIDDEN = {
    "zoo.models": (*UPPER, "zoo.data", "lightning", "hydra", "omegaconf"),
    "zoo.data": UPPER,
    "zoo.viz": UPPER,
    "zoo.training": ("zoo.tasks", "zoo.commands", "zoo.cli"),
    "zoo.course": ("zoo.tasks", "zoo.training", "zoo.commands", "zoo.cli", "lightning"),
    "zoo.tasks.inference": (*UPPER, "lightning", "torchmetrics", "torchvision"),
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
