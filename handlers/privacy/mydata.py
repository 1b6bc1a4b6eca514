"""``/mydata``: everything stored about the member, as JSON and as CSV for Excel, privately.

Telegram sends the two files; LINE cannot send files, so its renderer publishes them under
unguessable, expiring links (``bot/media.py``: the token is an HMAC of the content with the
server's secret, so a link holds one member's data and cannot be guessed).
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from bot.context import MemberContext
from bot.i18n import N_
from bot.model import Document
from bot.router import Router, Where
from handlers.privacy.notice import NOTICE_VERSION
from storage.privacy import MemberDataRepo, PrivacyRequestRepo

router = Router()

BOM = "\ufeff"


def as_csv(data: dict[str, list[dict[str, Any]]]) -> bytes:
    """One row per stored value (table, row, field, value): opens in Excel whatever the tables."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["table", "row", "field", "value"])
    for table, rows in data.items():
        for number, row in enumerate(rows, start=1):
            for field, value in row.items():
                shown = json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value
                writer.writerow([table, number, field, "" if shown is None else shown])
    return (BOM + buffer.getvalue()).encode("utf-8")


@router.command("mydata", "ข้อมูลของฉัน", where=Where.PRIVATE,
                help=N_("A copy of everything the bot keeps about you (JSON and CSV files)"))
async def my_data(ctx: MemberContext) -> None:
    data = await ctx.repo(MemberDataRepo).collect(ctx.member)
    await ctx.repo(PrivacyRequestRepo).add(ctx.member, "export", status="done", now=ctx.now)
    await ctx.audit("export", "personal_data", ctx.member.id)
    document = {"network": ctx.network.name, "exported_at": ctx.now.isoformat(), "notice_version": NOTICE_VERSION,
                "data": data}
    content = json.dumps(document, ensure_ascii=False, indent=1, default=str).encode("utf-8")
    stamp = ctx.local(ctx.now).strftime("%Y%m%d-%H%M")
    count = sum(len(rows) for rows in data.values())
    await ctx.reply(ctx.t("Your data: {count} records in {tables} tables. The JSON file is for programs, the CSV "
                          "file opens in Excel. Keep them safe: they are about you.",
                          count=count, tables=len(data)))
    await ctx.reply(Document(filename=f"mydata-{stamp}.json", content=content, mime_type="application/json"))
    await ctx.reply(Document(filename=f"mydata-{stamp}.csv", content=as_csv(data), mime_type="text/csv"))
