"""CSV exports of activities and pledges: /export in a private chat, and ``edunet export``.

Files are UTF-8 with a byte-order mark so that Excel shows Thai text correctly.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from bot.context import MemberContext
from bot.dates import DateInputError, parse_period
from bot.i18n import N_, Translator
from bot.model import Document
from bot.roles import Role
from bot.router import Router, Where
from handlers._common.parsing import date_error
from handlers.activities.vocabulary import aim_label, category_label
from handlers.resources import sector_label, type_label
from storage.activity_repo import ActivityRepo
from storage.resource_repo import PledgeRepo

router = Router()

KINDS = {"activities": "activities", "กิจกรรม": "activities", "pledges": "pledges", "การสนับสนุน": "pledges",
         "สนับสนุน": "pledges"}
BOM = "\ufeff"
_STATUS_NAMES = {"pledged": N_("pledged"), "delivered": N_("delivered"), "cancelled": N_("cancelled")}


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with BOM, CRLF line ends (what Excel expects)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (BOM + buffer.getvalue()).encode("utf-8")


def _local(value: datetime | None, tz: ZoneInfo) -> str:
    return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else ""


def _number(value: Any) -> str:
    return "" if value is None else format(value, "f")


def activities_csv(t: Translator, rows: list[dict[str, Any]], tz: ZoneInfo) -> bytes:
    header = [t("No."), t("Date"), t("Title"), t("Kind"), t("Aim"), t("Organisation"), t("Participants"),
              t("Hours"), t("Notes"), t("Logged by"), t("Logged at")]
    body = [[r["number"], r["activity_date"].isoformat(), r["title"], category_label(t, r["category"]),
             aim_label(t, r["aim"]), r["organisation_name"] or "", r["participants"] or "",
             f"{r['minutes'] / 60:.2f}".rstrip("0").rstrip(".") if r["minutes"] else "", r["notes"] or "",
             r["author_name"] or "", _local(r["created_at"], tz)] for r in rows]
    return to_csv(header, body)


def status_name(t: Translator, status: str) -> str:
    return t(_STATUS_NAMES[status]) if status in _STATUS_NAMES else status


def pledges_csv(t: Translator, rows: list[dict[str, Any]], tz: ZoneInfo) -> bytes:
    header = [t("No."), t("Pledged at"), t("By"), t("Type"), t("Source"), t("Amount"), t("Unit"), t("Expected"),
              t("Status"), t("Delivered at"), t("Need no."), t("Need"), t("Need's organisation"), t("Note"),
              t("Delivery note")]
    body = [[r["number"], _local(r["created_at"], tz), r["pledger_name"] or "", type_label(t, r["resource_type"]),
             sector_label(t, r["source_sector"]), _number(r["amount"]), r["unit"], r["expected_date"].isoformat(),
             status_name(t, r["status"]), _local(r["delivered_at"], tz), r["need_number"] or "", r["need_description"] or "",
             r["need_organisation"] or "", r["note"] or "", r["delivery_note"] or ""] for r in rows]
    return to_csv(header, body)


def utc_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local dates [start, end) as UTC instants."""
    return (datetime.combine(start, time(0), tz).astimezone(timezone.utc),
            datetime.combine(end, time(0), tz).astimezone(timezone.utc))


async def build_export(conn: Any, network_id: int, kind: str, start: date, end: date, t: Translator,
                       tz: ZoneInfo) -> tuple[bytes, int]:
    """The CSV bytes for ``kind`` ("activities" or "pledges") and its number of rows."""
    if kind == "activities":
        rows = await ActivityRepo(conn).export_rows(network_id, start, end)
        return activities_csv(t, rows, tz), len(rows)
    rows = await PledgeRepo(conn).export_rows(network_id, *utc_bounds(start, end, tz))
    return pledges_csv(t, rows, tz), len(rows)


@router.command("export", "ส่งออก", roles={Role.COORDINATOR}, where=Where.PRIVATE,
                help=N_("Download a CSV for Excel: /export activities|pledges [period], /export survey N"))
async def export_command(ctx: MemberContext) -> None:
    word, _, rest = ctx.args.strip().partition(" ")
    exporter = ctx.app.router.exporters.get(word.lower())
    if exporter is not None:  # another feature's export (/export survey N)
        await exporter.handler(ctx, rest)
        return
    kind = KINDS.get(word.lower())
    if kind is None:
        await ctx.reply(ctx.t("Usage: /export activities [period], /export pledges [period] or /export survey N, "
                              "e.g. /export activities this term."))
        return
    try:
        start, end = parse_period(rest or "all", ctx.today)
    except DateInputError as exc:
        await ctx.reply(date_error(ctx.t, exc))
        return
    content, count = await build_export(ctx.conn, ctx.network.id, kind, start, end, ctx.t, ctx.tz)
    await ctx.audit("export", kind, None, start=start.isoformat(), end=end.isoformat(), rows=count)
    name = f"{kind}-{start:%Y%m%d}-{end - timedelta(days=1):%Y%m%d}.csv" if rest else f"{kind}-all.csv"
    await ctx.reply(Document(filename=name, content=content,
                             mime_type="text/csv",
                             caption=ctx.t("{count} rows. The file opens in Excel with Thai text intact.",
                                           count=count)))


async def run_cli_export(database_url: str, kind: str, *, period: str, network_id: int | None,
                         out: str | None, lang: str | None) -> int:
    """``edunet export``: write the CSV to a file (or stdout); returns the exit code."""
    import sys

    from storage.db import Database
    from storage.membership import NetworkRepo

    db = Database(database_url)
    try:
        await db.upgrade()
        async with db.transaction() as conn:
            networks = await NetworkRepo(conn).all()
            if network_id is not None:
                networks = [n for n in networks if n.id == network_id]
            if len(networks) != 1:
                known = ", ".join(f"{n.id} ({n.name})" for n in await NetworkRepo(conn).all()) or "none"
                print(f"choose a network with --network ID; networks: {known}", file=sys.stderr)
                return 2
            network = networks[0]
            tz = ZoneInfo(network.timezone)
            try:
                start, end = parse_period(period, datetime.now(tz).date())
            except DateInputError as exc:
                print(f"cannot read the period {period!r} ({exc.code}); try e.g. 'this month', '2569', "
                      "'1/11/2569-30/11/2569'", file=sys.stderr)
                return 2
            content, count = await build_export(conn, network.id, kind, start, end,
                                                Translator(lang or network.language), tz)
    finally:
        await db.dispose()
    if out:
        with open(out, "wb") as fh:
            fh.write(content)
        print(f"{count} {kind} written to {out}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
    return 0
