"""What the core knows of a platform: its name, what people call it, and what a push costs.

The composition root hands the App one :class:`PlatformInfo` per discovered adapter
(``bot.adapters.AdapterSpec.info``); the core and the features never import adapters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # discovering the platforms (`edunet --help`) must not load the database layer
    from sqlalchemy.ext.asyncio import AsyncConnection

    from bot.i18n import Translator
    from bot.model import Reply
    from storage.membership import Chat, Member


@dataclass(frozen=True)
class DeliveryCost:
    """The estimated price of one push to an audience on a platform that bills pushes.

    ``messages``: what counts against the platform's quota; ``unknown_groups``: groups whose
    size is not known yet (each counted as 1); ``platform``: the platform's display name.
    """

    pushes: int
    messages: int
    unknown_groups: int = 0
    platform: str = ""


class CostEstimator(Protocol):
    """Estimates a push to ``groups`` and ``people`` (all on the estimator's platform)."""

    async def __call__(self, conn: AsyncConnection, network_id: int, groups: Sequence[Chat],
                      people: Sequence[Member]) -> DeliveryCost: ...


@dataclass(frozen=True)
class InAppUser:
    """Who the platform says opened a web page inside its app: their platform user id (what
    members store as ``platform_user_id``) and the name the platform gave."""

    user_id: str
    display_name: str = ""


class SignInRefused(Exception):
    """The platform did not vouch for the page's sign-in token. ``reason``: ``expired``,
    ``audience`` (issued to another app), ``invalid`` or ``unavailable`` (the platform could not be asked)."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class TokenVerifier(Protocol):
    """Asks the platform who a page's sign-in token belongs to; raises :class:`SignInRefused`."""

    async def __call__(self, token: str, now: datetime) -> InAppUser: ...


class ShareRenderer(Protocol):
    """Neutral replies as the platform's message objects for its share picker (JSON-ready)."""

    async def __call__(self, replies: Sequence[Reply], translator: Translator) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class InAppWeb:
    """A platform's web apps inside its chat app (LINE: LIFF), as the web view needs them.

    The page loads ``sdk_url`` (an ES module when it ends in ``.mjs``) and ``client_script``
    (JavaScript offering ``window.EduNetInApp = {start(config), share(messages)}``: ``start``
    resolves to the platform's sign-in token, ``share`` to ``"sent"``, ``"cancelled"`` or
    ``"unavailable"``); the server checks the token with ``verify``, never trusting a user id
    the page sends. ``app_id`` is the platform's id of the web app, ``open_url`` the address
    that opens a path of the web view inside the chat app (``open_url + path``);
    ``script_origins`` and ``connect_origins`` are added to the page's Content-Security-Policy.
    """

    app_id: str
    sdk_url: str
    client_script: str
    verify: TokenVerifier
    share_messages: ShareRenderer | None = None
    open_url: str = ""
    script_origins: tuple[str, ...] = ()
    connect_origins: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlatformInfo:
    name: str
    display_name: str
    delivery_cost: CostEstimator | None = None
    # The platform's in-app web pages (LINE's LIFF), when its settings configure them.
    in_app: InAppWeb | None = None
