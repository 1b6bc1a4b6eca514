"""/plc and its words: new, invite, join, log, checkin, present, reflect, hours, export, target.

The words whose rule differs from /plc's (hours and export: private chats; target: coordinators)
are commands of their own (/plchours, /plcexport, /plctarget) with the rule declared on their
route; ``/plc hours`` goes through that route's rule (:meth:`Router.refusal`) as well."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.context import MemberContext
from bot.i18n import N_
from bot.roles import Role
from bot.router import Router, Where
from handlers.plc import attendance, export, groups, hours, sessions
from handlers.plc.common import PLC_ROLES

router = Router()

Action = Callable[[MemberContext, str], Awaitable[None]]
ACTIONS: dict[str, Action] = {
    "new": groups.create_group, "invite": groups.invite, "join": groups.join_command, "log": sessions.log_command,
    "checkin": attendance.checkin_command, "present": attendance.present_command, "hours": hours.hours_command,
    "export": export.export_command, "target": hours.target_command, "reflect": attendance.reflect_command,
}
WORDS = {
    "new": "new", "create": "new", "สร้าง": "new", "สร้างกลุ่ม": "new",
    "invite": "invite", "เชิญ": "invite",
    "join": "join", "เข้าร่วม": "join", "เข้ากลุ่ม": "join",
    "log": "log", "session": "log", "บันทึก": "log", "บันทึกการประชุม": "log",
    "checkin": "checkin", "check-in": "checkin", "เช็กอิน": "checkin", "เช็คอิน": "checkin", "ลงชื่อ": "checkin",
    "present": "present", "attendance": "present", "เช็กชื่อ": "present", "เช็คชื่อ": "present",
    "ผู้เข้าร่วม": "present",
    "hours": "hours", "ชั่วโมง": "hours",
    "export": "export", "ส่งออก": "export",
    "target": "target", "เป้าหมาย": "target", "เป้า": "target",
    "reflect": "reflect", "reflection": "reflect", "สะท้อนผล": "reflect", "สะท้อนคิด": "reflect",
}


@router.command("plc", "พีแอลซี", "ชุมชนการเรียนรู้", roles=PLC_ROLES,
                help=N_("PLC logbook: /plc new NAME, /plc invite, /plc log, /plc checkin, /plc hours, /plc export"))
async def plc_command(ctx: MemberContext) -> None:
    word, _, rest = ctx.args.strip().partition(" ")
    if not word:
        await groups.overview(ctx)
        return
    action = WORDS.get(word.lower())
    if action is None:
        await ctx.reply(ctx.t("I don't know “{word}” after /plc. Use one of: new, invite, join, log, checkin, present, "
                              "reflect, hours, export, target (e.g. /plc hours), or send /plc alone for your groups.",
                              word=word))
        return
    if action in OWN_ROUTES:
        route = ctx.app.router.commands[OWN_ROUTES[action]]
        if (refusal := Router.refusal(route.rule, ctx)) is not None:
            await ctx.reply(refusal)
            return
    await ACTIONS[action](ctx, rest.strip())


# Words with a rule of their own, as commands whose routes declare it.
OWN_ROUTES = {"hours": "plchours", "export": "plcexport", "target": "plctarget"}


@router.command("plchours", "ชั่วโมงพีแอลซี", roles=PLC_ROLES, where=Where.PRIVATE,
                help=N_("My PLC hours this academic year against the target (also /plc hours)"))
async def plchours_command(ctx: MemberContext) -> None:
    await hours.hours_command(ctx, ctx.args)


@router.command("plcexport", "ส่งออกพีแอลซี", roles=PLC_ROLES, where=Where.PRIVATE,
                help=N_("My PLC logbook, or my school's, as XLSX or CSV (also /plc export)"))
async def plcexport_command(ctx: MemberContext) -> None:
    await export.export_command(ctx, ctx.args)


@router.command("plctarget", "เป้าหมายพีแอลซี", roles={Role.COORDINATOR},
                help=N_("The network's yearly PLC target in hours (also /plc target)"))
async def plctarget_command(ctx: MemberContext) -> None:
    await hours.target_command(ctx, ctx.args)
