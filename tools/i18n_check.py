"""Find user-visible strings without a Thai translation: ``python -m tools.i18n_check``.

Strings are found the way gettext tools find them: calls of ``t(...)``, ``tr(...)``
and ``N_(...)`` (Babel's extractor), in ``bot/`` and ``handlers/``.
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

from babel.messages.extract import extract_from_dir

from bot.i18n import catalog

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"t": None, "tr": None, "N_": None}
SOURCE_DIRS = ("bot", "handlers", "scheduler")


def extract_ids() -> dict[str, str]:
    """Every msgid in the sources, with the first place it occurs."""
    found: dict[str, str] = {}
    for folder in SOURCE_DIRS:
        path = ROOT / folder
        if not path.is_dir():
            continue
        for filename, lineno, message, _comments, _context in extract_from_dir(
                str(path), method_map=[("**.py", "python")], keywords=KEYWORDS):
            if isinstance(message, tuple):
                message = message[0]
            if message:
                found.setdefault(message, f"{folder}/{filename}:{lineno}")
    return found


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def problems(lang: str = "th") -> list[str]:
    translations = catalog(lang)
    issues = []
    for msgid, where in extract_ids().items():
        text = translations.get(msgid)
        if text is None:
            issues.append(f"{where}: no {lang} translation for {msgid!r}")
        elif placeholders(text) != placeholders(msgid):
            issues.append(f"{where}: {lang} translation of {msgid!r} has placeholders {sorted(placeholders(text))}")
    return issues


if __name__ == "__main__":
    found = problems()
    print("\n".join(found) or "every string has a Thai translation")
    sys.exit(1 if found else 0)
