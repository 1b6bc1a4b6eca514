"""Files the bot serves itself: chart images and download links for platforms that
fetch content by URL, under unguessable, expiring URLs.

Files live in the database, so every instance (and a restarted one) serves them. A
token is an HMAC of the content with a server secret: the same chart rendered twice
(a retried push) gets the same URL, and nobody can guess one without the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import logging
import re
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import quote

from aiohttp import web

from storage.media import MediaRepo

if TYPE_CHECKING:
    from bot.app import App

log = logging.getLogger(__name__)

IMAGE_TTL = timedelta(days=30)
DOCUMENT_TTL = timedelta(days=7)
PREVIEW_SIZE = (480, 480)
_NAME = re.compile(r"^(?P<token>[A-Za-z0-9_-]{16,64})(?:\.[A-Za-z0-9]{1,8})?$")
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "text/csv": "csv", "text/calendar": "ics",
               "application/pdf": "pdf"}


class PublicURLError(ValueError):
    """EDUNET_PUBLIC_URL is unusable (not HTTPS outside development)."""


def check_public_url(url: str, *, allow_http: bool) -> str:
    """The public base URL without a trailing slash; refuses plain http unless allowed."""
    url = url.strip().rstrip("/")
    if not url:
        return ""
    if url.startswith("https://"):
        return url
    if url.startswith("http://"):
        if allow_http:
            return url
        raise PublicURLError(f"EDUNET_PUBLIC_URL must be an https:// URL (chat platforms fetch images only over "
                             f"HTTPS); got {url!r}. For local development set EDUNET_ALLOW_HTTP_PUBLIC_URL=1.")
    raise PublicURLError(f"EDUNET_PUBLIC_URL must start with https://; got {url!r}")


def png_preview(png: bytes) -> bytes:
    """A smaller copy for a platform's preview image (the original if it is already small)."""
    from PIL import Image as PILImage

    with PILImage.open(io.BytesIO(png)) as image:
        if image.width <= PREVIEW_SIZE[0] and image.height <= PREVIEW_SIZE[1]:
            return png
        image.thumbnail(PREVIEW_SIZE)
        out = io.BytesIO()
        image.save(out, format="PNG", optimize=True)
        return out.getvalue()


class MediaStore:
    """Stores files and hands out their public URLs; serves ``GET /media/{token}.{ext}``."""

    def __init__(self, app: App, *, secret: str, public_url: str) -> None:
        self.app = app
        self._key = hashlib.sha256(b"edunet-media|" + secret.encode("utf-8")).digest()
        self.public_url = public_url.rstrip("/")

    @property
    def enabled(self) -> bool:
        return bool(self.public_url)

    def token(self, content: bytes, mime_type: str, filename: str) -> str:
        digest = hmac.new(self._key, f"{mime_type}|{filename}|".encode() + content, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")[:32]

    async def url_for(self, content: bytes, *, mime_type: str, filename: str, network_id: int | None = None,
                      ttl: timedelta = IMAGE_TTL) -> str:
        """Store ``content`` (idempotently) and return its public URL."""
        if not self.enabled:
            raise PublicURLError("EDUNET_PUBLIC_URL is not set: cannot publish files")
        token = self.token(content, mime_type, filename)
        now = self.app.clock.now()
        async with self.app.db.transaction() as conn:
            await MediaRepo(conn).put(token, content=content, mime_type=mime_type, filename=filename,
                                      network_id=network_id, now=now, expires_at=now + ttl)
        extension = _EXTENSIONS.get(mime_type) or (filename.rsplit(".", 1)[-1] if "." in filename else "bin")
        extension = re.sub(r"[^A-Za-z0-9]", "", extension)[:8] or "bin"
        return f"{self.public_url}/media/{token}.{extension}"

    async def prune(self) -> int:
        async with self.app.db.transaction() as conn:
            return await MediaRepo(conn).prune(self.app.clock.now())

    async def handle(self, request: web.Request) -> web.StreamResponse:
        match = _NAME.match(request.match_info.get("name", ""))
        if not match:
            raise web.HTTPNotFound()
        async with self.app.db.transaction() as conn:
            media = await MediaRepo(conn).get(match["token"], self.app.clock.now())
        if media is None:
            raise web.HTTPNotFound()
        headers = {"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"}
        if not media.mime_type.startswith("image/"):
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(media.filename)}"
        return web.Response(body=media.content, content_type=media.mime_type, headers=headers)
