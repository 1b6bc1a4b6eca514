"""Public media: files the bot serves itself under unguessable, expiring URLs (chart
images and download links for platforms that fetch content by URL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from storage.repo import Repo
from storage.tables import metadata
from storage.types import UTCDateTime

media_files = sa.Table(
    "media_files",
    metadata,
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("network_id", sa.ForeignKey("networks.id", ondelete="CASCADE")),
    sa.Column("mime_type", sa.String(100), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("content", sa.LargeBinary, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=False, index=True),
)


@dataclass(frozen=True)
class MediaFile:
    token: str
    mime_type: str
    filename: str
    content: bytes
    expires_at: datetime


class MediaRepo(Repo):
    async def put(self, token: str, *, content: bytes, mime_type: str, filename: str, network_id: int | None,
                  now: datetime, expires_at: datetime) -> None:
        """Store (or keep, extending its life) the file with this token."""
        inserted = await self.insert_ignore(
            media_files,
            {"token": token, "network_id": network_id, "mime_type": mime_type, "filename": filename,
             "content": content, "created_at": now, "expires_at": expires_at},
            ["token"],
        )
        if not inserted:
            await self.conn.execute(
                media_files.update()
                .where(media_files.c.token == token, media_files.c.expires_at < expires_at)
                .values(expires_at=expires_at))

    async def get(self, token: str, now: datetime) -> MediaFile | None:
        """The file, unless unknown or expired."""
        row = (await self.conn.execute(
            sa.select(media_files).where(media_files.c.token == token, media_files.c.expires_at > now))).first()
        if row is None:
            return None
        return MediaFile(token=row.token, mime_type=row.mime_type, filename=row.filename, content=bytes(row.content),
                         expires_at=row.expires_at)

    async def prune(self, now: datetime) -> int:
        result = await self.conn.execute(media_files.delete().where(media_files.c.expires_at <= now))
        return result.rowcount or 0
