"""Investigations, discovered by convention: every module here defines ``INVESTIGATION``.

The module ``depth_of_architecture.py`` declares the investigation ``depth-of-architecture``, whose
runs live in ``runs/depth-of-architecture/`` and whose page is ``site_src/depth-of-architecture.md``.
Modules must stay torch-free: the site imports them to learn what should have run.
"""

from __future__ import annotations

import importlib
import pkgutil

from battleground.core.records import RESERVED_FOLDERS
from battleground.core.spec import Investigation


def module_to_name(module: str) -> str:
    return module.replace("_", "-")


def source_file(name: str) -> str:
    """Where investigation ``name`` is declared, for error messages: ``experiments/<module>.py``."""
    return f"experiments/{name.replace('-', '_')}.py"


def discover() -> dict[str, Investigation]:
    """Every investigation, by name, in module order."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        investigation = getattr(module, "INVESTIGATION", None)
        if not isinstance(investigation, Investigation):
            raise TypeError(f"experiments/{info.name}.py must define INVESTIGATION = Investigation(...)")
        expected = module_to_name(info.name)
        if investigation.name != expected:
            raise ValueError(
                f"experiments/{info.name}.py: INVESTIGATION.name is {investigation.name!r}; "
                f"expected {expected!r} (the module's name with '-' for '_')"
            )
        if investigation.name in RESERVED_FOLDERS:
            raise ValueError(f"experiments/{info.name}.py: runs/{investigation.name}/ holds no run records; "
                             "name the investigation otherwise")
        found[investigation.name] = investigation
    return found


def get(name: str) -> Investigation:
    """The investigation called ``name``; the error lists the known ones."""
    investigations = discover()
    if name not in investigations:
        known = ", ".join(investigations) or "none"
        raise KeyError(f"unknown investigation {name!r}; known: {known}")
    return investigations[name]
