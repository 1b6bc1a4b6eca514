"""/share: a practice, lesson, media or document link for the library, step by step or in one
line (the same checks both ways), its card and [มีประโยชน์] (one per member). [ถามผู้เขียน]
is in ``questions``.
"""

from __future__ import annotations

import base64
import re

from bot.args import parse_whole
from bot.context import Context, MemberContext
from bot.flows import Data, Retry, Step, begin
from bot.i18n import N_, Translator
from bot.model import Button, Card, EventKind, Image, Reply, Text
from bot.roles import Role
from bot.router import Router
from handlers._common.flows import confirm, skippable, take_photo
from storage.activity_repo import PhotoRepo
from storage.knowledge import Practice, PracticeRepo
from storage.membership import OrganisationRepo

router = Router()

SHARERS = {Role.COORDINATOR, Role.TEACHER, Role.PARTNER}
MAX_TITLE = 200
MAX_DESCRIPTION = 1000
MAX_AIM = 500
MAX_SUBJECTS = 10  # subjects and grades together
MAX_SUBJECT = 50
MAX_LINK = 1000
PHOTO = "photo"  # practices.photo_ref of a photo kept in activity_photos (entity "practice")
EXAMPLE = N_("/share AI for classroom media | Students make worksheets with AI | Media literacy | "
             "science ป.4 | https://example.org/ai-media")

_URL = re.compile(r"https?://[^\s|<>\"']+\.[^\s|<>\"']+", re.I)
_GRADE = re.compile(r"^[ปมอ]\.\s*[0-9๐-๙]{1,2}$")
_LIST_SPLIT = re.compile(r"\s*(?:,|/|;|\s และ\s|\s+and\s+)\s*|\s+")


# ------------------------------------------------------------------ checks shared by both ways of sharing


def check_title(t: Translator, value: str) -> tuple[str | None, str | None]:
    value = " ".join(value.split())
    if not value:
        return None, t("Please give the practice a title, e.g. {example}", example=t(EXAMPLE))
    if len(value) > MAX_TITLE:
        return None, t("Please keep the title to {max} characters.", max=MAX_TITLE)
    if _URL.fullmatch(value):
        return None, t("The title is a link. Please give a title in words; the link comes last.")
    return value, None


def check_description(t: Translator, value: str) -> tuple[str | None, str | None]:
    value = value.strip()
    if not value:
        return None, t("Please describe the practice in a sentence or two.")
    if len(value) > MAX_DESCRIPTION:
        return None, t("Please keep the description to {max} characters.", max=MAX_DESCRIPTION)
    return value, None


def check_aim(t: Translator, value: str) -> tuple[str | None, str | None]:
    value = value.strip()
    if len(value) > MAX_AIM:
        return None, t("Please keep the aim to {max} characters.", max=MAX_AIM)
    return value, None


def check_subjects(t: Translator, value: str) -> tuple[tuple[list[str], list[str]] | None, str | None]:
    """Subjects and grades (``วิทยาศาสตร์ ป.4 ป.5``, ``science, math, grade ม.1``): grades are
    written as ป./ม./อ. with a number; everything else is a subject."""
    text = re.sub(r"([ปมอ])\.\s+([0-9๐-๙])", r"\1.\2", value.strip())
    words = [w for w in _LIST_SPLIT.split(text) if w and w not in ("และ", "and")]
    if len(words) > MAX_SUBJECTS:
        return None, t("Please name at most {max} subjects and grades.", max=MAX_SUBJECTS)
    if any(len(w) > MAX_SUBJECT for w in words):
        return None, t("A subject or grade is too long (at most {max} characters each).", max=MAX_SUBJECT)
    grades = [w for w in words if _GRADE.match(w)]
    subjects = [w for w in words if not _GRADE.match(w)]
    return (list(dict.fromkeys(subjects)), list(dict.fromkeys(grades))), None


def check_link(t: Translator, value: str) -> tuple[str | None, str | None]:
    value = value.strip()
    if not _URL.fullmatch(value):
        return None, t("Please send a link starting with https://, e.g. https://example.org/lesson")
    if len(value) > MAX_LINK:
        return None, t("That link is too long (at most {max} characters).", max=MAX_LINK)
    return value, None


# ------------------------------------------------------------------ /share


@router.command("share", "แบ่งปัน", roles=SHARERS,
                help=N_("Share a practice, lesson, media or document link with the network: /share step by step, "
                        "or in one line: /share title | description | aim | subjects and grades | link"))
async def share_command(ctx: MemberContext) -> None:
    if ctx.args.strip():
        await share_one_line(ctx, ctx.args)
        return
    if not ctx.event.is_private:
        await ctx.reply(ctx.t("To share step by step, send /share to me in a private chat. Here, use one line: "
                              "{example}", example=ctx.t(EXAMPLE)))
        return
    await begin(ctx, "share", "title")


def parse_one_line(t: Translator, text: str) -> tuple[Data | None, str | None]:
    """``title | description | aim | subjects and grades | link``: title and description are
    needed; a link may stand in any field after the title, and the aim and subjects may be left out."""
    fields = [f.strip() for f in text.split("|")]
    if len(fields) > 5:
        return None, t("There are more than five parts. Please write: {example}", example=t(EXAMPLE))
    title, error = check_title(t, fields[0])
    if error:
        return None, error
    link = None
    rest = []
    for field in fields[1:]:
        if _URL.fullmatch(field) or (field.lower().startswith(("http://", "https://")) and " " not in field):
            if link is not None:
                return None, t("Please give only one link.")
            link, error = check_link(t, field)
            if error:
                return None, error
        else:
            rest.append(field)
    if not rest:
        return None, t("Please add a short description after the title, e.g. {example}", example=t(EXAMPLE))
    description, error = check_description(t, rest[0])
    if error:
        return None, error
    aim, error = check_aim(t, rest[1] if len(rest) > 1 else "")
    if error:
        return None, error
    subjects, error = check_subjects(t, rest[2] if len(rest) > 2 else "")
    if error or subjects is None:
        return None, error
    return {"title": title, "description": description, "aim": aim, "subjects": subjects[0],
            "grades": subjects[1], "link": link}, None


async def share_one_line(ctx: MemberContext, text: str) -> None:
    data, error = parse_one_line(ctx.t, text)
    if error or data is None:
        await ctx.reply(error or "")
        return
    data["organisation_id"] = ctx.member.organisation_id
    await save_practice(ctx, data)


async def save_practice(ctx: MemberContext, data: Data) -> None:
    photo = data.get("photo")
    practice = await ctx.repo(PracticeRepo).add(
        ctx.network.id, author_id=ctx.member.id, organisation_id=data.get("organisation_id"), title=data["title"],
        description=data["description"], aim=data.get("aim") or "", subjects=list(data.get("subjects") or []),
        grades=list(data.get("grades") or []), link=data.get("link"), photo_ref=PHOTO if photo else None,
        now=ctx.now)
    if photo:
        await ctx.repo(PhotoRepo).add(ctx.network.id, "practice", practice.id, base64.b64decode(photo), now=ctx.now)
    await ctx.audit("create", "practice", practice.id, title=practice.title)
    card = await practice_card(ctx, practice)
    card.title = ctx.t("✅ Practice #{id} shared. Others find it with /kb.", id=practice.number) + "\n" + card.title
    await ctx.reply(card)


# ------------------------------------------------------------------ the guided flow


def skip_button(ctx: Context) -> Button:
    return ctx.flow_button(ctx.t("Skip"), "skip")


async def ask_title(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("What is the practice called? (send the title)"))


async def read_title(ctx: MemberContext, value: str) -> Data | Retry:
    title, error = check_title(ctx.t, value)
    return Retry(error) if error else {"title": title}


async def ask_description(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("Describe it in a sentence or two: what you did and how it went."))


async def read_description(ctx: MemberContext, value: str) -> Data | Retry:
    description, error = check_description(ctx.t, value)
    return Retry(error) if error else {"description": description}


async def ask_aim(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("What is its aim? (or skip)"), buttons=[[skip_button(ctx)]]))


async def read_aim(ctx: MemberContext, value: str) -> Data | Retry:
    aim, error = check_aim(ctx.t, value)
    return Retry(error) if error else {"aim": aim}


async def ask_subjects(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("Which subjects and grades? e.g. วิทยาศาสตร์ ป.4 ป.5 (or skip)"),
                         buttons=[[skip_button(ctx)]]))


async def read_subjects(ctx: MemberContext, value: str) -> Data | Retry:
    found, error = check_subjects(ctx.t, value)
    if error or found is None:
        return Retry(error or "")
    return {"subjects": found[0], "grades": found[1]}


async def my_organisation(ctx: MemberContext) -> tuple[int, str] | None:
    if ctx.member.organisation_id is None:
        return None
    organisation = await ctx.repo(OrganisationRepo).get(ctx.network.id, ctx.member.organisation_id)
    return (organisation.id, organisation.name) if organisation else None


async def ask_org(ctx: MemberContext) -> None:
    buttons = []
    organisation = await my_organisation(ctx)
    if organisation is not None:
        buttons.append(ctx.flow_button(organisation[1][:20], "mine"))
    buttons.append(skip_button(ctx))
    await ctx.reply(Text(ctx.t("Which organisation does it come from? Tap yours, send another name, or skip."),
                         buttons=[buttons]))


async def read_org(ctx: MemberContext, value: str) -> Data | Retry:
    if value == "mine":
        organisation = await my_organisation(ctx)
        return {"organisation_id": organisation[0] if organisation else None}
    if not value or len(value) > 200:
        return Retry(ctx.t("Please send a name of 1 to 200 characters."))
    found = await ctx.repo(OrganisationRepo).get_or_create(ctx.network.id, value, now=ctx.now)
    return {"organisation_id": found.id}


async def ask_link(ctx: MemberContext) -> None:
    await ctx.reply(Text(ctx.t("Send a link (a video, a document, a LINE file's link) or a photo, or skip."),
                         buttons=[[skip_button(ctx)]]))


async def read_link(ctx: MemberContext, value: str) -> Data | Retry:
    link, error = check_link(ctx.t, value)
    return Retry(error) if error else {"link": link}


async def show_draft(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    data = ctx.flow.data
    organisation = (await ctx.repo(OrganisationRepo).get(ctx.network.id, data["organisation_id"])
                    if data.get("organisation_id") else None)
    card = Card(title=ctx.t("Check before sharing:") + "\n" + data["title"],
                fields=practice_fields(ctx.t, description=data["description"], aim=data.get("aim") or "",
                                       subjects=data.get("subjects") or [], grades=data.get("grades") or [],
                                       organisation=organisation.name if organisation else "",
                                       link=data.get("link"), photo=bool(data.get("photo"))),
                buttons=[[ctx.flow_button(ctx.t("Share"), "save"), ctx.flow_button(ctx.t("Cancel"), "cancel")]])
    await ctx.reply(card)


SHARE_STEPS: dict[str, Step] = {
    "title": Step(ask_title, read_title, next="description"),
    "description": Step(ask_description, read_description, next="aim"),
    "aim": Step(ask_aim, skippable(read_aim), next="subjects"),
    "subjects": Step(ask_subjects, skippable(read_subjects), next="org"),
    "org": Step(ask_org, skippable(read_org), next="link"),
    "link": Step(ask_link, skippable(read_link), next="confirm"),
    "confirm": confirm(show_draft, save_practice, retry=N_("Tap Share to publish the practice, or Cancel.")),
}
router.steps("share", SHARE_STEPS, roles=SHARERS)


@router.on(EventKind.PHOTO)
async def photo_received(ctx: Context) -> None:
    """A photo during /share is the practice's photo (LINE files arrive as links, photos as photos)."""
    await take_photo(ctx, "share", SHARE_STEPS, moves_on_at="link")


# ------------------------------------------------------------------ the card


def practice_fields(t: Translator, *, description: str, aim: str, subjects: list[str], grades: list[str],
                    organisation: str, link: str | None, photo: bool) -> list[tuple[str, str]]:
    fields = [(t("Description"), description)]
    if aim:
        fields.append((t("Aim of the practice"), aim))
    if subjects or grades:
        fields.append((t("Subjects and grades"), " ".join([*subjects, *grades])))
    if organisation:
        fields.append((t("Organisation"), organisation))
    if link:
        fields.append((t("Link"), link))
    if photo:
        fields.append((t("Photo"), t("attached 📷")))
    return fields


async def practice_card(ctx: MemberContext, practice: Practice) -> Card:
    """A practice with its useful count and the two buttons."""
    t = ctx.t
    count, _mine = (await ctx.repo(PracticeRepo).reactions(ctx.network.id, [practice.id]))[practice.id]
    fields = practice_fields(t, description=practice.description, aim=practice.aim, subjects=practice.subjects,
                             grades=practice.grades, organisation=practice.organisation_name, link=practice.link,
                             photo=practice.photo_ref == PHOTO)
    fields.append((t("Shared"), t("{date} by {name}", date=t.date(ctx.local(practice.created_at).date()),
                                  name=practice.author_name or "-")))
    fields.append((t("Useful"), t("{n} people", n=count)))
    buttons = [[ctx.button(t("Useful"), "kbu", practice.id), ctx.button(t("Ask the author"), "kba", practice.id)]]
    if practice.link:
        buttons.append([Button(label=t("Open the link"), url=practice.link)])
    return Card(title=f"#{practice.number} {practice.title}", fields=fields, buttons=buttons,
                alt_text=practice.title)


async def load_practice(ctx: MemberContext) -> Practice | None:
    """The practice a button names (by id), in this network; a polite word when there is none."""
    try:
        practice_id = ctx.payload.int_arg(0)
    except ValueError:
        practice_id = 0
    practice = await ctx.repo(PracticeRepo).by_id(ctx.network.id, practice_id)
    if practice is None:
        await ctx.say(ctx.t("That practice does not exist in this network."))
    return practice


async def show_practice(ctx: MemberContext, practice: Practice) -> None:
    replies: list[Reply] = [await practice_card(ctx, practice)]
    if practice.photo_ref == PHOTO and ctx.event.is_private:
        for content in (await ctx.repo(PhotoRepo).for_entity(ctx.network.id, "practice", practice.id))[:1]:
            replies.append(Image(png=content, alt_text=practice.title))
    for reply in replies:
        await ctx.reply(reply)


@router.button("kbo")
async def open_practice(ctx: MemberContext) -> None:
    practice = await load_practice(ctx)
    if practice is not None:
        await show_practice(ctx, practice)


async def open_by_number(ctx: MemberContext, text: str) -> bool:
    """``/kb #3``: practice number 3 (False when ``text`` is not a number)."""
    if not text.startswith("#"):
        return False
    number = parse_whole(text)
    practice = await ctx.repo(PracticeRepo).get(ctx.network.id, number) if number is not None else None
    if practice is None:
        await ctx.reply(ctx.t("There is no practice #{id} in this network.", id=text.lstrip("#")[:20]))
        return True
    await show_practice(ctx, practice)
    return True


# ------------------------------------------------------------------ [มีประโยชน์]


@router.button("kbu")
async def useful_pressed(ctx: MemberContext) -> None:
    practice = await load_practice(ctx)
    if practice is None:
        return
    repo = ctx.repo(PracticeRepo)
    added = await repo.react(ctx.network.id, practice.id, ctx.member.id, now=ctx.now)
    count, _mine = (await repo.reactions(ctx.network.id, [practice.id]))[practice.id]
    if not added:
        await ctx.say(ctx.t("You have already marked #{id} useful ({n} people found it useful).", id=practice.number,
                            n=count))
        return
    await ctx.say(ctx.t("Thank you! {n} people found #{id} useful.", n=count, id=practice.number))
