"""``/forget``: erase the member's identity after a confirming button; ``/privacyrequests``: the
coordinators' log of members' requests with the 30-day clock of the PDPA."""

from __future__ import annotations

from datetime import timedelta

from bot.context import MemberContext, TaskContext
from bot.i18n import N_
from bot.model import Text
from bot.roles import Role
from bot.router import Router, Where
from handlers.privacy.notice import NOTICE_VERSION, PURPOSES
from storage.membership import Member, MemberRepo
from storage.privacy import ConsentRepo, MemberDataRepo, PrivacyRequestRepo

router = Router()

LEGAL_DAYS = 30  # PDPA: a data subject's request is answered within 30 days
FORGET_CHAT_TASK = "privacy_forget_chat"
# The private chat row (its id is the person's platform id) goes once the answer to /forget has been sent.
FORGET_CHAT_AFTER = timedelta(hours=1)
COORDINATOR = {Role.COORDINATOR}


async def is_last_coordinator(ctx: MemberContext) -> bool:
    if ctx.member.role != Role.COORDINATOR.value:
        return False
    return len(await ctx.repo(MemberRepo).list(ctx.network.id, roles=[Role.COORDINATOR.value])) <= 1


@router.command("forget", "ลบข้อมูลของฉัน", where=Where.PRIVATE,
                help=N_("Leave the network and erase your personal data"))
async def forget_command(ctx: MemberContext) -> None:
    await ask_to_forget(ctx)


async def ask_to_forget(ctx: MemberContext) -> None:
    requests = ctx.repo(PrivacyRequestRepo)
    if await requests.pending_of(ctx.member.id, "erase") is None:
        await requests.add(ctx.member, "erase", status="pending", now=ctx.now)
    await ctx.reply(Text(ctx.t("This erases your name, your chat account id, your organisation, your unfinished "
                               "drafts and your consents, and you leave {network}. What you recorded stays in the "
                               "network's totals as “former member”, without your name. This cannot be undone. "
                               "You can get a copy of your data first with /mydata.", network=ctx.network.name),
                         buttons=[[ctx.button(ctx.t("Erase my data"), "pdf", "ok")],
                                  [ctx.button(ctx.t("Keep my data"), "pdf", "no")]]))


@router.button("pdf", where=Where.PRIVATE)
async def forget_button(ctx: MemberContext) -> None:
    choice = ctx.payload.arg(0)
    if choice == "ask":
        await ask_to_forget(ctx)
        return
    requests = ctx.repo(PrivacyRequestRepo)
    pending = await requests.pending_of(ctx.member.id, "erase")
    if choice == "no":
        if pending is not None:
            await requests.finish(pending.id, "cancelled", ctx.now)
        await ctx.say(ctx.t("Nothing was erased."))
        return
    if choice != "ok":
        await ctx.say(ctx.t("This button is out of date. Send /forget again."))
        return
    if await is_last_coordinator(ctx):
        await ctx.reply(ctx.t("You are the network's only coordinator. Make someone else a coordinator first "
                              "(/role N coordinator), then send /forget again."))
        return
    request_id = pending.id if pending is not None else await requests.add(ctx.member, "erase", status="pending",
                                                                           now=ctx.now)
    await erase_member(ctx, ctx.member, via="forget")
    await requests.finish(request_id, "done", ctx.now)
    await ctx.audit("erase", "personal_data", ctx.member.id)
    ctx.toast = ctx.t("Erased.")
    await ctx.reply(ctx.t("Your personal data was erased and you have left the network. Thank you for taking part. "
                          "To join again, ask a coordinator for a new invite code."))


async def erase_member(ctx: MemberContext | TaskContext, member: Member, *, via: str) -> None:
    """Withdraw every consent (the withdrawal stays as the record), erase the identity, and
    delete the private chat a little later (once the last answer has gone)."""
    consents = ctx.repo(ConsentRepo)
    for purpose in PURPOSES:
        await consents.record(member, purpose, granted=False, notice_version=NOTICE_VERSION, via=via, now=ctx.now)
    data = ctx.repo(MemberDataRepo)
    chat_id = await data.private_chat_id(member)
    await data.erase(member, now=ctx.now)
    if chat_id is not None:
        await ctx.schedule(f"privacy:chat:{chat_id}", FORGET_CHAT_TASK, ctx.now + FORGET_CHAT_AFTER,
                           {"chat_id": chat_id}, network=ctx.network)


@router.task(FORGET_CHAT_TASK)
async def forget_chat(ctx: TaskContext) -> None:
    await ctx.repo(MemberDataRepo).forget_private_chat(int(ctx.payload["chat_id"]))


# ------------------------------------------------------------------ the coordinators' log


@router.command("privacyrequests", "คำขอข้อมูลส่วนบุคคล", roles=COORDINATOR, where=Where.PRIVATE,
                help=N_("Members' requests about their data, with the 30-day deadline"))
async def privacy_requests(ctx: MemberContext) -> None:
    rows = await ctx.repo(PrivacyRequestRepo).of_network(ctx.network.id)
    if not rows:
        await ctx.reply(ctx.t("No member has asked for a copy or an erasure of their data yet."))
        return
    kinds = {"export": ctx.t("a copy of their data"), "erase": ctx.t("erasure")}
    lines = [ctx.t("Requests about personal data (answer within {days} days):", days=LEGAL_DAYS)]
    for row in rows:
        asked = ctx.t.date(ctx.local(row.requested_at).date())
        due = row.requested_at + timedelta(days=LEGAL_DAYS)
        if row.status == "done" and row.done_at is not None:
            state = ctx.t("done {date}", date=ctx.t.date(ctx.local(row.done_at).date()))
        elif row.status == "cancelled":
            state = ctx.t("withdrawn by the member")
        else:
            left = (due - ctx.now).days
            state = (ctx.t("open: {days} days left (by {date})", days=left, date=ctx.t.date(ctx.local(due).date()))
                     if left >= 0 else ctx.t("open: OVERDUE since {date}", date=ctx.t.date(ctx.local(due).date())))
        lines.append(ctx.t("#{id} member {n}: {kind}, asked {date}, {state}", id=row.id, n=row.member_number,
                           kind=kinds.get(row.kind, row.kind), date=asked, state=state))
    await ctx.reply("\n".join(lines))
