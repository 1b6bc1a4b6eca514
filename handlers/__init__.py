"""Features. Each module defines ``router`` (a :class:`bot.router.Router`) and is found
here automatically; ``ORDER`` (default 100) sets where its commands appear in /help."""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from bot.router import Router


def feature_modules() -> list[ModuleType]:
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
