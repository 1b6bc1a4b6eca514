"""Networks, invites, registration, group linking, roles and personal settings."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from bot.args import is_whole, parse_whole
from bot.context import BaseContext, Context, MemberContext
from bot.delivery_policy import Urgency
from bot.i18n import LANGUAGES, N_
from bot.model import EventKind, Text
from bot.names import clean_name
from bot.roles import Role, parse_role
from bot.router import Router, Where
from handlers._private import answer_privately, ask_for_private_chat, reachable_privately
from handlers.privacy import NOTICE_TAG, consent_register_button, registration_consent, with_notice
from storage.blocks import BlockRepo
from storage.membership import ChatRepo, InviteRepo, Member, MemberRepo, Network, NetworkRepo, OrganisationRepo

ORDER = 10
router = Router()

COORDINATOR = {Role.COORDINATOR}
# No 0/O, 1/I/L: codes are read aloud and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
MAX_INVITE_USES = 1000
MAX_INVITE_DAYS = 90
MAX_NAME = 200  # network and organisation names (their columns' size; the messages say 200)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def show_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def normalise_code(text: str) -> str:
    from bot.dates import from_thai_digits

    return re.sub(r"[\s\-]", "", from_thai_digits(text)).upper()


async def unique_code(ctx: BaseContext) -> str:
    repo = ctx.repo(InviteRepo)
    while True:
        code = new_code()
        if not await repo.code_exists(code):
            return code


def role_label(ctx: Context, role: str) -> str:
    return ctx.t(role)


# ------------------------------------------------------------------ basics


@router.command("start", "เริ่ม", member=False, help=N_("Welcome and the main menu"))
async def start(ctx: Context) -> None:
    if ctx.member is None:
        if ctx.event.is_private:
            await ctx.reply(ctx.t("Welcome to EduNet, the bot of our educational collaboration network.\n"
                                  "To register, send /join followed by the invite code from your coordinator."))
        else:
            await greet_group(ctx)
        return
    await ctx.reply(Text(ctx.t("Welcome back, {name}! You are a {role} in {network}.",
                               name=ctx.member.display_name, role=role_label(ctx, ctx.member.role),
                               network=ctx.network.name if ctx.network else "-"),
                         buttons=[[ctx.button(ctx.t("My profile"), "me"), ctx.button(ctx.t("Help"), "help")]],
                         quick_replies=True))


@router.command("help", "ช่วยเหลือ", member=False, help=N_("What I can do for you"))
async def help_command(ctx: Context) -> None:
    await ctx.reply(help_text(ctx))


@router.button("help", member=False)
async def help_button(ctx: Context) -> None:
    await ctx.reply(help_text(ctx))


def help_text(ctx: Context) -> str:
    role = Role(ctx.member.role) if ctx.member else None
    lines = [ctx.t("Commands you can use:")]
    for route in sorted(ctx.app.router.commands.values(), key=lambda r: r.order):
        if route.help is None:
            continue
        if route.rule.member and role is None:
            continue
        if route.rule.roles is not None and role not in route.rule.roles:
            continue
        alias = f" ({route.aliases[0]})" if route.aliases else ""
        lines.append(f"/{route.name}{alias} — {ctx.t(route.help)}")
    return "\n".join(lines)


@router.command("cancel", "ยกเลิก", member=False, help=N_("Stop what we are doing"))
async def cancel(ctx: Context) -> None:
    if ctx.flow is None:
        await ctx.reply(ctx.t("There is nothing to cancel."))
        return
    await ctx.end_flow()
    await ctx.reply(ctx.t("Cancelled. Nothing was saved."))


# ------------------------------------------------------------------ networks


@router.command("newnetwork", "สร้างเครือข่าย", member=False, where=Where.PRIVATE)
async def new_network(ctx: Context) -> None:
    if not ctx.app.is_admin(ctx.event.platform, ctx.event.sender.user_id):
        await ctx.reply(ctx.t("Only an EduNet administrator can create a network."))
        return
    name = ctx.args.strip().strip('"“”')
    if not name:
        await ctx.start_flow("newnetwork", "name")
        await ctx.reply(ctx.t("What is the network's name?"))
        return
    if len(name) > MAX_NAME:  # the same check as the step-by-step form's
        await ctx.reply(ctx.t("Please send a name of 1 to 200 characters."))
        return
    await create_network(ctx, name)


@router.flow("newnetwork", member=False)
async def new_network_flow(ctx: Context) -> None:
    name = ctx.input.strip().strip('"“”')
    if not name or len(name) > MAX_NAME:
        await ctx.reply(ctx.t("Please send a name of 1 to 200 characters."))
        return
    await ctx.end_flow()
    await create_network(ctx, name)


async def create_network(ctx: Context, name: str) -> None:
    name = clean_name(name)
    network = await ctx.repo(NetworkRepo).create(name, timezone=ctx.app.settings.timezone,
                                                 language=ctx.app.settings.language, now=ctx.now)
    ctx.network = network
    code = await unique_code(ctx)
    await ctx.repo(InviteRepo).create(network.id, code=code, role=Role.COORDINATOR.value, max_uses=1,
                                      expires_at=ctx.now + timedelta(days=7), created_by=None, now=ctx.now)
    await ctx.audit("create", "network", network.id, name=name)
    text = ctx.t("Network “{name}” created. Coordinator invite code: {code} (one use, valid 7 days).",
                 name=name, code=show_code(code))
    if ctx.member is None:  # the button is shown with the privacy notice: pressing it is consent
        text = with_notice(ctx, text, name)
        buttons = [[ctx.button(ctx.t("Join as coordinator"), "joincode", code, NOTICE_TAG)]]
    else:  # a member of another network adds this one; the notice comes with the join
        buttons = [[ctx.button(ctx.t("Join as coordinator"), "joincode", code)]]
    await ctx.reply(Text(text, buttons=buttons))


# ------------------------------------------------------------------ invites and joining


@router.command("invite", "เชิญ", roles=COORDINATOR, help=N_("Create an invite code: /invite ROLE [uses] [days]"))
async def invite(ctx: MemberContext) -> None:
    parts = ctx.args.split()
    usage = ctx.t("Usage: /invite ROLE [uses] [days], e.g. /invite teacher 5 14. "
                  "Roles: coordinator, teacher, parent, partner.")
    if not parts:
        await ctx.reply(usage)
        return
    role = parse_role(parts[0])
    if role is None:
        await ctx.reply(ctx.t("“{word}” is not a role. Roles: coordinator, teacher, parent, partner.", word=parts[0]))
        return
    raw_uses = parts[1] if len(parts) > 1 else "1"
    raw_days = parts[2] if len(parts) > 2 else "7"
    if not is_whole(raw_uses) or not is_whole(raw_days):
        await ctx.reply(usage)
        return
    uses = parse_whole(raw_uses, high=MAX_INVITE_USES)
    if uses is None:
        await ctx.reply(ctx.t("Uses must be a whole number from 1 to {max}.", max=MAX_INVITE_USES))
        return
    days = parse_whole(raw_days, high=MAX_INVITE_DAYS)
    if days is None:
        await ctx.reply(ctx.t("Days must be a whole number from 1 to {max}.", max=MAX_INVITE_DAYS))
        return
    if not ctx.event.is_private and not await reachable_privately(ctx, ctx.member):
        await ask_for_private_chat(ctx)  # a code is a secret: never posted in a group
        return
    code, expires = await create_invite(ctx, ctx.member, role, uses, days)
    expiry = ctx.local(expires).date()
    await answer_privately(ctx, lambda t: [Text(t(
        "Invite code for a {role}: {code}\nUses: {uses} · valid until {date}\n"
        "Send it to the person; they send /join {code} to me in a private chat.",
        role=t(role.value), code=show_code(code), uses=uses, date=t.date(expiry)))],
        key=f"invite:{code}")


async def create_invite(ctx: BaseContext, by: Member, role: Role, uses: int, days: int) -> tuple[str, datetime]:
    """A new invite code of ``by``'s network (the rules of /invite; the web view's re-invite too)."""
    code = await unique_code(ctx)
    expires = ctx.now + timedelta(days=days)
    await ctx.repo(InviteRepo).create(by.network_id, code=code, role=role.value, max_uses=uses, expires_at=expires,
                                      created_by=by.id, now=ctx.now)
    await ctx.audit("create", "invite", code, role=role.value, uses=uses, days=days)
    return code, expires


@router.command("join", "เข้าร่วม", member=False, where=Where.PRIVATE,
                help=N_("Join the network with an invite code: /join CODE"))
async def join(ctx: Context) -> None:
    if not ctx.args:
        await ctx.start_flow("join", "code")
        await ctx.reply(ctx.t("Please send your invite code."))
        return
    await redeem(ctx, ctx.args)


@router.flow("join", member=False)
async def join_flow(ctx: Context) -> None:
    await ctx.end_flow()
    await redeem(ctx, ctx.input)


@router.button("joincode", member=False, where=Where.PRIVATE)
async def join_button(ctx: Context) -> None:
    await redeem(ctx, ctx.payload.arg(0))


async def redeem(ctx: Context, raw_code: str) -> None:
    if not ctx.event.sender.user_id:
        await ctx.reply(ctx.t("I cannot see your account id. Please add me as a friend and try again."))
        return
    code = normalise_code(raw_code)
    invites = ctx.repo(InviteRepo)
    invite = await invites.by_code(code) if code else None
    if invite is None:
        await ctx.reply(ctx.t("I don't know the code “{code}”. Please check it with your coordinator "
                              "(codes look like K7M3-QX9P).", code=raw_code.strip()[:20]))
        return
    if invite.expires_at <= ctx.now:
        await ctx.reply(ctx.t("This invite code has expired. Please ask your coordinator for a new one."))
        return
    members = ctx.repo(MemberRepo)
    platform, user_id = ctx.event.platform, ctx.event.sender.user_id
    already = await members.active_in(invite.network_id, platform, user_id)
    if already is not None:  # the code is not used up: it is theirs to pass on
        network = await ctx.repo(NetworkRepo).get(invite.network_id)
        assert network is not None
        await members.set_current(platform, user_id, network.id, now=ctx.now)
        ctx.member, ctx.network = already, network
        await ctx.reply(ctx.t("You are already registered in {network} as a {role}.",
                              network=network.name, role=role_label(ctx, already.role)))
        return
    if invite.uses >= invite.max_uses:
        await ctx.reply(ctx.t("This invite code has been used up. Please ask your coordinator for a new one."))
        return
    network = await ctx.repo(NetworkRepo).get(invite.network_id)
    assert network is not None
    consent = await registration_consent(ctx, network.name, code=code)  # PDPA: no consent, no registration
    if consent is None:
        return
    if not await invites.consume(invite.id):
        await ctx.reply(ctx.t("This invite code has been used up. Please ask your coordinator for a new one."))
        return
    others = [n for _m, n in await members.memberships(platform, user_id)]
    # An invite to another network adds it beside theirs (nothing of the others changes) and makes it current.
    member = await members.add(
        network.id, platform=platform, platform_user_id=user_id,
        display_name=ctx.sender_name, role=invite.role, language=ctx.lang,
        now=ctx.now)
    await members.set_current(platform, user_id, network.id, now=ctx.now)
    ctx.member, ctx.network = member, network
    await consent.record(ctx, member)
    await ctx.repo(BlockRepo).unblock(network.id, member.platform, member.platform_user_id)  # re-invited
    await ctx.audit("join", "member", member.id, role=invite.role, invite=invite.code)
    welcome = ctx.t("Welcome to {network}! You are registered as a {role}.\n"
                    "Tell me your organisation with /org NAME, e.g. /org โรงเรียนบ้านหนองบัว.",
                    network=network.name, role=role_label(ctx, member.role))
    buttons = [ctx.button(ctx.t("Help"), "help")]
    if others:
        welcome += "\n" + ctx.t("You are in {count} networks now. I work in {network} until you switch with "
                                "/network.", count=len(others) + 1, network=network.name)
        buttons.insert(0, ctx.button(ctx.t("My networks"), "nets"))
    await ctx.reply(Text(welcome, buttons=[buttons], quick_replies=True))


# ------------------------------------------------------------------ groups


async def greet_group(ctx: Context) -> None:
    if ctx.chat.network_id is None:
        await ctx.reply(ctx.t("Hello everyone! I am EduNet, the network's assistant. "
                              "A coordinator can connect this group to the network by sending /linkgroup here."))
    else:
        await offer_registration(ctx)


async def offer_registration(ctx: Context) -> None:
    name = ctx.network.name if ctx.network else ""
    await ctx.reply(Text(with_notice(ctx, ctx.t("Welcome to {network}'s group! Parents can register with one tap.",
                                                network=name), name),
                         buttons=[[consent_register_button(ctx)]]))


@router.on(EventKind.BOT_ADDED)
async def bot_added(ctx: Context) -> None:
    await greet_group(ctx)


@router.on(EventKind.BOT_REMOVED)
async def bot_removed(ctx: Context) -> None:
    await ctx.repo(ChatRepo).set_active(ctx.chat.id, False, reason="bot removed from the group")
    await ctx.audit("bot_removed", "chat", ctx.chat.id)


@router.on(EventKind.MEMBER_JOINED)
async def member_joined(ctx: Context) -> None:
    if ctx.chat.network_id is not None:
        await offer_registration(ctx)


@router.on(EventKind.FOLLOW)
async def followed(ctx: Context) -> None:
    if ctx.event.sender.user_id:
        await ctx.repo(MemberRepo).set_reachable_by_identity(ctx.event.platform, ctx.event.sender.user_id, True)
    await start(ctx)


@router.on(EventKind.UNFOLLOW)
async def unfollowed(ctx: Context) -> None:
    if ctx.event.sender.user_id:
        await ctx.repo(MemberRepo).set_reachable_by_identity(ctx.event.platform, ctx.event.sender.user_id,
                                                             False)
    await ctx.repo(ChatRepo).set_active(ctx.chat.id, False, reason="user blocked the bot")


@router.command("linkgroup", "เชื่อมกลุ่ม", roles=COORDINATOR, where=Where.GROUP,
                help=N_("Connect this group chat to the network"))
async def link_group(ctx: MemberContext) -> None:
    network = await ctx.repo(NetworkRepo).get(ctx.member.network_id)
    assert network is not None
    if ctx.chat.network_id == network.id:
        await ctx.reply(ctx.t("This group is already linked to {network}.", network=network.name))
        return
    coordinated = [n for m, n in await ctx.repo(MemberRepo).memberships(ctx.member.platform,
                                                                         ctx.member.platform_user_id)
                   if m.role == Role.COORDINATOR.value]
    if len(coordinated) > 1:  # a coordinator of several networks says which one this group belongs to
        await ctx.reply(Text(ctx.t("Which network should this group be linked to? Tap its name."),
                             buttons=[[ctx.button(n.name, "linkto", n.id)] for n in coordinated]))
        return
    await link_to(ctx, network)


@router.button("linkto", roles=COORDINATOR, where=Where.GROUP, network_arg=True)
async def link_to_button(ctx: MemberContext) -> None:
    """The network chosen by a coordinator of several (the rule checked the role in that network)."""
    if ctx.chat.network_id == ctx.network.id:
        await ctx.say(ctx.t("This group is already linked to {network}.", network=ctx.network.name))
        return
    await link_to(ctx, ctx.network)


async def link_to(ctx: MemberContext, network: Network) -> None:
    await ctx.repo(ChatRepo).link(ctx.chat.id, network.id, by_member_id=ctx.member.id, now=ctx.now)
    ctx.network = network
    await ctx.audit("link", "chat", ctx.chat.id, title=ctx.chat.title)
    await ctx.reply(Text(with_notice(ctx, ctx.t("This group is now linked to {network}. Announcements and summaries "
                                                "will arrive here. Parents: tap Register to join.",
                                                network=network.name), network.name),
                         buttons=[[consent_register_button(ctx)]]))


@router.command("unlinkgroup", "เลิกเชื่อมกลุ่ม", roles=COORDINATOR, where=Where.GROUP,
                help=N_("Disconnect this group chat from the network"))
async def unlink_group(ctx: MemberContext) -> None:
    await ctx.repo(ChatRepo).unlink(ctx.chat.id)
    await ctx.audit("unlink", "chat", ctx.chat.id)
    await ctx.reply(ctx.t("This group is no longer linked to the network."))


@router.command("register", "ลงทะเบียน", member=False, where=Where.GROUP)
async def register_command(ctx: Context) -> None:
    await register_parent(ctx)


@router.button("reg", member=False, where=Where.GROUP)
async def register_button(ctx: Context) -> None:
    await register_parent(ctx)


async def register_parent(ctx: Context) -> Member | None:
    """Register the sender of a group event as a parent of the group's network.

    Other features call this too: an unregistered parent who answers a poll counts.
    """
    say = ctx.say
    if ctx.network is None:
        await say(ctx.t("This group is not linked to a network yet. A coordinator can send /linkgroup."))
        return None
    if ctx.member is not None:
        await say(ctx.t("{name}, you are already registered as a {role}.", name=ctx.member.display_name,
                        role=role_label(ctx, ctx.member.role)))
        return ctx.member
    if not ctx.event.sender.user_id:
        await say(ctx.t("I cannot see your account. Please add me as a friend first, then tap Register again."))
        return None
    if await ctx.repo(BlockRepo).is_blocked(ctx.network.id, ctx.event.platform, ctx.event.sender.user_id):
        await say(ctx.t("You were removed from {network}. To register again, please ask a coordinator "
                        "for an invite code.", network=ctx.network.name))
        return None
    consent = await registration_consent(ctx, ctx.network.name)  # PDPA: no consent, no registration
    if consent is None:
        return None
    member = await ctx.repo(MemberRepo).add(
        ctx.network.id, platform=ctx.event.platform, platform_user_id=ctx.event.sender.user_id,
        display_name=ctx.sender_name, role=Role.PARENT.value,
        language=ctx.lang, now=ctx.now)
    ctx.member, ctx.foreign_member = member, False  # a member of other networks adds this one
    await consent.record(ctx, member)
    await ctx.audit("register", "member", member.id, role=Role.PARENT.value, via_chat=ctx.chat.id)
    ctx.toast = ctx.t("Registered as a parent.")
    await ctx.reply(ctx.t("{name} is now registered as a parent of {network}. Welcome!",
                          name=member.display_name, network=ctx.network.name))
    return member


# ------------------------------------------------------------------ me and settings


@router.command("me", "ฉัน", help=N_("Your network, role, organisation and language"))
async def me(ctx: MemberContext) -> None:
    await ctx.reply(await profile_card(ctx))


@router.button("me")
async def me_button(ctx: MemberContext) -> None:
    await ctx.reply(await profile_card(ctx))


async def profile_card(ctx: MemberContext) -> Text:
    org = None
    if ctx.member.organisation_id:
        org = await ctx.repo(OrganisationRepo).get(ctx.network.id, ctx.member.organisation_id)
    return Text(ctx.t("{name}\nNetwork: {network}\nRole: {role}\nOrganisation: {org}\nLanguage: {lang}",
                      name=ctx.member.display_name, network=ctx.network.name, role=role_label(ctx, ctx.member.role),
                      org=org.name if org else ctx.t("not set (use /org NAME)"),
                      lang="ไทย" if ctx.member.language == "th" else "English"))


@router.command("lang", "ภาษา", help=N_("Change language: /lang th or /lang en"))
async def lang(ctx: MemberContext) -> None:
    choice = ctx.args.strip().lower()
    choice = {"thai": "th", "ไทย": "th", "english": "en", "อังกฤษ": "en"}.get(choice, choice)
    if choice not in LANGUAGES:
        await ctx.reply(ctx.t("Please choose th or en, e.g. /lang en."))
        return
    await ctx.repo(MemberRepo).set_language_by_identity(ctx.member.platform, ctx.member.platform_user_id, choice)
    await ctx.audit("update", "member", ctx.member.id, language=choice)
    from bot.i18n import Translator

    ctx.t = Translator(choice)
    await ctx.reply(ctx.t("Language set to English.") if choice == "en" else ctx.t("Language set to Thai."))


@router.command("org", "หน่วยงาน", help=N_("Set your organisation: /org NAME"))
async def org(ctx: MemberContext) -> None:
    name = " ".join(ctx.args.split()).strip('"“”')
    repo = ctx.repo(OrganisationRepo)
    if not name:
        names = [o.name for o in await repo.list(ctx.network.id)]
        listing = "\n".join(f"• {n}" for n in names) if names else ctx.t("(none yet)")
        await ctx.reply(ctx.t("Send /org followed by your organisation's name. Organisations in the network:\n{list}",
                              list=listing))
        return
    if len(name) > MAX_NAME:
        await ctx.reply(ctx.t("Please send a name of 1 to 200 characters."))
        return
    organisation = await repo.get_or_create(ctx.network.id, name, now=ctx.now)
    await ctx.repo(MemberRepo).update(ctx.member.id, organisation_id=organisation.id)
    await ctx.audit("update", "member", ctx.member.id, organisation=organisation.name)
    await ctx.reply(ctx.t("Your organisation is now {org}.", org=organisation.name))


# ------------------------------------------------------------------ coordinators manage members


@router.command("members", "สมาชิก", roles=COORDINATOR, help=N_("List members with their numbers"))
async def list_members(ctx: MemberContext) -> None:
    members = await ctx.repo(MemberRepo).list(ctx.network.id)
    if not ctx.event.is_private:  # the roster (names, roles, organisations) is for private chats only
        await ctx.reply(ctx.t("This network has {count} members. See the list in a private chat with me.",
                              count=len(members)))
        return
    orgs = {o.id: o.name for o in await ctx.repo(OrganisationRepo).list(ctx.network.id)}
    lines = [ctx.t("Members of {network} ({count}):", network=ctx.network.name, count=len(members))]
    for m in members:
        org_name = f" — {orgs[m.organisation_id]}" if m.organisation_id in orgs else ""
        lines.append(f"{m.number}. {m.display_name} ({role_label(ctx, m.role)}){org_name} [{m.platform.upper()}]")
    blocked = await ctx.repo(BlockRepo).blocked_members(ctx.network.id)
    if blocked:
        lines.append(ctx.t("Removed and blocked from registering in groups (/unblock N):"))
        lines.extend(f"{m.number}. {m.display_name} ({role_label(ctx, m.role)})" for m in blocked)
    lines.append(ctx.t("Change a role with /role N ROLE, remove with /remove N."))
    await ctx.reply("\n".join(lines))


async def number_arg(ctx: Context, text: str, *, usage: str) -> int | None:
    """A member number from the command's text, or None after saying what is wrong."""
    if not text.strip():
        await ctx.reply(usage)
        return None
    if not is_whole(text):
        await ctx.reply(ctx.t("“{text}” is not a member number. See /members.", text=text[:20]))
        return None
    number = parse_whole(text)
    if number is None:  # beyond any member number (and any database integer)
        await ctx.reply(ctx.t("There is no member number {n}. See /members.", n=text.strip()[:20]))
    return number


async def member_by_number(ctx: MemberContext, text: str) -> Member | None:
    number = await number_arg(ctx, text, usage=ctx.t("Usage: /remove N, where N is the number in /members."))
    if number is None:
        return None
    member = await ctx.repo(MemberRepo).by_number(ctx.network.id, number)
    if member is None:
        await ctx.reply(ctx.t("There is no member number {n}. See /members.", n=number))
    return member


async def would_leave_no_coordinator(ctx: BaseContext, member: Member) -> bool:
    if member.role != Role.COORDINATOR.value:
        return False
    coordinators = await ctx.repo(MemberRepo).list(member.network_id, roles=[Role.COORDINATOR.value])
    return len(coordinators) <= 1


async def remove_membership(ctx: BaseContext, member: Member, *, by: Member) -> bool:
    """Remove ``member`` and block them from registering again from a group (/remove, and the web
    view's button); False, and nothing changed, when they are the network's last coordinator."""
    if await would_leave_no_coordinator(ctx, member):
        return False
    await ctx.repo(MemberRepo).update(member.id, status="removed")
    await ctx.repo(BlockRepo).block(member, by_member_id=by.id, now=ctx.now)
    await ctx.audit("remove", "member", member.id, name=member.display_name)
    return True


@router.command("role", "บทบาท", roles=COORDINATOR, help=N_("Change a member's role: /role N ROLE"))
async def change_role(ctx: MemberContext) -> None:
    parts = ctx.args.split()
    if len(parts) != 2:
        await ctx.reply(ctx.t("Usage: /role N ROLE, e.g. /role 3 teacher."))
        return
    member = await member_by_number(ctx, parts[0])
    if member is None:
        return
    role = parse_role(parts[1])
    if role is None:
        await ctx.reply(ctx.t("“{word}” is not a role. Roles: coordinator, teacher, parent, partner.", word=parts[1]))
        return
    if role.value != member.role and await would_leave_no_coordinator(ctx, member):
        await ctx.reply(ctx.t("The network needs at least one coordinator. Promote someone else first."))
        return
    await ctx.repo(MemberRepo).update(member.id, role=role.value)
    await ctx.audit("update", "member", member.id, role=role.value, previous=member.role)
    await ctx.reply(ctx.t("{name} is now a {role}.", name=member.display_name, role=role_label(ctx, role.value)))
    await ctx.push_member(member, lambda t: [Text(t("Your role in {network} is now: {role}.",
                                                    network=ctx.network.name if ctx.network else "",
                                                    role=t(role.value)))],
                          key=f"member:{member.id}:role:{ctx.event.event_id}", urgency=Urgency.DIGEST)


@router.command("remove", "ลบสมาชิก", roles=COORDINATOR, help=N_("Remove a member: /remove N"))
async def remove_member(ctx: MemberContext) -> None:
    member = await member_by_number(ctx, ctx.args)
    if member is None:
        return
    if not await remove_membership(ctx, member, by=ctx.member):
        await ctx.reply(ctx.t("The network needs at least one coordinator. Promote someone else first."))
        return
    await ctx.reply(ctx.t("{name} was removed from the network. They cannot register again from a group "
                          "until you invite them again or send /unblock {n}.", name=member.display_name,
                          n=member.number))


@router.command("unblock", "ปลดบล็อก", roles=COORDINATOR,
                help=N_("Let a removed member register again from a group: /unblock N"))
async def unblock_member(ctx: Context) -> None:
    assert ctx.network is not None
    number = await number_arg(ctx, ctx.args, usage=ctx.t("Usage: /unblock N, where N is the number in /members."))
    if number is None:
        return
    member = await ctx.repo(BlockRepo).unblock_number(ctx.network.id, number)
    if member is None:
        await ctx.reply(ctx.t("Member number {n} is not blocked. See /members.", n=number))
        return
    await ctx.audit("unblock", "member", member.id, name=member.display_name)
    await ctx.reply(ctx.t("{name} may register again from the network's groups.", name=member.display_name))


# Role names as msgids, so the catalogs carry them.
_ROLE_NAMES = (N_("coordinator"), N_("teacher"), N_("parent"), N_("partner"))
