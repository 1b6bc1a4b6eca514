"""PLC sessions: the facilitator logs one step by step (private chat) or in one line (also in a
group, where its card then takes check-ins), with the same checks both ways; members check in by
tapping the card during the session's window; the facilitator ticks who came."""

from __future__ import annotations

import base64
import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from bot.args import parse_whole
from bot.context import Context, MemberContext
from bot.dates import DateInputError, from_thai_digits, parse_datetime
from bot.flows import Data, Retry, Step, begin
from bot.i18n import N_
from bot.model import Button, Card, EventKind, Text
from bot.router import Router
from handlers._common.buttons import grid
from handlers._common.flows import confirm, skippable, take_photo
from handlers._common.groups import duration_text, short
from handlers._common.parsing import date_error, take_tokens
from handlers.plc.common import (
    PLC_ROLES, checkin_window, facilitated_group, session_card, take_group_word, window_text,
)
from handlers.plc.vocabulary import LONGEST_STEP_WORDS, STEPS, parse_step, step_label, step_text
from storage.plc import PlcGroupRepo, PlcSessionRepo

router = Router()

MAX_TOPIC = 300
MAX_REFLECTION = 2000
MIN_MINUTES = 15
MAX_MINUTES = 8 * 60
MAX_AHEAD = timedelta(days=60)
MAX_AGE = timedelta(days=400)
EXAMPLE = N_('/plc log 25/11/2569 15:30 2 ชม. วางแผน "การอ่านจับใจความ ป.4"')

_QUOTED = re.compile(r'["“”«»]([^"“”«»]*)["“”«»]')
_HOUR_UNITS = r"(?:ชม\.?|ชั่วโมง|h|hrs?|hours?)"
_MINUTE_UNITS = r"(?:นาที|min|mins|minutes?|m)"
_DURATION = re.compile(rf"^(?P<n>[-−]?\d+(?:[.,]\d+)?)\s*(?P<unit>{_HOUR_UNITS}|{_MINUTE_UNITS})?$", re.I)
_HOURS_AND_MINUTES = re.compile(rf"^(?P<h>\d+)\s*{_HOUR_UNITS}\s*(?P<m>\d+)\s*{_MINUTE_UNITS}$", re.I)
# In one line the duration needs its unit (a bare number could be a date or a time).
_DURATION_IN_LINE = re.compile(
    rf"(?<![\w.:/])(?:\d+\s*{_HOUR_UNITS}\s*\d+\s*{_MINUTE_UNITS}|[-−]?\d+(?:[.,]\d+)?\s*(?:{_HOUR_UNITS}|"
    rf"นาที|min|mins|minutes?))(?![\w])", re.I)


# ------------------------------------------------------------------ checks shared by both ways of logging


def check_when(ctx: Context, local: datetime) -> tuple[datetime | None, str | None]:
    """A session's local start as UTC: at most 60 days ahead (so its card can take check-ins) and
    at most 400 days back (this academic year's and last year's evidence)."""
    starts = ctx.to_utc(local)
    if starts > ctx.now + MAX_AHEAD:
        return None, ctx.t("{date} is more than 60 days ahead. Please log a session when it is near.",
                           date=ctx.t.date(local.date()))
    if starts < ctx.now - MAX_AGE:
        return None, ctx.t("{date} is more than 400 days ago. Please check the year.", date=ctx.t.date(local.date()))
    return starts, None


def when_error(ctx: Context, error: DateInputError) -> str:
    if error.code == "missing_time":
        return ctx.t("Please add the time the session started, e.g. 25/11/2569 15:30.")
    if error.code == "unrecognised":
        return ctx.t("I couldn't read that date and time. Please write it like 25/11/2569 15:30.")
    return date_error(ctx.t, error)


def check_duration(ctx: Context, text: str) -> tuple[int | None, str | None]:
    """``2``, ``1.5 ชม.``, ``90 นาที``, ``1 ชม. 30 นาที`` as minutes, from 15 minutes to 8 hours. A bare
    number means hours."""
    cleaned = " ".join(from_thai_digits(text).strip().lower().split())
    if both := _HOURS_AND_MINUTES.match(cleaned):
        minutes = int(both["h"]) * 60 + int(both["m"])
    elif match := _DURATION.match(cleaned):
        try:
            value = Decimal(match["n"].replace(",", ".").replace("−", "-"))
        except InvalidOperation:
            value = Decimal(-1)
        is_minutes = bool(match["unit"]) and re.fullmatch(_MINUTE_UNITS, match["unit"], re.I) is not None
        minutes = int((value if is_minutes else value * 60).to_integral_value())
    else:
        return None, ctx.t("Please send how long the session lasted, e.g. 2, 1.5 ชม. or 90 นาที.")
    if not MIN_MINUTES <= minutes <= MAX_MINUTES:
        return None, ctx.t("A PLC session lasts from 15 minutes to 8 hours. Please check the duration.")
    return minutes, None


def check_topic(ctx: Context, text: str) -> tuple[str | None, str | None]:
    topic = " ".join(text.split())
    if not 1 <= len(topic) <= MAX_TOPIC:
        return None, ctx.t("Please send a topic of 1 to {max} characters.", max=MAX_TOPIC)
    return topic, None


def check_reflection(ctx: Context, text: str) -> tuple[str | None, str | None]:
    reflection = text.strip()
    if len(reflection) > MAX_REFLECTION:
        return None, ctx.t("Please keep the reflection to {max} characters.", max=MAX_REFLECTION)
    return reflection or None, None


def steps_hint(ctx: Context) -> str:
    return ctx.t.join(f"“{step_label(ctx.t, code)}”" for code in STEPS)


# ------------------------------------------------------------------ /plc log in one line


def parse_one_line(ctx: Context, text: str) -> tuple[dict[str, Any] | None, str | None]:
    """``25/11/2569 15:30 2 ชม. วางแผน "topic" | reflection`` (any order before the ``|``)."""
    t = ctx.t
    text, _, reflection_text = text.partition("|")
    text = " ".join(text.split())
    data: dict[str, Any] = {}
    topic = None
    if quoted := _QUOTED.search(text):
        topic = quoted.group(1).strip()
        if not topic:
            return None, t("The topic in quotes is empty. Please write it, e.g. {example}", example=t(EXAMPLE))
        text = text[:quoted.start()] + " " + text[quoted.end():]
    plain = from_thai_digits(text)
    duration = _DURATION_IN_LINE.search(plain)
    if duration is None:
        return None, t("Please include how long it lasted, e.g. 2 ชม. or 90 นาที: {example}", example=t(EXAMPLE))
    data["minutes"], error = check_duration(ctx, duration.group(0))
    if error:
        return None, error
    plain = plain[:duration.start()] + " " + plain[duration.end():]
    tokens = plain.split()
    step, tokens = take_tokens(tokens, parse_step, widths=tuple(range(LONGEST_STEP_WORDS, 0, -1)))
    if step is None:
        return None, t("Please include the PLC step ({steps}), e.g. {example}", steps=steps_hint(ctx),
                       example=t(EXAMPLE))
    found_error: list[DateInputError] = []

    def as_datetime(candidate: str) -> datetime | None:
        try:
            return parse_datetime(candidate, ctx.today)
        except DateInputError as exc:
            if exc.code != "unrecognised":
                found_error.append(exc)
            return None

    local, tokens = take_tokens(tokens, as_datetime, widths=(6, 5, 4, 3, 2, 1))
    if local is None:
        if found_error:
            return None, when_error(ctx, found_error[0])
        return None, t("Please include the date and time, e.g. 25/11/2569 15:30: {example}", example=t(EXAMPLE))
    data["starts"], error = check_when(ctx, local)
    if error:
        return None, error
    if topic and tokens:
        return None, t("I could not place “{words}”. The topic goes in quotes, the duration as “2 ชม.”, e.g. "
                       "{example}", words=" ".join(tokens), example=t(EXAMPLE))
    topic, error = check_topic(ctx, topic or " ".join(tokens))
    if error:
        return None, t("Please include the topic in quotes, e.g. {example}", example=t(EXAMPLE))
    data["reflection"], error = check_reflection(ctx, reflection_text)
    if error:
        return None, error
    data.update(topic=topic, plc_step=step, starts=data["starts"].isoformat())
    return data, None


async def log_command(ctx: MemberContext, args: str) -> None:
    number, rest, named = take_group_word(args)
    choice = await facilitated_group(ctx, number, named, '/plc log กลุ่ม 2 25/11/2569 15:30 2 ชม. วางแผน "หัวข้อ"')
    if choice.group is None:
        if named or not ctx.event.is_private or rest:
            await ctx.reply(choice.error or "")
            return
        mine = await ctx.repo(PlcGroupRepo).facilitated_by(ctx.network.id, ctx.member.id)
        if not mine:
            await ctx.reply(choice.error or "")
            return
        await begin(ctx, "plclog", "group")  # several groups: the first question is which
        return
    group = choice.group
    if rest:
        data, error = parse_one_line(ctx, rest)
        if error:
            await ctx.reply(error)
            return
        assert data is not None
        await save_session(ctx, {**data, "group": group.id})
        return
    if not ctx.event.is_private:
        await ctx.reply(ctx.t("To log step by step, send /plc log to me in a private chat. Here, use one line: "
                              "{example}", example=ctx.t(EXAMPLE)))
        return
    await begin(ctx, "plclog", "when", {"group": group.id})


async def save_session(ctx: MemberContext, data: dict[str, Any]) -> None:
    """Store a session (the facilitator present), refusing the same one sent twice, and show its card."""
    t = ctx.t
    group = await ctx.repo(PlcGroupRepo).get(ctx.network.id, int(data["group"]))
    if group is None or group.facilitator_id != ctx.member.id:
        await ctx.reply(t("Only the facilitator of this PLC group can log its sessions."))
        return
    starts = datetime.fromisoformat(data["starts"])
    repo = ctx.repo(PlcSessionRepo)
    if (duplicate := await repo.duplicate(ctx.network.id, group.id, starts, data["topic"])) is not None:
        await ctx.reply(t("PLC session #{number} at that time with that topic is already logged; I did not record "
                          "it twice.", number=duplicate.number))
        return
    session = await repo.add(ctx.network.id, group_id=group.id, logged_by=ctx.member.id,
                             session_date=ctx.local(starts).date(), starts_at=starts, minutes=int(data["minutes"]),
                             topic=data["topic"], step=data["plc_step"], reflection=data.get("reflection") or None,
                             now=ctx.now)
    if data.get("photo"):
        await repo.set_photo(ctx.network.id, session.id, base64.b64decode(data["photo"]), ctx.now)
        session = await repo.get(ctx.network.id, session.id) or session
    await repo.mark(ctx.network.id, session.id, ctx.member.id, "facilitator", ctx.now)
    await ctx.audit("create", "plc_session", session.id, group=group.id, minutes=session.minutes, step=session.step)
    attendees = await repo.attendees(ctx.network.id, session.id)
    card = session_card(ctx, session, group, attendees, facilitator=True)
    card.title = t("✅ PLC session #{number} logged", number=session.number) + "\n" + card.title
    await ctx.reply(card)
    if ctx.now > checkin_window(session)[1]:  # logged afterwards: the facilitator says who came
        await ctx.reply(t("The session is over, so check-in by tap is closed. Tick who came: tap “Tick who came” or "
                          "send /plc present {number} 5 7 (member numbers).", number=session.number))
        return
    await ctx.reply(t("Members check in by tapping “Check in” on this card, or with /plc checkin {number} in a private "
                      "chat, {window}. You can also tick who came with /plc present {number}.",
                      number=session.number, window=window_text(ctx, session)))


# ------------------------------------------------------------------ the guided flow


async def ask_group(ctx: MemberContext) -> None:
    mine = await ctx.repo(PlcGroupRepo).facilitated_by(ctx.network.id, ctx.member.id)
    buttons = [ctx.flow_button(short(f"{g.number} {g.name}"), g.id) for g in mine]
    await ctx.reply(Text(ctx.t("Which PLC group met?"), buttons=grid(buttons, 1)))


async def read_group(ctx: MemberContext, value: str) -> Data | Retry:
    group_id = parse_whole(value)
    mine = {g.id for g in await ctx.repo(PlcGroupRepo).facilitated_by(ctx.network.id, ctx.member.id)}
    if group_id not in mine:
        return Retry(ctx.t("Please tap one of your PLC groups."))
    return {"group": group_id}


async def ask_when(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("When did the session start? Send the date and time, e.g. 25/11/2569 15:30 "
                          "(a session within the next 60 days can be logged ahead, so its card takes check-ins)."))


async def read_when(ctx: MemberContext, value: str) -> Data | Retry:
    try:
        local = parse_datetime(value, ctx.today)
    except DateInputError as exc:
        return Retry(when_error(ctx, exc))
    starts, error = check_when(ctx, local)
    if error:
        return Retry(error)
    assert starts is not None
    return {"starts": starts.isoformat()}


async def ask_duration(ctx: MemberContext) -> None:
    t = ctx.t
    await ctx.reply(Text(t("How long did it last? e.g. 2, 1.5 ชม. or 90 นาที"),
                         buttons=[[ctx.flow_button(t("1 hour"), "1"), ctx.flow_button(t("1.5 hours"), "1.5"),
                                   ctx.flow_button(t("2 hours"), "2"), ctx.flow_button(t("3 hours"), "3")]]))


async def read_duration(ctx: MemberContext, value: str) -> Data | Retry:
    minutes, error = check_duration(ctx, value)
    return Retry(error) if error else {"minutes": minutes}


async def ask_topic(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("What was the topic? e.g. การอ่านจับใจความ ป.4"))


async def read_topic(ctx: MemberContext, value: str) -> Data | Retry:
    topic, error = check_topic(ctx, value)
    return Retry(error) if error else {"topic": topic}


async def ask_step(ctx: MemberContext) -> None:
    buttons = [ctx.flow_button(short(ctx.t.label(step_label(ctx.t, code))), code) for code in STEPS]
    await ctx.reply(Text(ctx.t("Which step of the PLC cycle did it cover?"), buttons=grid(buttons, 1)))


async def read_step(ctx: MemberContext, value: str) -> Data | Retry:
    code = parse_step(value)
    if code is None:
        return Retry(ctx.t("Please tap one of the steps: {steps}", steps=steps_hint(ctx)))
    return {"plc_step": code}  # not "step": that names the flow's own step


def skip_button(ctx: MemberContext) -> Button:
    return ctx.flow_button(ctx.t("Skip"), "skip")


async def ask_reflection(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("A short reflection: what did the group learn, what will it try next? (or skip)"),
                         buttons=[[skip_button(ctx)]]))


async def read_reflection(ctx: MemberContext, value: str) -> Data | Retry:
    reflection, error = check_reflection(ctx, value)
    return Retry(error) if error else {"reflection": reflection}


async def ask_photo(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("Send a photo of the session, or skip."), buttons=[[skip_button(ctx)]]))


async def read_photo(ctx: MemberContext, value: str) -> Retry:
    return Retry(ctx.t("Please send a photo, or tap “Skip”."))  # the photo arrives as an event


async def show_draft(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    t, data = ctx.t, ctx.flow.data
    group = await ctx.repo(PlcGroupRepo).get(ctx.network.id, int(data["group"]))
    starts = datetime.fromisoformat(data["starts"])
    fields = [(t("PLC group"), f"{group.number} {group.name}" if group else "-"),
              (t("When"), t.datetime(ctx.local(starts))), (t("Duration"), duration_text(t, int(data["minutes"]))),
              (t("PLC step"), step_text(t, data["plc_step"]))]
    if data.get("reflection"):
        fields.append((t("Reflection"), data["reflection"]))
    if data.get("photo"):
        fields.append((t("Photo"), t("attached")))
    await ctx.reply(Card(title=data["topic"], fields=fields, alt_text=data["topic"],
                         buttons=[[ctx.flow_button(t("Save"), "save"), ctx.flow_button(t("Cancel"), "cancel")]]))


LOG_STEPS: dict[str, Step] = {
    "group": Step(ask_group, read_group, next="when"),
    "when": Step(ask_when, read_when, next="duration"),
    "duration": Step(ask_duration, read_duration, next="topic"),
    "topic": Step(ask_topic, read_topic, next="step"),
    "step": Step(ask_step, read_step, next="reflection"),
    "reflection": Step(ask_reflection, skippable(read_reflection), next="photo"),
    "photo": Step(ask_photo, skippable(read_photo), next="confirm"),
    "confirm": confirm(show_draft, save_session, retry=N_("Tap “Save” to record the session, or “Cancel”.")),
}
router.steps("plclog", LOG_STEPS, roles=PLC_ROLES)


@router.on(EventKind.PHOTO)
async def photo_received(ctx: Context) -> None:
    """A photo while logging a session is the session's photo (at the photo step it moves on)."""
    await take_photo(ctx, "plclog", LOG_STEPS, moves_on_at="photo")
