"""The package's two sides: nothing in ``battleground/core/`` or ``battleground/site/`` (nor
``experiments/``, which the site imports, nor ``build.py``) reaches torch or the torch side
(``battleground.train``), directly or through another module of the project.

The imports are read from the source with ``ast``, every ``import`` statement at any depth
(a function-level import counts too), so the check holds for code paths no test happens to run.

And no module of ``battleground/`` imports itself back through others: layers import one way
(core <- helpers <- elements <- registry <- builder on the site side; engines <- loop on the
training side), so a cycle hidden by a function-level import fails here too.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TORCH_FREE = ("battleground/core", "battleground/site", "experiments")
FORBIDDEN = ("torch", "battleground.train")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute names, with ``from X import y`` giving X and X.y."""
    found: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def project_module(name: str) -> Path | None:
    for candidate in (ROOT / (name.replace(".", "/") + ".py"), ROOT / name.replace(".", "/") / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def chain_to_forbidden(start: Path) -> list[str] | None:
    """The import chain from ``start`` to a forbidden module, or None."""
    seen, todo = {start}, [(start, [module_name(start)])]
    while todo:
        path, chain = todo.pop()
        for name in sorted(imports(path)):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN):
                return [*chain, name]
            target = project_module(name)
            if target is not None and target not in seen:
                seen.add(target)
                todo.append((target, [*chain, name]))
    return None


def torch_free_files() -> list[Path]:
    files = [ROOT / "build.py"]
    for folder in TORCH_FREE:
        files += sorted((ROOT / folder).rglob("*.py"))
    return files


def test_core_site_and_experiments_never_reach_torch_or_the_torch_side():
    offenders = {}
    for path in torch_free_files():
        chain = chain_to_forbidden(path)
        if chain:
            offenders[str(path.relative_to(ROOT))] = " -> ".join(chain)
    assert not offenders, offenders


def test_the_walk_finds_a_forbidden_import_through_another_module(tmp_path, monkeypatch):
    # The guard itself must be able to fail: a torch-free-looking module that imports one that
    # imports the torch side is caught, with the chain.
    fake = tmp_path / "pkg"
    fake.mkdir()
    (fake / "__init__.py").write_text("", encoding="utf-8")
    (fake / "a.py").write_text("def f():\n    from . import b\n", encoding="utf-8")
    (fake / "b.py").write_text("from battleground.train import loop\n", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert chain_to_forbidden(fake / "a.py") == ["pkg.a", "pkg.b", "battleground.train"]


# --- import cycles --------------------------------------------------------------------------------


def module_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of ``modules`` that ``path`` imports. ``from package import module`` depends on
    that module, not on the package's ``__init__`` (Python runs a package's ``__init__`` before any
    of its modules whatever the code says, so that edge is no choice of the code's); a name that is
    no module (a function, a class) depends on the package or module that defines it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(path, node)
            taken = [f"{base}.{alias.name}" for alias in node.names]
            found.update(name for name in taken if name in modules)
            if base in modules and any(name not in modules for name in taken):
                found.add(base)
    found.discard(module_name(path))
    return found


def _absolute(path: Path, node: ast.ImportFrom) -> str:
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
        base = ".".join([*anchor, base] if base else anchor)
    return base


def import_cycles(folder: Path) -> list[list[str]]:
    """Every import cycle among the modules under ``folder``, each as the chain of modules that
    closes it (``a -> b -> a``), found by a depth-first walk."""
    modules = {module_name(p): p for p in sorted(folder.rglob("*.py"))}
    graph = {name: sorted(module_imports(path, modules)) for name, path in modules.items()}
    cycles, done, stack = [], set(), []

    def walk(name: str) -> None:
        stack.append(name)
        for target in graph[name]:
            if target in stack:
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in done:
                walk(target)
        stack.pop()
        done.add(name)

    for name in graph:
        if name not in done:
            walk(name)
    return cycles


def test_no_module_of_the_package_imports_itself_back_through_others():
    cycles = import_cycles(ROOT / "battleground")
    assert not cycles, "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_cycle_check_sees_a_cycle_closed_inside_a_function(tmp_path, monkeypatch):
    # The guard must be able to fail: a helper that imports an element inside a function, where
    # the element imports the helper at the top, is a cycle; a package importing its own modules
    # from its __init__, and those modules importing each other one way, is none.
    fake = tmp_path / "pkg"
    (fake / "sub").mkdir(parents=True)
    (fake / "__init__.py").write_text("", encoding="utf-8")
    (fake / "sub" / "__init__.py").write_text("from pkg.sub import leaf\n", encoding="utf-8")
    (fake / "sub" / "leaf.py").write_text("from pkg.sub import other\n", encoding="utf-8")
    (fake / "sub" / "other.py").write_text("", encoding="utf-8")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert import_cycles(fake) == []
    (fake / "helper.py").write_text("def f():\n    from pkg import element\n", encoding="utf-8")
    (fake / "element.py").write_text("from pkg.helper import f\n", encoding="utf-8")
    assert import_cycles(fake) == [["pkg.element", "pkg.helper", "pkg.element"]]
