"""The composition root: the one package that may import every other one.

`bot/` is the shell (it never imports features), `handlers/` are the features, `scheduler/` turns rows
into timers, `storage/` speaks SQL. Entry points (the `edunet` command, `edunet serve`, the console)
live here and wire them together; `build_app` is how anything outside the core gets a working App.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the package is imported by `edunet --help`, which must stay light
    from bot.app import App
    from bot.config import Settings


def build_app(settings: Settings, **kwargs: Any) -> App:
    """An App with every feature's router (the one place that chooses the feature set)."""
    from bot.app import App
    from handlers import build_router

    kwargs.setdefault("router", build_router())
    return App(settings, **kwargs)
