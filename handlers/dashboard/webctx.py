"""What the new pages share: a feature context on the page's transaction (the features' own read and
write functions take one), and the academic year's bounds."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.academic import AcademicCalendar
from bot.context import BaseContext
from handlers.dashboard.web import PageRequest


class WebContext(BaseContext):
    """A :class:`BaseContext` for a signed-in page: audits name the viewer as the actor."""

    def __init__(self, page: PageRequest) -> None:
        super().__init__(page.app, page.conn, page.network, page.member.language or page.network.language)
        self.viewer_id = page.member.id

    @property
    def actor_id(self) -> int | None:
        return self.viewer_id


def web_context(page: PageRequest) -> WebContext:
    return WebContext(page)


def year_of(page: PageRequest, raw: str | None = None) -> int:
    """The academic year asked for (``?year=2569``), else the current one."""
    calendar = AcademicCalendar.from_settings(page.network.settings)
    if raw and raw.isdigit() and 2400 <= int(raw) <= 2700:
        return int(raw)
    return calendar.year_of(page.app.clock.now().astimezone(ZoneInfo(page.network.timezone)).date())


def year_bounds(page: PageRequest, year: int | None = None) -> tuple[int, datetime, datetime]:
    network = page.network
    tz = ZoneInfo(network.timezone)
    year = year or year_of(page)
    span = AcademicCalendar.from_settings(network.settings).year(year)
    return year, datetime.combine(span.start, time(), tz), datetime.combine(span.end, time(), tz)
