"""Consent at registration (join by code, tap to register in a group) and ``/consent``.

Registration asks :func:`registration_consent` before it creates the member. A button shown
*with* the notice carries :data:`NOTICE_TAG` in its payload; pressing it is the consent (the
group's Register card shows the notice, so one tap is still enough there). Anything else (a
typed code, an old card, a tap on a poll) gets the notice and such a button first, and the
registration is not completed.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.context import Context, MemberContext
from bot.i18n import N_
from bot.model import Button, EventKind, Text
from bot.router import Router, Where
from handlers.privacy.notice import (NECESSARY, NOTICE_TAG, NOTICE_VERSION, OPTIONAL, PURPOSE_NAMES, PURPOSES,
                                     notice_link, short_notice)
from storage.membership import Member
from storage.privacy import Consent, ConsentRepo

router = Router()

ALL = "a"  # with NOTICE_TAG: the optional purposes too


@dataclass(frozen=True)
class RegistrationConsent:
    """What the presser agreed to; :meth:`record` once the member exists."""

    purposes: frozenset[str]
    via: str

    async def record(self, ctx: Context, member: Member) -> None:
        repo = ctx.repo(ConsentRepo)
        for purpose in PURPOSES:
            if purpose == NECESSARY or purpose in self.purposes:
                await repo.record(member, purpose, granted=purpose in self.purposes, notice_version=NOTICE_VERSION,
                                  via=self.via, now=ctx.now)


def consent_register_button(ctx: Context) -> Button:
    """The group's Register button, shown with the notice: one tap registers and consents."""
    return ctx.button(ctx.t("Register"), "reg", NOTICE_TAG)


def join_button(ctx: Context, code: str) -> Button:
    """The Join button under the notice in a private chat (``joincode``: membership's own)."""
    return ctx.button(ctx.t("Agree and register"), "joincode", code, NOTICE_TAG)


def with_notice(ctx: Context, text: str, network_name: str) -> str:
    """A message that offers registration, followed by the short notice."""
    return f"{text}\n\n{short_notice(ctx, network_name)}"


async def registration_consent(ctx: Context, network_name: str, *, code: str | None = None
                               ) -> RegistrationConsent | None:
    """The consent given by this very press, or None after showing the notice and a button that gives it.
    ``code``: joining with an invite code in a private chat; otherwise registering in a group."""
    pressed = ctx.pressed
    if pressed is not None and NOTICE_TAG in pressed.args and pressed.action in ("joincode", "reg"):
        optional = set(OPTIONAL) if ALL in pressed.args else set()
        return RegistrationConsent(frozenset({NECESSARY, *optional}), via="join" if code is not None else "group")
    if code is not None:
        buttons = [[join_button(ctx, code)],
                   [ctx.button(ctx.t("Agree, also to photos and contact sharing"), "joincode", code, NOTICE_TAG,
                               ALL)],
                   [ctx.button(ctx.t("I do not agree"), "pdno")]]
        await ctx.reply(Text(with_notice(ctx, ctx.t("Before you join, please read how your data is kept. "
                                                    "Registration is completed only with your consent."),
                                         network_name), buttons=buttons))
    else:
        if ctx.event.kind is EventKind.BUTTON:  # a tap on a poll or an old card: the presser sees a toast
            ctx.toast = ctx.t("Please read the notice below, then tap Register.")
        await ctx.reply(Text(with_notice(ctx, ctx.t("To register as a parent, please read how your data is kept, "
                                                    "then tap Register."), network_name),
                             buttons=[[consent_register_button(ctx)]]))
    return None


@router.button("pdno", member=False, where=Where.PRIVATE)
async def no_consent(ctx: Context) -> None:
    await ctx.reply(ctx.t("You are not registered, and nothing about you was kept. "
                          "If you change your mind, send the invite code again."))


# ------------------------------------------------------------------ /consent


def consent_text(ctx: MemberContext, current: dict[str, Consent]) -> str:
    lines = [ctx.t("Your consents (notice version {version}):", version=NOTICE_VERSION)]
    for purpose in PURPOSES:
        consent = current.get(purpose)
        name = ctx.t(PURPOSE_NAMES[purpose])
        if consent is None:
            lines.append(ctx.t("• {purpose}: not given", purpose=name))
            continue
        when = ctx.t.datetime(ctx.local(consent.at))
        if consent.granted:
            lines.append(ctx.t("• {purpose}: given {time}", purpose=name, time=when))
        else:
            lines.append(ctx.t("• {purpose}: withdrawn {time}", purpose=name, time=when))
    link = notice_link(ctx.app.settings)
    lines.append(ctx.t("Full notice: {link}", link=link) if link else ctx.t("Send /privacy to read the full notice."))
    lines.append(ctx.t("Withdrawing the necessary consent means leaving the network: your data is erased "
                       "(/forget)."))
    return "\n".join(lines)


async def show_consents(ctx: MemberContext) -> None:
    current = await ctx.repo(ConsentRepo).current(ctx.member.id)
    buttons = []
    for purpose in OPTIONAL:
        consent = current.get(purpose)
        name = ctx.t({"photos": N_("photos"), "contact": N_("contact sharing")}[purpose])
        if consent is not None and consent.granted:
            buttons.append([ctx.button(ctx.t("Withdraw: {purpose}", purpose=name), "pdc", purpose, 0)])
        else:
            buttons.append([ctx.button(ctx.t("Allow: {purpose}", purpose=name), "pdc", purpose, 1)])
    necessary = current.get(NECESSARY)
    if necessary is None or not necessary.granted:
        buttons.append([ctx.button(ctx.t("Give the necessary consent"), "pdc", NECESSARY, 1)])
    buttons.append([ctx.button(ctx.t("Withdraw all and erase my data"), "pdf", "ask")])
    await ctx.reply(Text(consent_text(ctx, current), buttons=buttons))


@router.command("consent", "ความยินยอม", where=Where.PRIVATE,
                help=N_("Your consents to how your data is used; give or withdraw them"))
async def consent_command(ctx: MemberContext) -> None:
    await show_consents(ctx)


@router.button("pdc", where=Where.PRIVATE)
async def consent_button(ctx: MemberContext) -> None:
    purpose, value = ctx.payload.arg(0), ctx.payload.arg(1)
    if purpose not in PURPOSES or value not in ("0", "1") or (purpose == NECESSARY and value == "0"):
        await ctx.say(ctx.t("This button is out of date. Send /consent again."))
        return
    granted = value == "1"
    await ctx.repo(ConsentRepo).record(ctx.member, purpose, granted=granted, notice_version=NOTICE_VERSION,
                                       via="consent", now=ctx.now)
    await ctx.audit("consent" if granted else "withdraw", "consent", ctx.member.id, purpose=purpose)
    ctx.toast = ctx.t("Saved.")
    await show_consents(ctx)


# ------------------------------------------------------------------ /privacy


@router.command("privacy", "ความเป็นส่วนตัว", member=False, help=N_("How the bot keeps your personal data"))
async def privacy_command(ctx: Context) -> None:
    network = ctx.network.name if ctx.network else ctx.t("the network")
    text = short_notice(ctx, network)
    if not notice_link(ctx.app.settings):
        # No web page to link to: the full notice in the chat, in the reader's language.
        text += "\n\n" + ctx.t("The bot holds no student accounts. Optional purposes: photos of activities that may "
                               "show you, and sharing your contact with other members; you choose them with "
                               "/consent. Coordinators act on requests within 30 days.")
    await ctx.reply(text)
