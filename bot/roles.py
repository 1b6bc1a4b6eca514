"""Member roles and their names in Thai and English."""

from __future__ import annotations

import enum


class Role(str, enum.Enum):
    COORDINATOR = "coordinator"
    TEACHER = "teacher"
    PARENT = "parent"
    PARTNER = "partner"


ALL_ROLES: frozenset[Role] = frozenset(Role)
STAFF: frozenset[Role] = frozenset({Role.COORDINATOR, Role.TEACHER})

_ROLE_WORDS: dict[str, Role] = {
    "coordinator": Role.COORDINATOR, "coord": Role.COORDINATOR, "ผู้ประสานงาน": Role.COORDINATOR,
    "teacher": Role.TEACHER, "ครู": Role.TEACHER,
    "parent": Role.PARENT, "ผู้ปกครอง": Role.PARENT,
    "partner": Role.PARTNER, "ภาคี": Role.PARTNER, "ภาคีเครือข่าย": Role.PARTNER, "พันธมิตร": Role.PARTNER,
}

# Labels shown to users; marked for translation in bot/locales (msgids are the English).
ROLE_LABELS: dict[Role, str] = {
    Role.COORDINATOR: "coordinator",
    Role.TEACHER: "teacher",
    Role.PARENT: "parent",
    Role.PARTNER: "partner",
}


def parse_role(text: str) -> Role | None:
    """A role from Thai or English words, or None."""
    return _ROLE_WORDS.get(text.strip().lower())
