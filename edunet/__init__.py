"""The composition root: the one package that may import every other one.

`bot/` is the shell (it never imports features or platforms), `handlers/` are the features,
`bot/adapters/<name>/` the platforms (found by `bot.adapters.discover`), `scheduler/` turns rows into
timers, `storage/` speaks SQL. Entry points (the `edunet` command, `edunet serve`, the console) live
here and wire them together; `build_app` is how anything outside the core gets a working App.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the package is imported by `edunet --help`, which must stay light
    from bot.adapters import AdapterSpec
    from bot.app import App
    from bot.config import Settings


def build_app(settings: Settings, *, specs: list[AdapterSpec] | None = None, features: bool = True,
              **kwargs: Any) -> App:
    """An App with every feature's router and every discovered platform (the one place that
    chooses the feature set and the platforms). ``features=False``: no feature at all (a receiving
    process, which stores events and handles none, need not import them)."""
    from bot.adapters import discover
    from bot.app import App

    if features:
        from handlers import build_router

        kwargs.setdefault("router", build_router())
    else:
        from bot.router import Router

        kwargs.setdefault("router", Router())
    kwargs.setdefault("platforms", [spec.info for spec in (discover() if specs is None else specs)])
    return App(settings, **kwargs)
