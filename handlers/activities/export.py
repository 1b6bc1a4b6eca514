"""CSV exports of activities and pledges: /export in a private chat, and ``edunet export``.

Files are UTF-8 with a byte-order mark so that Excel shows Thai text correctly.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from bot.context import MemberContext
from bot.dates import DateInputError, parse_period
from bot.i18n import N_, Translator
from bot.model import Document
from bot.numbers import unit_name
from bot.roles import Role
from bot.router import Router, Where
from handlers._common.cli_output import write_export
from handlers._common.parsing import date_error
from handlers.activities.formats import _local, csv_date, status_name
from handlers.activities.vocabulary import aim_label, category_label
from handlers.resources import sector_label, type_label
from storage.activity_repo import ActivityRepo
from storage.resource_repo import PledgeRepo

router = Router()

KINDS = {"activities": "activities", "กิจกรรม": "activities", "pledges": "pledges", "การสนับสนุน": "pledges",
         "สนับสนุน": "pledges"}
BOM = "\ufeff"


def to_csv(header: list[str], rows: list[list[Any]]) -> bytes:
    """UTF-8 with BOM, CRLF line ends (what Excel expects)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return (BOM + buffer.getvalue()).encode("utf-8")


def _number(value: Decimal | None) -> str:
    """Whole amounts without ".00" (2 tablets, 2500 baht); satang to two places."""
    if value is None:
        return ""
    return str(int(value)) if value == value.to_integral_value() else f"{value:.2f}"


def activities_csv(t: Translator, rows: list[dict[str, Any]], tz: ZoneInfo) -> bytes:
    header = [t("No."), t("Date"), t("Title"), t("Kind"), t("Aim"), t("Organisation"), t("Participants"),
              t("Hours"), t("Notes"), t("Logged by"), t("Logged at")]
    body = [[r["number"], csv_date(t, r["activity_date"]), r["title"], category_label(t, r["category"]),
             aim_label(t, r["aim"]), r["organisation_name"] or "", r["participants"] or "",
             f"{r['minutes'] / 60:.2f}".rstrip("0").rstrip(".") if r["minutes"] else "", r["notes"] or "",
             r["author_name"] or "", _local(t, r["created_at"], tz)] for r in rows]
    return to_csv(header, body)


def pledges_csv(t: Translator, rows: list[dict[str, Any]], tz: ZoneInfo) -> bytes:
    header = [t("No."), t("Pledged at"), t("By"), t("Type"), t("Source"), t("Amount"), t("Unit"), t("Expected"),
              t("Status"), t("Delivered at"), t("Need no."), t("Need"), t("Need's organisation"), t("Note"),
              t("Delivery note")]
    body = [[r["number"], _local(t, r["created_at"], tz), r["pledger_name"] or "", type_label(t, r["resource_type"]),
             sector_label(t, r["source_sector"]), _number(r["amount"]), unit_name(r["unit"], t.lang),
             csv_date(t, r["expected_date"]), status_name(t, r["status"]), _local(t, r["delivered_at"], tz),
             r["need_number"] or "", r["need_description"] or "",
             r["need_organisation"] or "", r["note"] or "", r["delivery_note"] or ""] for r in rows]
    return to_csv(header, body)


def utc_bounds(start: date, end: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Local dates [start, end) as UTC instants."""
    return (datetime.combine(start, time(0), tz).astimezone(timezone.utc),
            datetime.combine(end, time(0), tz).astimezone(timezone.utc))


async def build_export(conn: Any, network_id: int, kind: str, start: date, end: date, t: Translator,
                       tz: ZoneInfo, *, fmt: str = "csv", network_name: str = "") -> tuple[bytes, int]:
    """The CSV (or XLSX) bytes for ``kind`` ("activities" or "pledges") and its number of rows."""
    from handlers.activities import xlsx

    span = t.date_range(start, end - timedelta(days=1)) if end - start < timedelta(days=3660) else ""
    if kind == "activities":
        rows = await ActivityRepo(conn).export_rows(network_id, start, end)
        if fmt == "xlsx":
            return xlsx.activities_xlsx(t, rows, tz, network=network_name, span=span), len(rows)
        return activities_csv(t, rows, tz), len(rows)
    rows = await PledgeRepo(conn).export_rows(network_id, *utc_bounds(start, end, tz))
    if fmt == "xlsx":
        return xlsx.pledges_xlsx(t, rows, tz, network=network_name, span=span), len(rows)
    return pledges_csv(t, rows, tz), len(rows)


def split_format(rest: str) -> tuple[str, str]:
    """``"this term xlsx"`` → ("this term", "xlsx"); the format word may come first or last."""
    words = rest.split()
    for index in (-1, 0):
        if words and words[index].lower() in ("xlsx", "csv", "excel"):
            fmt = "csv" if words[index].lower() == "csv" else "xlsx"
            del words[index]
            return " ".join(words), fmt
    return rest, "csv"


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
    rest, fmt = split_format(rest)
    try:
        start, end = parse_period(rest or "all", ctx.today)
    except DateInputError as exc:
        await ctx.reply(date_error(ctx.t, exc))
        return
    content, count = await build_export(ctx.conn, ctx.network.id, kind, start, end, ctx.t, ctx.tz, fmt=fmt,
                                        network_name=ctx.network.name)
    await ctx.audit("export", kind, None, start=start.isoformat(), end=end.isoformat(), rows=count, format=fmt)
    name = f"{kind}-{start:%Y%m%d}-{end - timedelta(days=1):%Y%m%d}.{fmt}" if rest else f"{kind}-all.{fmt}"
    from handlers.activities.xlsx import XLSX_MIME

    await ctx.reply(Document(filename=name, content=content,
                             mime_type=XLSX_MIME if fmt == "xlsx" else "text/csv",
                             caption=ctx.t("{count} rows. The file opens in Excel with Thai text intact.",
                                           count=count)))


async def run_cli_export(database_url: str, kind: str, *, period: str, network_id: int | None,
                         out: str | None, lang: str | None, fmt: str = "csv") -> int:
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
                                                Translator(lang or network.language), tz, fmt=fmt,
                                                network_name=network.name)
    finally:
        await db.dispose()
    write_export(content, out, f"{count} {kind}")
    return 0
