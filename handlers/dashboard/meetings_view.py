"""The web view's meetings: the academic year's meetings with RSVP counts and attendance, and one
meeting's page with its minutes (decisions). Read-only for everyone who may sign in: the network's
meetings are the network's (as /meetings in the chat); RSVPs, attendance and minutes are kept from
the meeting's card in the chat."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from handlers.dashboard.web import STAFF_VIEW, PageRequest, Route
from handlers.dashboard.webctx import year_bounds
from handlers.meetings import KIND_LABELS
from storage.meetings import Meeting, MeetingRepo


async def meeting_row(page: PageRequest, meeting: Meeting) -> dict[str, Any]:
    t, repo = page.t, MeetingRepo(page.conn)
    tz = ZoneInfo(page.network.timezone)
    counts = await repo.counts(page.network.id, meeting.id)
    minutes = await repo.minutes(page.network.id, meeting.id)
    return {"number": meeting.number, "title": meeting.title, "when": t.datetime(meeting.starts_at.astimezone(tz)),
            "kind": t(KIND_LABELS.get(meeting.kind, KIND_LABELS["members"])), "place": meeting.place,
            "agenda": meeting.agenda, "yes": counts.get("yes", 0), "maybe": counts.get("maybe", 0),
            "no": counts.get("no", 0), "attended": await repo.attendance_count(page.network.id, meeting.id),
            "past": meeting.starts_at <= page.app.clock.now(), "decisions": minutes.decisions if minutes else [],
            "has_minutes": minutes is not None, "minutes_at": t.date(minutes.recorded_at.astimezone(tz).date())
            if minutes else ""}


async def meetings_page(page: PageRequest) -> web.StreamResponse:
    year, start, end = year_bounds(page)
    found = await MeetingRepo(page.conn).recent(page.network.id, start, end, limit=500)
    rows = [await meeting_row(page, m) for m in found]
    upcoming = [r for r in rows if not r["past"]][::-1]
    return page.render("meetings.html", page_name="meetings", upcoming=upcoming,
                       held=[r for r in rows if r["past"]], year=year)


async def meeting_page(page: PageRequest) -> web.StreamResponse:
    t = page.t
    raw = page.request.match_info.get("number", "")
    meeting = await MeetingRepo(page.conn).by_number(page.network.id, int(raw)) if raw.isdigit() else None
    if meeting is None:
        return page.render("message.html", title=t("Not found"), text=t("There is no meeting number {n}.", n=raw))
    return page.render("meeting.html", page_name="meetings", m=await meeting_row(page, meeting),
                       cancelled=meeting.status != "scheduled")


ROUTES: tuple[Route, ...] = (
    Route("GET", "/meetings", meetings_page, STAFF_VIEW),
    Route("GET", "/meetings/{number}", meeting_page, STAFF_VIEW),
)
