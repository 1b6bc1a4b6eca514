"""Announcements (/announce: text, optional image, audience, preview, confirm, report)
and the coordinators' view of deliveries (/deliveries)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from bot.context import Context
from bot.i18n import N_, Translator
from bot.model import EventKind, Image, Reply, Text
from bot.roles import Role, parse_role
from bot.router import Router, Where
from handlers._groups import chat_name, group_picker, linked_groups, short, toggle
from storage.deliveries import ChatDeliveries, DeliveryRepo
from storage.meetings import Announcement, AnnouncementRepo
from storage.membership import Chat, Member, MemberRepo, OrganisationRepo

ORDER = 40
router = Router()

COORDINATOR = {Role.COORDINATOR}
MAX_TEXT = 4000
MAX_IMAGE_BYTES = 5 * 1024 * 1024


def announcement_replies(t: Translator, ann: Announcement, network_name: str) -> list[Reply]:
    replies: list[Reply] = [Text(t("📢 Announcement from {network}", network=network_name) + "\n\n" + ann.text)]
    if ann.image:
        replies.append(Image(png=ann.image, alt_text=t("Announcement image")))
    return replies


async def audience(ctx: Context, ann: Announcement) -> tuple[list[Chat], list[Member]]:
    """Groups and members an announcement goes to (scoped to the network)."""
    assert ctx.network is not None
    kind = ann.audience.get("kind", "all")
    values = ann.audience.get("values", [])
    if kind == "all":
        return await linked_groups(ctx), []
    if kind == "groups":
        return [c for c in await linked_groups(ctx) if c.id in values], []
    members = ctx.repo(MemberRepo)
    if kind == "role":
        return [], await members.list(ctx.network.id, roles=[str(v) for v in values])
    if kind == "org":
        return [], await members.list(ctx.network.id, organisation_ids=[int(v) for v in values])
    return [], []


def audience_text(t: Translator, groups: list[Chat], people: list[Member], label: Callable[[str], str]) -> str:
    if groups:
        return t("{n} group(s): {names}", n=len(groups), names=", ".join(chat_name(t, c, label(c.platform)) for c in groups))
    return t("{n} member(s), privately", n=len(people))


async def cost_text(ctx: Context, groups: list[Chat], people: list[Member]) -> str | None:
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


# ------------------------------------------------------------------ /announce


@router.command("announce", "ประกาศ", roles=COORDINATOR, where=Where.PRIVATE,
                help=N_("Send an announcement to the network's groups (/announce report: delivery report)"))
async def announce(ctx: Context) -> None:
    args = ctx.args.strip()
    if args.split(" ", 1)[0].lower() in ("report", "รายงาน"):
        rest = args.split(" ", 1)[1].strip().lstrip("#") if " " in args else ""
        await report(ctx, int(rest) if rest.isdigit() else None)
        return
    await ctx.start_flow("announce", "text")
    if args:
        ctx.input = args
        await announce_flow(ctx)
        return
    await ctx.reply(ctx.t("What should the announcement say? Send the text."))


@router.flow("announce", roles=COORDINATOR)
async def announce_flow(ctx: Context) -> None:
    assert ctx.flow is not None and ctx.network is not None and ctx.member is not None
    step, data, value, t = ctx.flow.step, ctx.flow.data, ctx.input.strip(), ctx.t
    repo = ctx.repo(AnnouncementRepo)
    if step == "text":
        if not 1 <= len(value) <= MAX_TEXT:
            await ctx.reply(t("Please send a text of 1 to {max} characters.", max=MAX_TEXT))
            return
        ann = await repo.create(ctx.network.id, text=value, created_by=ctx.member.id, now=ctx.now)
        await ctx.goto("image", id=ann.id)
        await ctx.reply(Text(t("Add an image? Send a photo now, or tap No image."),
                             buttons=[[ctx.flow_button(t("No image"), "noimg")]]))
        return
    ann = await repo.get(ctx.network.id, int(data["id"]))
    if ann is None or ann.status != "draft":
        await ctx.end_flow()
        await ctx.reply(t("That conversation has expired. Please start again."))
        return
    if value == "cancel":
        await repo.discard(ctx.network.id, ann.id)
        await ctx.end_flow()
        await ctx.reply(t("Cancelled. Nothing was sent."))
    elif step == "image":
        if value != "noimg":
            await ctx.reply(Text(t("Please send a photo, or tap No image."),
                                 buttons=[[ctx.flow_button(t("No image"), "noimg")]]))
            return
        await ask_audience(ctx)
    elif step == "audience":
        await choose_audience(ctx, ann, value)
    elif step == "role":
        role = parse_role(value)
        if role is None:
            await ctx.reply(t("Please choose a role with the buttons."))
            return
        await repo.update_draft(ctx.network.id, ann.id, audience={"kind": "role", "values": [role.value]})
        await preview(ctx, ann.id)
    elif step == "org":
        if not value.startswith("o:") or not value[2:].isdigit():
            await ctx.reply(t("Please choose an organisation with the buttons."))
            return
        org = await ctx.repo(OrganisationRepo).get(ctx.network.id, int(value[2:]))
        if org is None:
            await ctx.reply(t("Please choose an organisation with the buttons."))
            return
        await repo.update_draft(ctx.network.id, ann.id, audience={"kind": "org", "values": [org.id]})
        await preview(ctx, ann.id)
    elif step == "groups":
        selected = list(data.get("groups", []))
        if value == "done":
            if not selected:
                await ctx.reply(await group_picker(ctx, [], t("Please choose at least one group.")))
                return
            await repo.update_draft(ctx.network.id, ann.id, audience={"kind": "groups", "values": selected})
            await preview(ctx, ann.id)
        elif value.startswith("g:"):
            selected = toggle(selected, value)
            await ctx.goto("groups", groups=selected)
            await ctx.reply(await group_picker(ctx, selected, t("Tap groups to choose them, then Done.")))
        else:
            await ctx.reply(t("Please use the buttons: tap groups, then Done."))
    elif step == "confirm":
        if value == "send":
            await send(ctx, ann)
        else:
            await ctx.reply(t("Please tap Send or Cancel."))


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


async def choose_audience(ctx: Context, ann: Announcement, value: str) -> None:
    assert ctx.network is not None
    t = ctx.t
    if value == "all":
        await ctx.repo(AnnouncementRepo).update_draft(ctx.network.id, ann.id, audience={"kind": "all"})
        await preview(ctx, ann.id)
    elif value == "groups":
        await ctx.goto("groups", groups=[])
        await ctx.reply(await group_picker(ctx, [], t("Tap groups to choose them, then Done.")))
    elif value == "role":
        await ctx.goto("role")
        roles = [Role.COORDINATOR, Role.TEACHER, Role.PARENT, Role.PARTNER]
        await ctx.reply(Text(t("Which role? They receive it in a private chat."),
                             buttons=[[ctx.flow_button(t(r.value), r.value) for r in roles]]))
    elif value == "org":
        orgs = await ctx.repo(OrganisationRepo).list(ctx.network.id)
        if not orgs:
            await ctx.reply(t("No organisations yet (members set theirs with /org). Please choose another way."))
            return
        await ctx.goto("org")
        await ctx.reply(Text(t("Which organisation? Its members receive it in a private chat."),
                             buttons=[[ctx.flow_button(short(o.name), f"o:{o.id}")] for o in orgs[:20]]))
    else:
        await ctx.reply(t("Please choose with the buttons."))


async def preview(ctx: Context, announcement_id: int) -> None:
    assert ctx.network is not None
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
    await ctx.reply(Text(f"{cost}\n\n{question}" if cost else question,
                         buttons=[[ctx.flow_button(ctx.t("Send"), "send"), ctx.flow_button(ctx.t("Cancel"), "cancel")]]))


async def send(ctx: Context, ann: Announcement) -> None:
    assert ctx.network is not None
    groups, people = await audience(ctx, ann)
    network_name = ctx.network.name
    if not await ctx.repo(AnnouncementRepo).mark_sent(ctx.network.id, ann.id, len(groups) + len(people), ctx.now):
        await ctx.end_flow()
        await ctx.reply(ctx.t("This announcement was already sent."))
        return
    queued = 0
    for chat in groups:
        queued += await ctx.push(chat, lambda t: announcement_replies(t, ann, network_name),
                                 key=f"announce:{ann.id}:chat:{chat.id}")
    unreachable = 0
    for member in people:
        if await ctx.push_member(member, lambda t: announcement_replies(t, ann, network_name),
                                 key=f"announce:{ann.id}:member:{member.id}"):
            queued += 1
        else:
            unreachable += 1
    await ctx.audit("send", "announcement", ann.id, audience=ann.audience, queued=queued, unreachable=unreachable)
    await ctx.end_flow()
    text = ctx.t("Announcement #{id} is on its way to {n} chat(s).", id=ann.id, n=queued)
    if unreachable:
        text += "\n" + ctx.t("{n} member(s) cannot be reached privately (they have not added the bot).",
                             n=unreachable)
    await ctx.reply(Text(text, buttons=[[ctx.button(ctx.t("Delivery report"), "annrep", ann.id)]]))


# ------------------------------------------------------------------ reports


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


async def report(ctx: Context, announcement_id: int | None) -> None:
    assert ctx.network is not None
    repo = ctx.repo(AnnouncementRepo)
    ann = (await repo.get(ctx.network.id, announcement_id) if announcement_id is not None
           else await repo.latest_sent(ctx.network.id))
    if ann is None or ann.status != "sent":
        await ctx.reply(ctx.t("No sent announcement found. Usage: /announce report [number]"))
        return
    rows = await ctx.repo(DeliveryRepo).by_chat(ctx.network.id, key_prefix=f"announce:{ann.id}:")
    t = ctx.t
    sent, pending, dead = totals(rows)
    lines = [t("Delivery report for announcement #{id} ({when}):", id=ann.id,
               when=t.datetime(ctx.local(ann.sent_at or ann.created_at))),
             t("Sent {sent} · Pending {pending} · Failed {failed}", sent=sent, pending=pending, failed=dead)]
    lines += [delivery_line(t, r, ctx.platform_label(r.platform)) for r in rows if r.kind == "group"]
    private = [r for r in rows if r.kind != "group"]
    if private:
        p_sent, p_pending, p_dead = totals(private)
        lines.append(t("Private messages: sent {sent} · pending {pending} · failed {failed}", sent=p_sent,
                       pending=p_pending, failed=p_dead))
    await ctx.reply(Text("\n".join(lines), buttons=[[ctx.button(t("Refresh"), "annrep", ann.id)]]))


@router.button("annrep", roles=COORDINATOR)
async def report_button(ctx: Context) -> None:
    await report(ctx, ctx.payload.int_arg(0))  # type: ignore[attr-defined]


@router.command("deliveries", "การส่ง", roles=COORDINATOR,
                help=N_("Pushes waiting or failed, per group (/deliveries retry: try failed ones again)"))
async def deliveries(ctx: Context) -> None:
    assert ctx.network is not None
    t = ctx.t
    repo = ctx.repo(DeliveryRepo)
    if ctx.args.strip().lower() in ("retry", "ลองใหม่"):
        count = await repo.requeue_dead(ctx.network.id, ctx.now)
        await ctx.audit("retry", "deliveries", None, count=count)
        ctx.outbox_touched = ctx.outbox_touched or count > 0
        await ctx.reply(t("{n} failed message(s) will be tried again.", n=count))
        return
    rows = await repo.by_chat(ctx.network.id)
    recent = {r.chat_id: r for r in await repo.by_chat(ctx.network.id, since=ctx.now - timedelta(days=7))}
    counts = await repo.status_counts(ctx.network.id)
    lines = [t("Deliveries: {pending} pending, {dead} failed (dead letters), {sent} sent in total.",
               pending=counts.get("pending", 0), dead=counts.get("dead", 0), sent=counts.get("sent", 0))]
    for row in rows:
        if row.kind != "group":
            continue
        week = recent.get(row.chat_id)
        line = t("• {chat}: pending {pending} · failed {dead} · sent this week {sent}",
                 chat=chat_name(t, _as_chat(row), ctx.platform_label(row.platform)),
                 pending=row.pending, dead=row.dead, sent=week.sent if week else 0)
        if not row.active:
            line += " " + t("(the bot cannot reach this group)")
        lines.append(line)
    private = [r for r in rows if r.kind != "group"]
    if private:
        p_sent, p_pending, p_dead = totals(private)
        lines.append(t("Private messages: sent {sent} · pending {pending} · failed {failed}", sent=p_sent,
                       pending=p_pending, failed=p_dead))
    dead = await repo.dead_letters(ctx.network.id, limit=5)
    if dead:
        lines.append(t("Latest failures:"))
        for letter in dead:
            where = letter.title or t("private chat")
            lines.append(f"  – {where}: {letter.key.split(':', 1)[0]} — {(letter.error or '')[:80]}")
        lines.append(t("Send /deliveries retry to try the failed ones again."))
    await ctx.reply("\n".join(lines))
