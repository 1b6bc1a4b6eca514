"""How long data is kept (``/retention``, a network setting) and the daily job that enforces it.

Per network: removed members' identities (erased as by /forget once their removal is older
than the setting) and media (charts, export and /mydata download links). The processed-event
ids and the inbox are shared by all networks: they are kept for the shortest of the
networks' settings (the inbox worker also drops finished events after 7 days).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from bot.args import parse_whole
from bot.context import MemberContext, TaskContext
from bot.i18n import N_
from bot.roles import Role
from bot.router import Router
from handlers.privacy.forget import erase_member
from storage.maintenance import RetentionRepo
from storage.membership import Network, NetworkRepo

router = Router()

COORDINATOR = {Role.COORDINATOR}
MAX_DAYS = 3650
# What each word of /retention governs, its default in days, and its shortest allowed period.
KINDS: dict[str, tuple[str, int, int]] = {
    "members": (N_("removed members' names and accounts"), 365, 1),
    "events": (N_("ids of processed messages (to ignore redeliveries)"), 30, 2),
    "inbox": (N_("received messages (inbox)"), 7, 1),
    "media": (N_("charts, exports and download links"), 30, 1),
}
WORDS = {"members": "members", "สมาชิก": "members", "events": "events", "เหตุการณ์": "events", "inbox": "inbox",
         "ข้อความ": "inbox", "media": "media", "ไฟล์": "media"}


def retention_of(network: Network) -> dict[str, int]:
    stored: dict[str, Any] = dict(network.settings.get("retention") or {})
    return {kind: int(stored.get(kind, default)) for kind, (_, default, _low) in KINDS.items()}


def retention_text(ctx: MemberContext) -> str:
    days = retention_of(ctx.network)
    lines = [ctx.t("How long {network} keeps data:", network=ctx.network.name)]
    for kind, (label, _default, _low) in KINDS.items():
        lines.append(ctx.t("• {what} ({word}): {days} days", what=ctx.t(label), word=kind, days=days[kind]))
    lines.append(ctx.t("Change one with /retention WORD DAYS, e.g. /retention members 180."))
    return "\n".join(lines)


@router.command("retention", "ระยะเก็บข้อมูล", roles=COORDINATOR,
                help=N_("How long personal and technical data is kept: /retention [WORD DAYS]"))
async def retention_command(ctx: MemberContext) -> None:
    parts = ctx.args.split()
    if not parts:
        await ctx.reply(retention_text(ctx))
        return
    kind = WORDS.get(parts[0].lower()) if len(parts) == 2 else None
    if kind is None:
        await ctx.reply(ctx.t("Usage: /retention WORD DAYS, where WORD is members, events, inbox or media, "
                              "e.g. /retention members 180."))
        return
    low = KINDS[kind][2]
    days = parse_whole(parts[1], low=low, high=MAX_DAYS)
    if days is None:
        await ctx.reply(ctx.t("Days must be a whole number from {low} to {high}.", low=low, high=MAX_DAYS))
        return
    settings = dict(ctx.network.settings)
    settings["retention"] = {**retention_of(ctx.network), kind: days}
    await ctx.repo(NetworkRepo).update_settings(ctx.network.id, settings)
    await ctx.audit("update", "retention", ctx.network.id, kind=kind, days=days)
    ctx.network = Network(id=ctx.network.id, name=ctx.network.name, timezone=ctx.network.timezone,
                          language=ctx.network.language, settings=settings)
    await ctx.reply(retention_text(ctx))


@router.periodic("daily", name="retention")
async def enforce_retention(ctx: TaskContext) -> None:
    """Daily: delete what every network keeps no longer."""
    repo = ctx.repo(RetentionRepo)
    networks = await ctx.repo(NetworkRepo).all()
    shortest = {kind: min([retention_of(n)[kind] for n in networks] or [KINDS[kind][1]]) for kind in KINDS}
    for network in networks:
        days = retention_of(network)
        ctx.network = network
        for member in await repo.removed_before(network.id, ctx.now - timedelta(days=days["members"])):
            await erase_member(ctx, member, via="retention")
            await ctx.audit("erase", "personal_data", member.id, reason="retention")
        await repo.prune_media(network.id, ctx.now - timedelta(days=days["media"]))
    ctx.network = None
    await repo.prune_media(None, ctx.now - timedelta(days=shortest["media"]))
    await repo.prune_processed_events(ctx.now - timedelta(days=shortest["events"]))
    await repo.prune_inbox(ctx.now - timedelta(days=shortest["inbox"]))
