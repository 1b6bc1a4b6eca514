"""Platform adapters: one folder per platform (``bot/adapters/<name>/``).

Each folder turns its platform's updates into neutral events, renders neutral replies
natively and provides the outbox :class:`bot.outbox.Sender` for its platform; its
``__init__`` exposes ``SPEC``, an :class:`AdapterSpec` saying how to configure, build, pace
and manage it. The composition root (``edunet``) finds every spec with :func:`discover`:
``edunet serve`` starts each one whose settings are complete, the console plays them all,
and the ``edunet`` command gets their sub-commands. Adding a platform is adding a folder.

The core (``bot`` outside this package) never imports adapters, and adapters never import
each other (import-linter contracts in pyproject.toml).
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from pydantic_settings import BaseSettings

from bot.platforms import CostEstimator, InAppWeb, PlatformInfo

if TYPE_CHECKING:  # `edunet --help` discovers the specs: keep this module light
    import aiohttp

    from bot.checks import Check
    from bot.outbox import Sender
    from bot.ratelimit import RateProfile
    from bot.app import App
    from bot.config import Settings
    from bot.router import Router
    from bot.web import WebServer


class Receiver(Protocol):
    """What a receiving process runs of a platform: it stores what arrives, answers nothing."""

    @property
    def platform(self) -> str: ...

    async def start(self) -> None:
        """Begin receiving (register webhook routes before the web server starts, or start polling)."""
        ...

    async def stop(self) -> None:
        ...


class Adapter(Receiver, Protocol):
    """A whole platform: receives, and answers through its :class:`bot.outbox.Sender`."""

    @property
    def sender(self) -> Sender: ...


@dataclass(frozen=True)
class Commands:
    """``edunet <platform> …`` sub-commands: ``add(parser)`` declares them on the platform's
    sub-parser; ``run(settings, platform_settings, args, router)`` runs one (exit status)."""

    help: str
    add: Callable[[argparse.ArgumentParser], None]
    run: Callable[[Settings, Any, argparse.Namespace, Router], Coroutine[Any, Any, int]]


@dataclass(frozen=True)
class Doctor:
    """A platform's part of ``edunet doctor``: problems that belong on the "settings" and "public URL"
    lines (lists of sentences saying what to set), then its own checks against the platform's API.
    ``needs_public_url``: the platform fetches files from the bot's server (LINE)."""

    settings_problems: Callable[[Settings, Any], list[str]]
    url_problems: Callable[[Settings, Any], list[str]]
    checks: Callable[[Settings, Any, aiohttp.ClientSession], Coroutine[Any, Any, list[Check]]]
    needs_public_url: bool = False


@dataclass(frozen=True)
class AdapterSpec:
    """What the composition root needs to know about a platform.

    ``name`` is what chats, members and outbox rows store as their platform;
    ``settings_model`` reads the platform's own environment variables (its env prefix,
    e.g. ``LINE_``); ``enabled(platform_settings)`` says whether they are complete enough
    to serve; ``build(app, web, platform_settings)`` makes the adapter (imports of the
    platform SDK belong inside it, so discovery stays cheap); ``required`` names the
    variables to set, for the "nothing configured" message; ``billed(platform_settings)`` says
    whether its pushes cost money.
    """

    name: str
    display_name: str
    settings_model: type[BaseSettings]
    enabled: Callable[[Any], bool]
    build: Callable[[App, WebServer, Any], Adapter]
    required: str
    rate_profile: RateProfile | None = None
    commands: Commands | None = None
    delivery_cost: CostEstimator | None = None
    doctor: Doctor | None = None
    # Whether pushes cost money under these platform settings (LINE: one message per recipient):
    # the composition root then lets what can wait ride on free replies (bot/catchup.py).
    billed: Callable[[Any], bool] | None = None
    # The platform's web apps inside its chat app under these settings (LINE: LIFF sign-in and
    # the share picker), or None when they are not configured.
    in_app: Callable[[Any], InAppWeb | None] | None = None
    # The adapter of a receiving process (``EDUNET_PROCESSES=2``): it stores what arrives in the
    # inbox and answers nothing, so it may leave out the platform's API client (and the process,
    # the features). None: the receiver runs ``build``'s adapter, whose inbox only stores there.
    build_receiver: Callable[[App, WebServer, Any], Receiver] | None = None

    def settings(self, **values: Any) -> BaseSettings:
        """The platform's settings from the environment (``values`` override it)."""
        return self.settings_model(**values)

    @property
    def info(self) -> PlatformInfo:
        """What the core may know of this platform (handed to the App)."""
        return PlatformInfo(name=self.name, display_name=self.display_name, delivery_cost=self.delivery_cost,
                            in_app=self.in_app(self.settings()) if self.in_app is not None else None)


def discover(package: str = __name__) -> list[AdapterSpec]:
    """Every ``SPEC`` exposed by a sub-package of ``package``, in name order."""
    root = importlib.import_module(package)
    specs: list[AdapterSpec] = []
    for module in sorted(pkgutil.iter_modules(root.__path__), key=lambda m: m.name):
        if not module.ispkg:
            continue
        spec = getattr(importlib.import_module(f"{package}.{module.name}"), "SPEC", None)
        if isinstance(spec, AdapterSpec):
            specs.append(spec)
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise RuntimeError(f"two adapters claim the same platform name: {names}")
    return specs
