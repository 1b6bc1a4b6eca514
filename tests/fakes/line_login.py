"""A fake LINE Login server for tests: issues LIFF ID tokens and answers ``POST /oauth2/v2.1/verify``
as LINE does (https://developers.line.biz/en/reference/line-login/#verify-id-token).

It is a real aiohttp server on 127.0.0.1; point ``LINE_LOGIN_API_BASE_URL`` at :attr:`FakeLineLogin.url`::

    async with FakeLineLogin(channel_id="1650000000") as login:
        token = login.issue("alice", name="Alice")          # what liff.getIDToken() gives the page
        ...
        assert login.verified == [("alice", "1650000000")]

Like LINE it refuses an unknown or malformed token ("Invalid IdToken."), a token past its ``exp``
("IdToken expired.") and a ``client_id`` that is not the token's audience ("Invalid IdToken Audience.")
with 400 ``{"error": "invalid_request", "error_description": ...}``. Expiry follows ``clock`` (a callable
giving the current aware datetime), so it agrees with a test's manual clock.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from aiohttp import web

from tests.fakes.local_server import LocalServer

ISSUER = "https://access.line.me"


@dataclass
class _Token:
    sub: str
    aud: str
    iat: datetime
    exp: datetime
    name: str


class FakeLineLogin(LocalServer):
    def __init__(self, *, channel_id: str, clock: Callable[[], datetime] | None = None) -> None:
        self.channel_id = channel_id
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self._tokens: dict[str, _Token] = {}
        self.requests: list[dict[str, str]] = []
        # (sub, client_id) of every token LINE vouched for
        self.verified: list[tuple[str, str]] = []

    def build_app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/oauth2/v2.1/verify", self._verify)
        return app

    def issue(self, sub: str, *, name: str = "", audience: str | None = None,
              lifetime: timedelta = timedelta(hours=1)) -> str:
        """An ID token for LINE user ``sub``, issued to ``audience`` (default: this channel), JWT-shaped."""
        now = self.clock()
        token = _Token(sub=sub, aud=audience or self.channel_id, iat=now, exp=now + lifetime, name=name)
        header = base64.urlsafe_b64encode(json.dumps({"typ": "JWT", "alg": "ES256"}).encode()).rstrip(b"=")
        claims = base64.urlsafe_b64encode(json.dumps({"sub": sub, "aud": token.aud}).encode()).rstrip(b"=")
        text = f"{header.decode()}.{claims.decode()}.{secrets.token_urlsafe(32)}"
        self._tokens[text] = token
        return text

    async def _verify(self, request: web.Request) -> web.Response:
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.requests.append(form)
        if not form.get("id_token") or not form.get("client_id"):
            return self._error("invalid_request", "Required parameter is missing.")
        token = self._tokens.get(form["id_token"])
        if token is None:
            return self._error("invalid_request", "Invalid IdToken.")
        if token.exp <= self.clock():
            return self._error("invalid_request", "IdToken expired.")
        if token.aud != form["client_id"]:
            return self._error("invalid_request", "Invalid IdToken Audience.")
        self.verified.append((token.sub, form["client_id"]))
        body: dict[str, Any] = {"iss": ISSUER, "sub": token.sub, "aud": token.aud,
                                "exp": int(token.exp.timestamp()), "iat": int(token.iat.timestamp()),
                                "amr": ["linesso"], "name": token.name}
        return web.json_response(body)

    @staticmethod
    def _error(error: str, description: str) -> web.Response:
        return web.json_response({"error": error, "error_description": description}, status=400)
