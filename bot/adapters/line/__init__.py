"""LINE: signed webhooks into a durable inbox, Flex rendering, reply tokens first, pushes
through the outbox (paced by :data:`bot.adapters.line.rate.RATE_PROFILE`), cost counting,
rich menu and ``edunet line …``. Configured by ``LINE_*`` (:mod:`bot.adapters.line.settings`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.adapters import AdapterSpec, Commands, Doctor
from bot.adapters.line.cli import add_commands, run_line_command
from bot.adapters.line.cost import estimate
from bot.adapters.line.rate import RATE_PROFILE
from bot.adapters.line import doctor
from bot.adapters.line.liff import in_app
from bot.adapters.line.settings import LineSettings

if TYPE_CHECKING:
    from bot.adapters import Adapter, Receiver
    from bot.app import App
    from bot.web import WebServer


def enabled(settings: LineSettings) -> bool:
    return bool(settings.channel_secret and settings.channel_access_token)


def billed(settings: LineSettings) -> bool:
    """Every push is billed per recipient, unless free delivery is switched off (LINE_FREE_DELIVERY=0)."""
    return settings.free_delivery


def build(app: App, web: WebServer, settings: LineSettings) -> Adapter:
    from bot.adapters.line.adapter import LineAdapter

    return LineAdapter(app, settings, web)


def build_receiver(app: App, web: WebServer, settings: LineSettings) -> Receiver:
    """The webhook and media only: no Messaging API client (issue 18: a small receiving process)."""
    from bot.adapters.line.receiver import LineReceiver

    return LineReceiver(app, settings, web)


SPEC = AdapterSpec(
    name="line",
    display_name="LINE",
    settings_model=LineSettings,
    enabled=enabled,
    build=build,
    build_receiver=build_receiver,
    required="LINE_CHANNEL_SECRET and LINE_CHANNEL_ACCESS_TOKEN",
    rate_profile=RATE_PROFILE,
    doctor=Doctor(doctor.settings_problems, doctor.url_problems, doctor.checks, needs_public_url=True),
    commands=Commands(help="LINE Official Account set-up", add=add_commands, run=run_line_command),
    delivery_cost=estimate,
    billed=billed,
    in_app=in_app,
)
