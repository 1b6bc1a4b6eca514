"""What the PLC logbook's parts share: the yearly target, the academic year, finding the
group a facilitator means, the check-in window and the session card."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.args import parse_whole
from bot.academic import AcademicCalendar, AcademicInputError, Span
from bot.context import BaseContext, Context, MemberContext
from bot.i18n import Translator
from bot.model import Button, Card
from bot.payload import encode
from bot.roles import Role
from handlers._common.groups import duration_text
from handlers.plc.vocabulary import step_text
from storage.membership import Member, Network
from storage.plc import Attendee, PlcGroup, PlcGroupRepo, PlcSession, PlcSessionRepo

DEFAULT_TARGET_HOURS = 50
MAX_TARGET_HOURS = 1000
TARGET_SETTING = "plc_target_hours"
# Teachers take part in PLC; a coordinator may facilitate or join one as well.
PLC_ROLES = frozenset({Role.COORDINATOR, Role.TEACHER})
# Check-in by tap is open from shortly before the start until an hour after the end.
CHECKIN_EARLY = timedelta(minutes=30)
CHECKIN_LATE = timedelta(hours=1)

_GROUP_WORD = re.compile(r"(?:^|\s)(?:กลุ่ม|group)\s*#?\s*([0-9๐-๙]+)(?=\s|$)", re.I)


def target_hours(network: Network | None) -> int:
    """The network's yearly PLC target in hours (a coordinator sets it; 50 by default)."""
    value = (network.settings if network else {}).get(TARGET_SETTING)
    return value if isinstance(value, int) and 0 < value <= MAX_TARGET_HOURS else DEFAULT_TARGET_HOURS


def calendar(ctx: BaseContext) -> AcademicCalendar:
    try:
        return AcademicCalendar.from_settings(ctx.network.settings if ctx.network else None)
    except AcademicInputError:
        return AcademicCalendar.from_settings(None)


def academic_year(ctx: BaseContext, day: date | None = None) -> tuple[int, Span]:
    """The academic year (BE) of ``day`` (default today) and its dates."""
    cal = calendar(ctx)
    year = cal.year_of(day or ctx.today)
    return year, cal.year(year)


def hours_value(minutes: int) -> Decimal:
    """Minutes as hours, to two places at most (1.5, 2, 0.75)."""
    return (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()


def hours_number(minutes: int) -> str:
    return f"{hours_value(minutes):f}"


def hours_label(t: Translator, minutes: int) -> str:
    return t("{hours} hours", hours=hours_number(minutes))


def is_staff(member: Member) -> bool:
    return member.role in {r.value for r in PLC_ROLES}


def take_group_word(text: str) -> tuple[int | None, str, bool]:
    """``กลุ่ม 2``/``group 2`` out of ``text``: (number, the rest, whether a group word was there)."""
    match = _GROUP_WORD.search(text)
    if not match:
        return None, text, False
    rest = (text[:match.start()] + " " + text[match.end():]).strip()
    return parse_whole(match.group(1)), " ".join(rest.split()), True


@dataclass(frozen=True)
class GroupChoice:
    group: PlcGroup | None
    error: str | None


async def facilitated_group(ctx: MemberContext, number: int | None, named: bool, example: str) -> GroupChoice:
    """The group a facilitator means: the one named by number, or their only one."""
    t = ctx.t
    repo = ctx.repo(PlcGroupRepo)
    mine = await repo.facilitated_by(ctx.network.id, ctx.member.id)
    if named:
        group = next((g for g in mine if g.number == number), None) if number is not None else None
        if group is None:
            if number is not None and await repo.by_number(ctx.network.id, number) is not None:
                return GroupChoice(None, t("Only the facilitator of PLC group {number} can do this.", number=number))
            return GroupChoice(None, t("There is no PLC group {number}. Your groups: /plc", number=number or "-"))
        return GroupChoice(group, None)
    if not mine:
        return GroupChoice(None, t("You do not facilitate a PLC group yet. Create one with /plc new NAME, "
                                   "e.g. /plc new ชุมชนการเรียนรู้คณิตศาสตร์"))
    if len(mine) > 1:
        names = t.join(f"{g.number} “{g.name}”" for g in mine)
        return GroupChoice(None, t("You facilitate several PLC groups ({groups}). Please name one, e.g. {example}",
                                   groups=names, example=example))
    return GroupChoice(mine[0], None)


def checkin_window(session: PlcSession) -> tuple[datetime, datetime]:
    return (session.starts_at - CHECKIN_EARLY,
            session.starts_at + timedelta(minutes=session.minutes) + CHECKIN_LATE)


def checkin_open(session: PlcSession, now: datetime) -> bool:
    opens, closes = checkin_window(session)
    return opens <= now <= closes


def window_text(ctx: BaseContext, session: PlcSession) -> str:
    opens, closes = checkin_window(session)
    return ctx.t("{opens} to {closes}", opens=ctx.t.datetime(ctx.local(opens)), closes=ctx.t.time(ctx.local(closes).time()))


def session_card(ctx: BaseContext, session: PlcSession, group: PlcGroup, attendees: list[Attendee], *,
                 facilitator: bool = False) -> Card:
    """A session as members see it: what, when, how long, the step, who was present; a check-in
    button while the window is open, and the facilitator's tick button."""
    t = ctx.t
    fields = [(t("PLC group"), f"{group.number} {group.name}"),
              (t("When"), t.datetime(ctx.local(session.starts_at))),
              (t("Duration"), duration_text(t, session.minutes)),
              (t("PLC step"), step_text(t, session.step))]
    if session.reflection:
        fields.append((t("Reflection"), session.reflection))
    if session.has_photo:
        fields.append((t("Photo"), t("attached")))
    names = t.join(a.display_name for a in attendees) or "-"
    fields.append((t("Present ({n})", n=len(attendees)), names))
    buttons: list[list[Button]] = []
    if checkin_open(session, ctx.now) or session.starts_at > ctx.now:
        buttons.append([Button(t("Check in"), encode("plcin", session.id))])
    if facilitator:
        buttons.append([Button(t("Tick who came"), encode("plcatt", session.id))])
    closes = checkin_window(session)[1]
    body = (t("Check-in by tap closed at {time}.", time=t.datetime(ctx.local(closes))) if ctx.now > closes
            else t("Check-in by tap: {window}", window=window_text(ctx, session)))
    return Card(title=f"PLC #{session.number} {session.topic}", fields=fields, body=body, buttons=buttons,
                alt_text=t("PLC session: {title}", title=session.topic), update_key=f"plc:{session.id}")


async def card_for(ctx: Context, session: PlcSession) -> Card | None:
    assert ctx.network is not None
    group = await ctx.repo(PlcGroupRepo).get(ctx.network.id, session.group_id)
    if group is None:
        return None
    attendees = await ctx.repo(PlcSessionRepo).attendees(ctx.network.id, session.id)
    facilitator = ctx.member is not None and group.facilitator_id == ctx.member.id
    return session_card(ctx, session, group, attendees, facilitator=facilitator)
