"""Proxies for the platforms' HTTP clients, read from the environment once.

aiohttp's ``trust_env`` looks up netrc and the proxy settings in a thread for every request, so the
clients (LINE's Messaging API, Telegram's Bot API in a receiving process) use ``trust_env=False`` and
ask :func:`proxy_for` once per host, when their session is created: ``HTTPS_PROXY``/``HTTP_PROXY``
and ``NO_PROXY`` (either case, lower case first, as urllib reads them). A proxy URL may carry
``user:password@`` for basic proxy auth, sent as ``Proxy-Authorization`` to the proxy only.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping

from yarl import URL


def proxy_for(url: str, environ: Mapping[str, str] | None = None) -> tuple[URL | None, dict[str, str]]:
    """The proxy the environment names for ``url`` (honouring NO_PROXY), and the headers for it
    (``Proxy-Authorization`` when its URL carries a user)."""
    env = os.environ if environ is None else environ
    proxies: dict[str, str] = {}
    for name, value in env.items():  # as urllib's getproxies_environment: lower case wins
        lower = name.lower()
        if value and lower.endswith("_proxy"):
            if name == lower or lower[:-6] not in proxies:
                proxies[lower[:-6]] = value
    target = URL(url)
    chosen = proxies.get(target.scheme or "https")
    if not chosen or not target.host:
        return None, {}
    if _bypassed(target.host, target.port, proxies.get("no", "")):
        return None, {}
    proxy = URL(chosen if "://" in chosen else f"http://{chosen}")
    if not proxy.user:
        return proxy, {}
    secret = base64.b64encode(f"{proxy.user}:{proxy.password or ''}".encode()).decode("ascii")
    return proxy.with_user(None), {"Proxy-Authorization": f"Basic {secret}"}


def _bypassed(host: str, port: int | None, no_proxy: str) -> bool:
    """NO_PROXY as curl and urllib read it: ``*``, or hosts and domains (``.example.com`` or
    ``example.com`` also covers its subdomains), each with an optional ``:port``."""
    host = host.lower().rstrip(".")
    for entry in (e.strip().lower() for e in no_proxy.split(",")):
        if entry == "*":
            return True
        name, _, wanted = entry.partition(":") if entry.count(":") == 1 else (entry, "", "")
        name = name.lstrip(".").rstrip(".")
        if not name or (wanted and wanted != str(port)):
            continue
        if host == name or host.endswith("." + name):
            return True
    return False
