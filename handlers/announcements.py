"""Announcements (/announce: text, optional image, audience, preview, confirm, report)
and the coordinators' view of deliveries (/deliveries)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

from bot.args import parse_whole
from bot.context import BaseContext, Context, MemberContext, TaskContext
from bot.delivery_policy import Urgency, WaitReason
from bot.i18n import N_, Translator
from bot.model import Card, EventKind, Image, Reply, Text
from bot.outbox import MONTHLY_LIMIT_TASK
from bot.roles import Role, parse_role
from bot.flows import Data, Retry, Step, begin
from bot.router import Router, Where
from handlers._common.groups import chat_name, group_picker, short, toggle
from storage.announcement_shares import AnnouncementShareRepo
from storage.deliveries import ChatDeliveries, DeliveryRepo
from storage.meetings import Announcement, AnnouncementRepo
from storage.membership import Chat, ChatRepo, Member, MemberRepo, OrganisationRepo

ORDER = 40
router = Router()

COORDINATOR = {Role.COORDINATOR}
MAX_TEXT = 4000
MAX_IMAGE_BYTES = 5 * 1024 * 1024
# "Deliver free as groups talk": how long the announcement may wait for a free reply before it is pushed.
FREE_DELIVERY_WINDOW = timedelta(hours=24)


def announcement_replies(t: Translator, ann: Announcement, network_name: str) -> list[Reply]:
    replies: list[Reply] = [Text(t("📢 Announcement from {network}", network=network_name) + "\n\n" + ann.text)]
    if ann.image:
        replies.append(Image(png=ann.image, alt_text=t("Announcement image")))
    return replies


def announcement_card(t: Translator, ann: Announcement, network_name: str) -> Card:
    """The announcement as one card (what a coordinator shares into chats themselves; no buttons)."""
    return Card(title=t("📢 Announcement from {network}", network=network_name), body=ann.text)


async def audience(ctx: BaseContext, ann: Announcement) -> tuple[list[Chat], list[Member]]:
    """Groups and members an announcement goes to (scoped to the network)."""
    assert ctx.network is not None
    kind = ann.audience.get("kind", "all")
    values = ann.audience.get("values", [])
    if kind in ("all", "groups"):
        groups = await ctx.repo(ChatRepo).linked_groups(ctx.network.id)
        return (groups if kind == "all" else [c for c in groups if c.id in values]), []
    members = ctx.repo(MemberRepo)
    if kind == "role":
        return [], await members.list(ctx.network.id, roles=[str(v) for v in values])
    if kind == "org":
        return [], await members.list(ctx.network.id, organisation_ids=[int(v) for v in values])
    return [], []


def audience_text(t: Translator, groups: list[Chat], people: list[Member], label: Callable[[str], str]) -> str:
    if groups:
        names = t.join(chat_name(t, c, label(c.platform)) for c in groups)
        return t("{n} group(s): {names}", n=len(groups), names=names)
    return t("{n} member(s), privately", n=len(people))


async def cost_text(ctx: BaseContext, groups: list[Chat], people: list[Member]) -> str | None:
    """The estimated cost of sending to this audience on the platforms that bill pushes (None if free)."""
    t = ctx.t
    texts = []
    for cost in await ctx.delivery_cost(groups, people):
        text = t("{platform} cost estimate: about {messages} message(s) from the monthly quota ({pushes} push(es); "
                 "every member of a {platform} group counts as one).", platform=cost.platform,
                 messages=cost.messages, pushes=cost.pushes)
        if cost.unknown_groups:
            text += "\n" + t("The member count of {n} {platform} group(s) is not known yet; each is counted as 1.",
                             n=cost.unknown_groups, platform=cost.platform)
        texts.append(text)
    return "\n".join(texts) or None


async def push_now_label(ctx: MemberContext, groups: list[Chat], people: list[Member], billed: list[str]) -> str:
    """"Push now (uses N of your M remaining)": N the estimate on the billed platforms, M what is left of
    the month's budget (the network's /settings line-budget, capped by the account's limit) when known."""
    costs = await ctx.delivery_cost([c for c in groups if c.platform in billed],
                                    [m for m in people if m.platform in billed])
    n = sum(c.messages for c in costs)
    reading = ctx.app.quotas.get(billed[0])
    own = ctx.network.settings.get("line_budget")
    limits = [v for v in (reading.limit if reading else None, own if isinstance(own, int) else None) if v is not None]
    if reading is None or not limits:
        return ctx.t("Push now (uses about {n} messages)", n=n)
    return ctx.t("Push now (uses {n} of your {m} remaining)", n=n, m=max(0, min(limits) - reading.used))


# ------------------------------------------------------------------ /announce


@router.command("announce", "ประกาศ", roles=COORDINATOR, where=Where.PRIVATE,
                help=N_("Send an announcement to the network's groups (/announce report: delivery report)"))
async def announce(ctx: MemberContext) -> None:
    args = ctx.args.strip()
    if args.split(" ", 1)[0].lower() in ("report", "รายงาน"):
        rest = args.split(" ", 1)[1].strip().lstrip("#") if " " in args else ""
        number = parse_whole(rest) if rest else None
        if rest and number is None:  # not a number, or beyond any announcement's
            await ctx.reply(ctx.t("No sent announcement found. Usage: /announce report [number]"))
            return
        repo = ctx.repo(AnnouncementRepo)
        await report(ctx, await repo.by_number(ctx.network.id, number) if number is not None
                     else await repo.latest_sent(ctx.network.id))
        return
    await begin(ctx, "announce", "text", answer=args)


async def ask_text(ctx: MemberContext) -> None:
    await ctx.reply(ctx.t("What should the announcement say? Send the text."))


async def read_text(ctx: MemberContext, value: str) -> Data | Retry:
    if not 1 <= len(value) <= MAX_TEXT:
        return Retry(ctx.t("Please send a text of 1 to {max} characters.", max=MAX_TEXT))
    ann = await ctx.repo(AnnouncementRepo).create(ctx.network.id, text=value, created_by=ctx.member.id, now=ctx.now)
    return {"id": ann.id}


def no_image(ctx: MemberContext, question: str) -> Text:
    return Text(question, buttons=[[ctx.flow_button(ctx.t("No image"), "noimg")]])


async def ask_image(ctx: MemberContext) -> None:
    await ctx.reply(no_image(ctx, ctx.t("Add an image? Send a photo now, or tap No image.")))


DraftReader = Callable[[MemberContext, Announcement, str], Awaitable[Retry | None]]


def on_draft(read: DraftReader) -> Callable[[MemberContext, str], Awaitable[Retry | None]]:
    """``read`` with the flow's draft. A draft that is gone (sent, discarded) expires the
    flow; Cancel discards it at any step."""

    async def read_draft(ctx: MemberContext, value: str) -> Retry | None:
        assert ctx.flow is not None
        repo = ctx.repo(AnnouncementRepo)
        ann = await repo.get(ctx.network.id, int(ctx.flow.data["id"]))
        if ann is None or ann.status != "draft":
            await ctx.end_flow()
            await ctx.reply(ctx.t("That conversation has expired. Please start again."))
            return None
        if value == "cancel":
            await repo.discard(ctx.network.id, ann.id)
            await ctx.end_flow()
            await ctx.reply(ctx.t("Cancelled. Nothing was sent."))
            return None
        return await read(ctx, ann, value)

    return read_draft


async def read_image(ctx: MemberContext, ann: Announcement, value: str) -> Retry | None:
    if value != "noimg":  # the image itself arrives as a photo event
        return Retry(no_image(ctx, ctx.t("Please send a photo, or tap No image.")))
    await ask_audience(ctx)
    return None


async def read_role(ctx: MemberContext, ann: Announcement, value: str) -> Retry | None:
    role = parse_role(value)
    if role is None:
        return Retry(ctx.t("Please choose a role with the buttons."))
    await ctx.repo(AnnouncementRepo).update_draft(ctx.network.id, ann.id, audience={"kind": "role",
                                                                                   "values": [role.value]})
    await preview(ctx, ann.id)
    return None


async def read_org(ctx: MemberContext, ann: Announcement, value: str) -> Retry | None:
    org = (await ctx.repo(OrganisationRepo).get(ctx.network.id, int(value[2:]))
           if value.startswith("o:") and value[2:].isdigit() else None)
    if org is None:
        return Retry(ctx.t("Please choose an organisation with the buttons."))
    await ctx.repo(AnnouncementRepo).update_draft(ctx.network.id, ann.id, audience={"kind": "org", "values": [org.id]})
    await preview(ctx, ann.id)
    return None


async def read_groups(ctx: MemberContext, ann: Announcement, value: str) -> Retry | None:
    assert ctx.flow is not None
    t = ctx.t
    selected = list(ctx.flow.data.get("groups", []))
    if value == "done":
        if not selected:
            return Retry(await group_picker(ctx, [], t("Please choose at least one group.")))
        await ctx.repo(AnnouncementRepo).update_draft(ctx.network.id, ann.id,
                                                      audience={"kind": "groups", "values": selected})
        await preview(ctx, ann.id)
    elif value.startswith("g:"):
        selected = toggle(selected, value)
        await ctx.goto("groups", groups=selected)
        await ctx.reply(await group_picker(ctx, selected, t("Tap groups to choose them, then Done.")))
    else:
        return Retry(t("Please use the buttons: tap groups, then Done."))
    return None


async def read_confirm(ctx: MemberContext, ann: Announcement, value: str) -> Retry | None:
    if value not in ("send", "free"):
        return Retry(ctx.t("Please tap Send or Cancel."))
    await send(ctx, ann, free=value == "free")
    return None


@router.on(EventKind.PHOTO)
async def photo(ctx: Context) -> None:
    """A photo while the announcement flow waits for its image."""
    if ctx.flow is None or ctx.flow.flow != "announce" or ctx.flow.step != "image":
        return
    if ctx.member is None or ctx.member.role != Role.COORDINATOR.value or ctx.network is None:
        return
    if not ctx.event.photo or len(ctx.event.photo) > MAX_IMAGE_BYTES:
        await ctx.reply(ctx.t("That image is too large (at most 5 MB). Please send a smaller one."))
        return
    await ctx.repo(AnnouncementRepo).update_draft(ctx.network.id, int(ctx.flow.data["id"]), image=ctx.event.photo)
    await ctx.reply(ctx.t("Image added."))
    await ask_audience(ctx)


async def ask_audience(ctx: Context) -> None:
    t = ctx.t
    await ctx.goto("audience")
    await ctx.reply(Text(t("Who should receive it?"), buttons=[
        [ctx.flow_button(t("All groups"), "all"), ctx.flow_button(t("Choose groups"), "groups")],
        [ctx.flow_button(t("By role"), "role"), ctx.flow_button(t("By organisation"), "org")],
        [ctx.flow_button(t("Cancel"), "cancel")]]))


async def read_audience(ctx: MemberContext, ann: Announcement, value: str) -> Retry | None:
    t = ctx.t
    if value == "all":
        await ctx.repo(AnnouncementRepo).update_draft(ctx.network.id, ann.id, audience={"kind": "all"})
        await preview(ctx, ann.id)
    elif value == "groups":
        await ctx.goto("groups", groups=[])
        await ask_groups(ctx)
    elif value == "role":
        await ctx.goto("role")
        await ask_role(ctx)
    elif value == "org":
        orgs = await ctx.repo(OrganisationRepo).list(ctx.network.id)
        if not orgs:
            return Retry(t("No organisations yet (members set theirs with /org). Please choose another way."))
        await ctx.goto("org")
        await ask_org(ctx)
    else:
        return Retry(t("Please choose with the buttons."))
    return None


async def ask_groups(ctx: MemberContext) -> None:
    await ctx.reply(await group_picker(ctx, [], ctx.t("Tap groups to choose them, then Done.")))


async def ask_role(ctx: MemberContext) -> None:
    t = ctx.t
    roles = [Role.COORDINATOR, Role.TEACHER, Role.PARENT, Role.PARTNER]
    await ctx.reply(Text(t("Which role? They receive it in a private chat."),
                         buttons=[[ctx.flow_button(t(r.value), r.value) for r in roles]]))


async def ask_org(ctx: MemberContext) -> None:
    orgs = await ctx.repo(OrganisationRepo).list(ctx.network.id)
    await ctx.reply(Text(ctx.t("Which organisation? Its members receive it in a private chat."),
                         buttons=[[ctx.flow_button(short(o.name), f"o:{o.id}")] for o in orgs[:20]]))


async def preview(ctx: MemberContext, announcement_id: int) -> None:
    ann = await ctx.repo(AnnouncementRepo).get(ctx.network.id, announcement_id)
    assert ann is not None
    groups, people = await audience(ctx, ann)
    await ctx.goto("confirm")
    await ctx.reply(ctx.t("Preview:"))
    for reply in announcement_replies(ctx.t, ann, ctx.network.name):
        await ctx.reply(reply)
    question = ctx.t("It will go to {audience}. Send it?", audience=audience_text(ctx.t, groups, people,
                                                                              ctx.platform_label))
    cost = await cost_text(ctx, groups, people)
    choices = [[ctx.flow_button(ctx.t("Send"), "send"), ctx.flow_button(ctx.t("Cancel"), "cancel")]]
    billed = sorted(({c.platform for c in groups} | {m.platform for m in people}) & ctx.app.billed_platforms)
    if billed:
        by = ctx.t.datetime(ctx.local(ctx.now + FREE_DELIVERY_WINDOW))
        choices = [[ctx.flow_button(ctx.t("Deliver free as groups talk (by {when})", when=by), "free")],
                   [ctx.flow_button(await push_now_label(ctx, groups, people, billed), "send")],
                   [ctx.flow_button(ctx.t("Cancel"), "cancel")]]
    await ctx.reply(Text(f"{cost}\n\n{question}" if cost else question, buttons=choices))


async def send(ctx: MemberContext, ann: Announcement, *, free: bool) -> None:
    """Queue the announcement: pushed now (urgent), or, by the coordinator's choice on a billed
    platform, delivered free with the chats' next replies and pushed only if none came in time."""
    groups, people = await audience(ctx, ann)
    if not await ctx.repo(AnnouncementRepo).mark_sent(ctx.network.id, ann.id, len(groups) + len(people), ctx.now):
        await ctx.end_flow()
        await ctx.reply(ctx.t("This announcement was already sent."))
        return
    queued, unreachable = await queue(ctx, ann, groups, people, free=free)
    await ctx.audit("send", "announcement", ann.id, audience=ann.audience, queued=queued, unreachable=unreachable)
    await ctx.end_flow()
    text = ctx.t("Announcement #{id} is on its way to {n} chat(s).", id=ann.number, n=queued)
    if unreachable:
        text += "\n" + ctx.t("{n} member(s) cannot be reached privately (they have not added the bot).",
                             n=unreachable)
    await ctx.reply(Text(text, buttons=[[ctx.button(ctx.t("Delivery report"), "annrep", ann.id)]]))


async def queue(ctx: BaseContext, ann: Announcement, groups: list[Chat], people: list[Member], *,
                free: bool) -> tuple[int, int]:
    """Outbox rows for ``groups`` and ``people`` (urgent, or free with the chats' next replies within
    :data:`FREE_DELIVERY_WINDOW`); (queued, unreachable members). A chat queued before is not queued again."""
    assert ctx.network is not None
    urgency = Urgency.TIMELY if free else Urgency.URGENT
    deliver_by = ctx.now + FREE_DELIVERY_WINDOW if free else None
    network_name = ctx.network.name
    queued = 0
    for chat in groups:
        queued += await ctx.push(chat, lambda t: announcement_replies(t, ann, network_name),
                                 key=f"announce:{ann.id}:chat:{chat.id}", urgency=urgency, deliver_by=deliver_by)
    unreachable = 0
    for member in people:
        if await ctx.push_member(member, lambda t: announcement_replies(t, ann, network_name),
                                 key=f"announce:{ann.id}:member:{member.id}", urgency=urgency,
                                 deliver_by=deliver_by):
            queued += 1
        else:
            unreachable += 1
    return queued, unreachable


async def ask_confirm(ctx: MemberContext) -> None:
    assert ctx.flow is not None
    await preview(ctx, int(ctx.flow.data["id"]))


# After the text, each step moves on by itself (the audience decides what is asked next).
router.steps("announce", {
    "text": Step(ask_text, read_text, next="image"),
    "image": Step(ask_image, on_draft(read_image)),
    "audience": Step(ask_audience, on_draft(read_audience)),
    "groups": Step(ask_groups, on_draft(read_groups)),
    "role": Step(ask_role, on_draft(read_role)),
    "org": Step(ask_org, on_draft(read_org)),
    "confirm": Step(ask_confirm, on_draft(read_confirm)),
}, roles=COORDINATOR)


# ------------------------------------------------------------------ reports

WAIT_REASONS = {
    WaitReason.FREE_CHANCE: N_("waiting to ride free on the chat's next reply"),
    WaitReason.BUDGET: N_("held back: the month's LINE budget does not allow the push"),
    WaitReason.MONTHLY_LIMIT: N_("the LINE monthly quota is used up (they go free with replies, or next month)"),
    WaitReason.QUIET_HOURS: N_("held until quiet hours end"),
}


def delivery_line(t: Translator, row: ChatDeliveries, platform: str) -> str:
    if row.dead:
        state = t("failed")
    elif row.pending:
        state = t("pending")
    else:
        state = t("sent")
    line = f"• {chat_name(t, _as_chat(row), platform)}: {state}"
    if row.dead and row.last_error:
        line += f" ({row.last_error[:80]})"
    return line


def _as_chat(row: ChatDeliveries) -> Chat:
    return Chat(id=row.chat_id, platform=row.platform, platform_chat_id="", kind=row.kind, title=row.title,
                network_id=None, active=row.active)


def totals(rows: list[ChatDeliveries]) -> tuple[int, int, int]:
    return (sum(r.sent for r in rows), sum(r.pending for r in rows), sum(r.dead for r in rows))


async def report(ctx: MemberContext, ann: Announcement | None) -> None:
    if ann is None or ann.status != "sent":
        await ctx.reply(ctx.t("No sent announcement found. Usage: /announce report [number]"))
        return
    rows = await ctx.repo(DeliveryRepo).by_chat(ctx.network.id, key_prefix=f"announce:{ann.id}:")
    t = ctx.t
    sent, pending, dead = totals(rows)
    lines = [t("Delivery report for announcement #{id} ({when}):", id=ann.number,
               when=t.datetime(ctx.local(ann.sent_at or ann.created_at))),
             t("Sent {sent} · Pending {pending} · Failed {failed}", sent=sent, pending=pending, failed=dead)]
    lines += await share_lines(ctx, ann)
    lines += [delivery_line(t, r, ctx.platform_label(r.platform)) for r in rows if r.kind == "group"]
    private = [r for r in rows if r.kind != "group"]
    if private:
        p_sent, p_pending, p_dead = totals(private)
        lines.append(t("Private messages: sent {sent} · pending {pending} · failed {failed}", sent=p_sent,
                       pending=p_pending, failed=p_dead))
    await ctx.reply(Text("\n".join(lines), buttons=[[ctx.button(t("Refresh"), "annrep", ann.id)]]))


async def share_lines(ctx: BaseContext, ann: Announcement) -> list[str]:
    """What is known of an announcement a coordinator shared into chats themselves: who, when, how."""
    assert ctx.network is not None
    lines = []
    for share in await ctx.repo(AnnouncementShareRepo).of(ctx.network.id, ann.id):
        member = await ctx.repo(MemberRepo).get(ctx.network.id, share.member_id) if share.member_id else None
        lines.append(ctx.t("Shared by {name} on {when} with {platform}'s share picker, into chats they chose "
                           "({platform} does not tell the bot which ones); nothing was pushed or billed for it.",
                           name=member.display_name if member else ctx.t("a coordinator"),
                           when=ctx.t.datetime(ctx.local(share.shared_at)), platform=ctx.platform_label(share.platform)))
    return lines


@router.button("annrep", roles=COORDINATOR)
async def report_button(ctx: MemberContext) -> None:
    await report(ctx, await ctx.repo(AnnouncementRepo).get(ctx.network.id, ctx.payload.int_arg(0)))


@router.command("deliveries", "การส่ง", roles=COORDINATOR,
                help=N_("Pushes waiting or failed, per group (/deliveries retry: try failed ones again)"))
async def deliveries(ctx: MemberContext) -> None:
    t = ctx.t
    repo = ctx.repo(DeliveryRepo)
    if ctx.args.strip().lower() in ("retry", "ลองใหม่"):
        count = await ctx.retry_failed_pushes()
        await ctx.audit("retry", "deliveries", None, count=count)
        await ctx.reply(t("{n} failed message(s) will be tried again.", n=count))
        return
    rows = await repo.by_chat(ctx.network.id)
    recent = {r.chat_id: r for r in await repo.by_chat(ctx.network.id, since=ctx.now - timedelta(days=7))}
    counts = await repo.status_counts(ctx.network.id)
    lines = [t("Deliveries: {pending} pending, {dead} failed (dead letters), {sent} sent in total.",
               pending=counts.get("pending", 0), dead=counts.get("dead", 0), sent=counts.get("sent", 0))]

    def group_line(chat: Chat, pending: int, dead: int, sent: int) -> str:
        line = t("• {chat}: pending {pending} · failed {dead} · sent this week {sent}",
                 chat=chat_name(t, chat, ctx.platform_label(chat.platform)), pending=pending, dead=dead, sent=sent)
        return line + " " + t("(the bot cannot reach this group)") if not chat.active else line

    for row in rows:
        if row.kind != "group":
            continue
        week = recent.get(row.chat_id)
        lines.append(group_line(_as_chat(row), row.pending, row.dead, week.sent if week else 0))
    # Linked groups that have had nothing to deliver yet are listed too: one that removed the bot shows it.
    listed = {row.chat_id for row in rows}
    for chat in await ctx.repo(ChatRepo).linked_groups(ctx.network.id, active_only=False):
        if chat.id not in listed:
            lines.append(group_line(chat, 0, 0, 0))
    private = [r for r in rows if r.kind != "group"]
    if private:
        p_sent, p_pending, p_dead = totals(private)
        lines.append(t("Private messages: sent {sent} · pending {pending} · failed {failed}", sent=p_sent,
                       pending=p_pending, failed=p_dead))
    waiting = await repo.waiting(ctx.network.id)
    reasons = [(reason, waiting[reason.value]) for reason in WaitReason if waiting.get(reason.value)]
    if reasons:
        lines.append(t("Why they wait:"))
        lines += [f"  – {t(WAIT_REASONS[reason])}: {n}" for reason, n in reasons]
    superseded = counts.get("superseded", 0)
    if superseded:
        lines.append(t("{n} notification(s) were replaced by a newer one before they went out (not sent).",
                       n=superseded))
    dead = await repo.dead_letters(ctx.network.id, limit=5)
    if dead:
        lines.append(t("Latest failures:"))
        for letter in dead:
            where = letter.title or t("private chat")
            lines.append(f"  – {where}: {letter.key.split(':', 1)[0]} — {(letter.error or '')[:80]}")
        lines.append(t("Send /deliveries retry to try the failed ones again."))
    await ctx.reply("\n".join(lines))


@router.task(MONTHLY_LIMIT_TASK)
async def monthly_limit_reached(ctx: TaskContext) -> None:
    """LINE refused a push for the month's quota: tell the coordinators privately (a digest, so on
    LINE it rides on their next free reply) and in the network's Telegram groups, once a day."""
    network = ctx.network
    if network is None:
        return
    day = f"{ctx.local(ctx.now):%Y-%m-%d}"

    def notice(t: Translator) -> list[Reply]:
        return [Text(t("⚠️ The LINE monthly message quota is used up: LINE pushes wait. They are delivered free "
                       "when members write in the groups, or next month. /deliveries shows what waits."))]

    for member in await ctx.repo(MemberRepo).list(network.id, roles=[Role.COORDINATOR.value]):
        await ctx.push_member(member, notice, key=f"quota:{network.id}:{day}:member:{member.id}",
                              urgency=Urgency.DIGEST, topic="quota:monthly-limit")
    for chat in await ctx.repo(ChatRepo).linked_groups(network.id):
        if chat.platform not in ctx.app.billed_platforms:
            await ctx.push(chat, notice, key=f"quota:{network.id}:{day}:chat:{chat.id}", urgency=Urgency.TIMELY)
