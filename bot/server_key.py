"""The server secret for keyed hashes (anonymous surveys' once-per-member keys).

It is never stored in the database: ``EDUNET_SECRET_KEY``, or a key file generated on first use
(``EDUNET_SECRET_KEY_FILE``, default ``~/.config/edunet/secret.key``) that every instance must share and
that backups of the database must not contain.
"""

from __future__ import annotations

import logging
import os
import secrets
from functools import lru_cache
from pathlib import Path

from bot.config import Settings

log = logging.getLogger(__name__)


def key_file(settings: Settings) -> Path:
    """Where the generated key lives (used when ``EDUNET_SECRET_KEY`` is not set)."""
    if settings.secret_key_file:
        return Path(settings.secret_key_file).expanduser()
    base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / "edunet" / "secret.key"


@lru_cache(maxsize=8)
def _load_key(secret: str, path_text: str) -> bytes:
    if secret:
        return secret.encode("utf-8")
    path = Path(path_text)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it meanwhile
            pass
        else:
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
            log.warning("EDUNET_SECRET_KEY is not set: generated %s. Several instances must share one key; "
                        "set EDUNET_SECRET_KEY for them all.", path)
    return path.read_text().strip().encode("utf-8")


def server_key(settings: Settings) -> bytes:
    """The server secret for keyed hashes: never stored in the database."""
    return _load_key(settings.secret_key, str(key_file(settings)))
