"""Investigations, discovered by convention: every module here defines ``INVESTIGATION``.

The module ``depth_of_architecture.py`` declares the investigation ``depth-of-architecture``, whose
runs live in ``runs/depth-of-architecture/`` and whose page is ``site_src/depth-of-architecture.md``.
Modules must stay torch-free: the site imports them to learn what should have run.

``$BATTLEGROUND_EXPERIMENTS`` names more folders of such modules (``os.pathsep``-separated), found
after this one's: a scratch investigation, or one a test writes, without touching the package.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
import sys
from pathlib import Path

from battleground.core.records import RESERVED_FOLDERS
from battleground.core.spec import Investigation

EXTRA_ENV = "BATTLEGROUND_EXPERIMENTS"
_SOURCES: dict[str, str] = {}  # investigation name -> the file that declares it, as errors name it


class DeclarationError(ValueError):
    """An experiment module that cannot be used; the message starts with its path."""


def module_to_name(module: str) -> str:
    return module.replace("_", "-")


def source_file(name: str) -> str:
    """Where investigation ``name`` is declared, for error messages: ``experiments/<module>.py``."""
    return _SOURCES.get(name, f"experiments/{name.replace('-', '_')}.py")


def _modules() -> list[tuple[str, str, object]]:
    """``(module name, path for messages, loader)`` of every experiment module, package first."""
    found = [(m.name, f"experiments/{m.name}.py", lambda m=m: importlib.import_module(f"{__name__}.{m.name}"))
             for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name)]
    for folder in filter(None, os.environ.get(EXTRA_ENV, "").split(os.pathsep)):
        for file in sorted(Path(folder).glob("*.py")):
            found.append((file.stem, str(file), lambda file=file: _load_file(file)))
    return [entry for entry in found if not entry[0].startswith("_")]


def _load_file(file: Path):
    key = f"{__name__}._extra_{file.stem}"
    spec = importlib.util.spec_from_file_location(key, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[key] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[key]
        raise
    return module


def discover() -> dict[str, Investigation]:
    """Every investigation, by name, in module order. A module that fails to import (a variant
    naming something the catalogue lacks, say) is a :class:`DeclarationError` naming its file."""
    found = {}
    for module_name, path, load in _modules():
        try:
            module = load()
        except Exception as error:  # noqa: BLE001 - any failure here is the module's declaration
            raise DeclarationError(f"{path}: {error}") from error
        investigation = getattr(module, "INVESTIGATION", None)
        if not isinstance(investigation, Investigation):
            raise DeclarationError(f"{path} must define INVESTIGATION = Investigation(...)")
        expected = module_to_name(module_name)
        if investigation.name != expected:
            raise DeclarationError(
                f"{path}: INVESTIGATION.name is {investigation.name!r}; "
                f"expected {expected!r} (the module's name with '-' for '_')"
            )
        if investigation.name in RESERVED_FOLDERS:
            raise DeclarationError(f"{path}: runs/{investigation.name}/ holds no run records; "
                                   "name the investigation otherwise")
        if investigation.name in found:
            raise DeclarationError(f"{path}: investigation {investigation.name!r} is declared twice")
        _SOURCES[investigation.name] = path
        found[investigation.name] = investigation
    return found


def get(name: str) -> Investigation:
    """The investigation called ``name``; the error lists the known ones."""
    investigations = discover()
    if name not in investigations:
        known = ", ".join(investigations) or "none"
        raise KeyError(f"unknown investigation {name!r}; known: {known}")
    return investigations[name]
