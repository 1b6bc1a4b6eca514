"""Features. Each feature is a module (``handlers/summary.py``) or a package
(``handlers/surveys/``, whose ``__init__`` composes its modules' routers) that defines
``router`` (a :class:`bot.router.Router`); it is found here automatically. ``ORDER``
(default 100) sets where its commands appear in /help. Names starting with ``_`` are
shared helpers (``handlers/_common/``), not features. Features import each other only
through a package's ``__init__`` (import-linter checks this)."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from bot.router import Router


def feature_modules() -> list[ModuleType]:
    """Every feature module or package, in /help order."""
    modules = [importlib.import_module(f"{__name__}.{info.name}") for info in pkgutil.iter_modules(__path__)
               if not info.name.startswith("_")]
    modules = [m for m in modules if isinstance(getattr(m, "router", None), Router)]
    return sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__))


def build_router() -> Router:
    """One router holding every feature's routes."""
    root = Router()
    for module in feature_modules():
        root.include(module.router)
    return root
