"""/log: an activity in one line or step by step (the same checks both ways), with a photo."""

from __future__ import annotations

import base64
import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import handlers.plan as plan
from bot.context import Context, MemberContext
from bot.dates import DateInputError, from_thai_digits, parse_date
from bot.flows import Data, Retry, Step, begin
from bot.i18n import N_
from bot.model import Button, EventKind, Text
from bot.roles import Role
from bot.router import Router
from handlers.privacy import checked_text, sensitive_warning
from handlers._common.buttons import grid
from handlers._common.flows import confirm, skippable, take_photo
from handlers._common.parsing import date_error, parse_count, take_tokens
from handlers.activities.cards import activity_card, draft_card
from handlers.activities.vocabulary import CATEGORIES, category_label, parse_category
from storage.activity_repo import ActivityRepo, PhotoRepo
from storage.membership import OrganisationRepo

router = Router()

LOGGERS = {Role.COORDINATOR, Role.TEACHER, Role.PARTNER}
MAX_TITLE = 200
MAX_NOTES = 2000
MAX_PARTICIPANTS = 100_000
MAX_MINUTES = 500 * 60
MAX_AGE = timedelta(days=5 * 366)
DUPLICATE_WINDOW = timedelta(minutes=10)
EXAMPLE = N_('/log workshop 20/11/2569 "AI for classroom media" 35 people 3h')

_QUOTED = re.compile(r'["“”«»]([^"“”«»]*)["“”«»]')
# A sign is read with the number, so "-5 คน" is refused as out of range instead of stored as 5.
_PEOPLE_UNITS = r"(?:people|persons?|participants?|pax|คน|ท่าน)"
_HOUR_UNITS = r"(?:h|hrs?|hours?|ชม\.?|ชั่วโมง)"
_PEOPLE = re.compile(rf"(?<![\w.,])([-−]?\d[\d,.]*)\s*{_PEOPLE_UNITS}(?![a-z])", re.I)
_HOURS = re.compile(rf"(?<![\w.,])([-−]?\d[\d.]*)\s*{_HOUR_UNITS}(?![a-z])", re.I)
_SIGNED_WHOLE = re.compile(r"[-−]?\d[\d,]*")


# ------------------------------------------------------------------ checks shared by both ways of logging


def check_date(ctx: Context, value: date) -> str | None:
    if value > ctx.today:
        return ctx.t("An activity log records what has happened: {date} is in the future.", date=ctx.t.date(value))
    if value < ctx.today - MAX_AGE:
        return ctx.t("{date} is more than five years ago. Please check the year.", date=ctx.t.date(value))
    return None


def check_participants(ctx: Context, text: str) -> tuple[int | None, str | None]:
    """A number of people (``35``, ``35 คน``, ``35 people``) from 1 to MAX_PARTICIPANTS."""
    text = re.sub(rf"\s*{_PEOPLE_UNITS}$", "", from_thai_digits(text).strip(), flags=re.I)
    count = parse_count(text)
    if count is None and not _SIGNED_WHOLE.fullmatch(text):
        return None, ctx.t("Please send the number of participants as a whole number, e.g. 35.")
    if count is None or not 1 <= count <= MAX_PARTICIPANTS:  # negative, or beyond what can be read
        return None, ctx.t("The number of participants must be from 1 to {max}.", max=f"{MAX_PARTICIPANTS:,}")
    return count, None


def check_hours(ctx: Context, text: str) -> tuple[int | None, str | None]:
    """Hours (``3``, ``1.5``, ``3h``, ``3 ชม.``) as minutes."""
    cleaned = re.sub(rf"\s*{_HOUR_UNITS}$", "", from_thai_digits(text).strip(), flags=re.I)
    try:
        hours = Decimal(cleaned.replace("−", "-"))
    except InvalidOperation:
        return None, ctx.t("Please send the hours as a number, e.g. 3 or 1.5.")
    if not hours.is_finite() or hours <= 0:
        return None, ctx.t("The hours must be more than zero.")
    minutes = int((hours * 60).to_integral_value())
    if minutes > MAX_MINUTES:
        return None, ctx.t("That is more than {max} hours. Please check the number.", max=MAX_MINUTES // 60)
    return max(minutes, 1), None


# ------------------------------------------------------------------ /log


@router.command("log", "บันทึกกิจกรรม", roles=LOGGERS,
                help=N_('Log an activity: /log step by step, or in one line: /log workshop 20/11/2569 "title" '
                        '35 people 3h'))
async def log_command(ctx: MemberContext) -> None:
    if ctx.args.strip():
        await log_one_line(ctx, ctx.args)
        return
    if not ctx.event.is_private:
        await ctx.reply(ctx.t("To log step by step, send /log to me in a private chat. Here, use one line: "
                              "{example}", example=ctx.t(EXAMPLE)))
        return
    await begin(ctx, "log", "title")


def parse_one_line(ctx: Context, text: str) -> tuple[dict[str, Any] | None, str | None]:
    """Read ``workshop 20/11/2569 "title" 35 people 3h`` (any order; Thai or English words)."""
    text = " ".join(text.split())
    data: dict[str, Any] = {"participants": None, "minutes": None}
    title = None
    quoted = _QUOTED.search(text)
    if quoted:
        title = quoted.group(1).strip()
        if not title:
            return None, ctx.t('The title in quotes is empty. Please write it, e.g. {example}', example=ctx.t(EXAMPLE))
        text = text[:quoted.start()] + " " + text[quoted.end():]
    plain = from_thai_digits(text)
    if people := _PEOPLE.search(plain):
        data["participants"], error = check_participants(ctx, people.group(1))
        if error:
            return None, error
        plain = plain[:people.start()] + " " + plain[people.end():]
    if hours := _HOURS.search(plain):
        data["minutes"], error = check_hours(ctx, hours.group(1))
        if error:
            return None, error
        plain = plain[:hours.start()] + " " + plain[hours.end():]
    tokens = plain.split()
    category, tokens = take_tokens(tokens, parse_category, widths=(3, 2, 1))
    if category is None:
        labels = ctx.t.join(category_label(ctx.t, c) for c in CATEGORIES)
        return None, ctx.t("Please start with the kind of activity ({kinds}), e.g. {example}", kinds=labels,
                           example=ctx.t(EXAMPLE))
    date_error_found: DateInputError | None = None

    def as_date(candidate: str) -> date | None:
        nonlocal date_error_found
        try:
            return parse_date(candidate, ctx.today)
        except DateInputError as exc:
            if exc.code != "unrecognised" and date_error_found is None:
                date_error_found = exc
            return None

    day, tokens = take_tokens(tokens, as_date, widths=(4, 3, 2, 1))
    if day is None:
        if date_error_found is not None:
            return None, date_error(ctx.t, date_error_found)
        return None, ctx.t("Please include the date, e.g. 20/11/2569 or today: {example}", example=ctx.t(EXAMPLE))
    if error := check_date(ctx, day):
        return None, error
    if title and tokens:
        return None, ctx.t("I could not place “{words}”. The title goes in quotes, people as “35 คน” and hours as "
                           "“3 ชม.”, e.g. {example}", words=" ".join(tokens), example=ctx.t(EXAMPLE))
    title = title or " ".join(tokens).strip()
    if not title:
        return None, ctx.t('Please include a title in quotes, e.g. {example}', example=ctx.t(EXAMPLE))
    if len(title) > MAX_TITLE:
        return None, ctx.t("Please keep the title to {max} characters.", max=MAX_TITLE)
    data.update(title=title, category=category, date=day.isoformat())
    return data, None


async def log_one_line(ctx: MemberContext, text: str) -> None:
    text, plan_ref = plan.take_plan_ref(text)  # "งาน#3" / "โครงการ#2": done for a task or project of the plan
    if plan_ref is not None:
        found = await plan.plan_target(ctx, plan_ref)
        if isinstance(found, str):
            await ctx.reply(found)
            return
    data, error = parse_one_line(ctx, text)
    if error:
        await ctx.reply(error)
        return
    assert data is not None
    problem = sensitive_warning(ctx, text)
    if problem:  # nothing stored; the step-by-step /log asks to edit or keep it
        await ctx.reply(ctx.t("{problem} Nothing was saved. Please send it again without it, or log it step by "
                              "step with /log to keep it as it is.", problem=problem))
        return
    data["organisation_id"] = ctx.member.organisation_id
    data["plan"] = plan_ref
    await save_activity(ctx, data)


async def save_activity(ctx: MemberContext, data: dict[str, Any]) -> None:
    """Store an activity (refusing an identical one sent moments ago) and confirm it."""
    repo = ctx.repo(ActivityRepo)
    day = date.fromisoformat(data["date"])
    duplicate = await repo.recent_duplicate(ctx.network.id, author_id=ctx.member.id, title=data["title"],
                                            category=data["category"], activity_date=day,
                                            since=ctx.now - DUPLICATE_WINDOW)
    if duplicate is not None:
        await ctx.reply(ctx.t("You logged this activity a moment ago (#{id}); I did not record it twice.",
                              id=duplicate.number))
        return
    activity = await repo.add(
        ctx.network.id, author_id=ctx.member.id, organisation_id=data.get("organisation_id"), title=data["title"],
        category=data["category"], aim=CATEGORIES[data["category"]][1], activity_date=day,
        participants=data.get("participants"), minutes=data.get("minutes"), notes=data.get("notes"), now=ctx.now)
    if data.get("photo"):
        await ctx.repo(PhotoRepo).add(ctx.network.id, "activity", activity.id, base64.b64decode(data["photo"]),
                                      now=ctx.now)
        await repo.update(ctx.network.id, activity.id, now=ctx.now, has_photo=True)
    await ctx.audit("create", "activity", activity.id, title=activity.title, category=activity.category)
    if data.get("plan") and not isinstance(target := await plan.plan_target(ctx, data["plan"]), str):
        await ctx.reply(await plan.link_done(ctx, target, "activity", activity.id))
    if not ctx.event.is_private:
        await ctx.reply(ctx.t("✅ Logged #{id}: {title} ({date})", id=activity.number, title=activity.title,
                              date=ctx.t.date(activity.activity_date)))
        return
    card = await activity_card(ctx, activity)
    card.title = ctx.t("✅ Activity #{id} logged", id=activity.number) + "\n" + card.title
    await ctx.reply(card)


# ------------------------------------------------------------------ the guided flow


async def ask_title(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("What was the activity called? (send the title)"))


async def read_title(ctx: MemberContext, value: str) -> Data | Retry:
    if not value or len(value) > MAX_TITLE:
        return Retry(ctx.t("Please send a title of 1 to {max} characters.", max=MAX_TITLE))
    checked = await checked_text(ctx, value)  # PDPA: an ID or phone number is confirmed or edited first
    return checked if isinstance(checked, Retry) else {"title": checked}


async def ask_category(ctx: MemberContext) -> None:
    buttons = [ctx.flow_button(ctx.t.label(category_label(ctx.t, code)), code) for code in CATEGORIES]
    await ctx.reply(Text(ctx.t("What kind of activity was it?"), buttons=grid(buttons)))


async def read_category(ctx: MemberContext, value: str) -> Data | Retry:
    code = parse_category(value)
    if code is None:
        return Retry(ctx.t("Please tap one of the kinds of activity."))
    return {"category": code}


async def ask_date(ctx: MemberContext) -> None:
    t = ctx.t
    await ctx.reply(Text(t("When did it take place? e.g. 20/11/2569"),
                         buttons=[[ctx.flow_button(t("Today"), "today"),
                                   ctx.flow_button(t("Yesterday"), "yesterday")]]))


async def read_date(ctx: MemberContext, value: str) -> Data | Retry:
    try:
        day = parse_date(value, ctx.today)
    except DateInputError as exc:
        return Retry(date_error(ctx.t, exc))
    if error := check_date(ctx, day):
        return Retry(error)
    return {"date": day.isoformat()}


async def my_organisation(ctx: MemberContext) -> tuple[int, str] | None:
    if ctx.member.organisation_id is None:
        return None
    organisation = await ctx.repo(OrganisationRepo).get(ctx.network.id, ctx.member.organisation_id)
    return (organisation.id, organisation.name) if organisation else None


async def ask_org(ctx: MemberContext) -> None:
    buttons = []
    organisation = await my_organisation(ctx)
    if organisation is not None:
        buttons.append(ctx.flow_button(organisation[1], "mine"))
    buttons.append(skip_button(ctx))
    await ctx.reply(Text(ctx.t("Which organisation ran it? Tap yours, send another name, or skip."), buttons=[buttons]))


async def read_org(ctx: MemberContext, value: str) -> Data | Retry:
    if value == "mine":
        organisation = await my_organisation(ctx)
        return {"organisation_id": organisation[0] if organisation else None}
    if len(value) > 200 or not value:
        return Retry(ctx.t("Please send a name of 1 to 200 characters."))
    organisation_row = await ctx.repo(OrganisationRepo).get_or_create(ctx.network.id, value, now=ctx.now)
    return {"organisation_id": organisation_row.id}


def skip_button(ctx: MemberContext) -> Button:
    return ctx.flow_button(ctx.t("Skip"), "skip")


async def ask_participants(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("How many people took part?"), buttons=[[skip_button(ctx)]]))


async def read_participants(ctx: MemberContext, value: str) -> Data | Retry:
    count, error = check_participants(ctx, value)
    return Retry(error) if error else {"participants": count}


async def ask_hours(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("How many hours did it last? e.g. 3 or 1.5"), buttons=[[skip_button(ctx)]]))


async def read_hours(ctx: MemberContext, value: str) -> Data | Retry:
    minutes, error = check_hours(ctx, value)
    return Retry(error) if error else {"minutes": minutes}


async def ask_notes(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("Any notes? (or skip)"), buttons=[[skip_button(ctx)]]))


async def read_notes(ctx: MemberContext, value: str) -> Data | Retry:
    if len(value) > MAX_NOTES:
        return Retry(ctx.t("Please keep notes to {max} characters.", max=MAX_NOTES))
    checked = await checked_text(ctx, value)
    return checked if isinstance(checked, Retry) else {"notes": checked}


async def ask_photo(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("Send a photo of the activity, or skip."), buttons=[[skip_button(ctx)]]))


async def read_photo(ctx: MemberContext, value: str) -> Retry:
    return Retry(ctx.t("Please send a photo, or tap Skip."))  # the photo itself arrives as an event


async def show_draft(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    card = await draft_card(ctx, ctx.flow.data)
    card.buttons = [[ctx.flow_button(ctx.t("Save"), "save"), ctx.flow_button(ctx.t("Cancel"), "cancel")]]
    await ctx.reply(card)


# The steps of /log; editing an activity (listing.py) asks and reads its fields with the same steps.
LOG_STEPS: dict[str, Step] = {
    "title": Step(ask_title, read_title, next="category"),
    "category": Step(ask_category, read_category, next="date"),
    "date": Step(ask_date, read_date, next="org"),
    "org": Step(ask_org, skippable(read_org), next="participants"),
    "participants": Step(ask_participants, skippable(read_participants), next="hours"),
    "hours": Step(ask_hours, skippable(read_hours), next="notes"),
    "notes": Step(ask_notes, skippable(read_notes), next="photo"),
    "photo": Step(ask_photo, skippable(read_photo), next="confirm"),
    "confirm": confirm(show_draft, save_activity, retry=N_("Tap Save to record the activity, or Cancel.")),
}
router.steps("log", LOG_STEPS, roles=LOGGERS)


@router.on(EventKind.PHOTO)
async def photo_received(ctx: Context) -> None:
    """A photo during /log is the activity's photo (at any step; at the photo step it moves on)."""
    await take_photo(ctx, "log", LOG_STEPS, moves_on_at="photo")
