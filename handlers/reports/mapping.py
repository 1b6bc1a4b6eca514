"""Which SAR standard and PDCA step each kind of evidence supports, by default and as the coordinator
changed it.

SAR (รายงานการประเมินตนเอง) under the 2018 ministerial regulation on basic-education quality assurance has
three standards: 1 learner quality, 2 the management process, 3 learner-centred teaching. Every kind of
record the network keeps is mapped to one standard and one PDCA step. The coordinator adjusts the mapping
on the web view's SAR page; the changes are kept in the network's settings (``sar_mapping``: kind ->
[standard, step]), only where they differ from the default.
"""

from __future__ import annotations

from typing import Any

from bot.i18n import N_, Translator

STANDARDS = {1: N_("Standard 1: learner quality"), 2: N_("Standard 2: management process"),
             3: N_("Standard 3: learner-centred teaching")}
PDCA = {"P": N_("Plan"), "D": N_("Do"), "C": N_("Check"), "A": N_("Act")}
SETTING = "sar_mapping"

# kind -> (label msgid, default standard, default PDCA step), in the order the page lists them.
KINDS: dict[str, tuple[str, int, str]] = {
    "activity:efficiency": (N_("Activities: efficiency and sustainability"), 2, "D"),
    "activity:equity": (N_("Activities: educational equity"), 1, "D"),
    "activity:innovation": (N_("Activities: learning innovation"), 3, "D"),
    "activity:personnel": (N_("Activities: personnel development"), 3, "D"),
    "received": (N_("Resources received"), 2, "D"),
    "given": (N_("Resources given"), 2, "D"),
    "survey": (N_("Stakeholder surveys"), 2, "C"),
    "meeting": (N_("Meetings"), 2, "P"),
    "plc:problem": (N_("PLC: identify the problem"), 3, "P"),
    "plc:plan": (N_("PLC: plan the lesson"), 3, "P"),
    "plc:teach": (N_("PLC: teach and observe"), 3, "D"),
    "plc:reflect": (N_("PLC: reflect"), 3, "C"),
    "plc:share": (N_("PLC: share"), 3, "A"),
    "knowledge": (N_("Shared practices (knowledge)"), 3, "A"),
}


def current_mapping(settings: dict[str, Any]) -> dict[str, tuple[int, str]]:
    """kind -> (standard, PDCA step): the default, with the network's changes over it."""
    stored = settings.get(SETTING)
    chosen: dict[str, Any] = stored if isinstance(stored, dict) else {}
    found: dict[str, tuple[int, str]] = {}
    for kind, (_label, standard, step) in KINDS.items():
        value = chosen.get(kind)
        if (isinstance(value, list) and len(value) == 2 and value[0] in STANDARDS and value[1] in PDCA):
            found[kind] = (int(value[0]), str(value[1]))
        else:
            found[kind] = (standard, step)
    return found


def changed(settings: dict[str, Any], kind: str, standard: int, step: str) -> dict[str, Any]:
    """The network's settings with ``kind`` mapped to (standard, step); a default value is not stored."""
    if kind not in KINDS or standard not in STANDARDS or step not in PDCA:
        raise ValueError(kind)
    chosen = dict(settings.get(SETTING) or {})
    if (standard, step) == KINDS[kind][1:]:
        chosen.pop(kind, None)
    else:
        chosen[kind] = [standard, step]
    return {**settings, SETTING: chosen}


def standard_label(t: Translator, standard: int) -> str:
    return t(STANDARDS[standard])


def step_label(t: Translator, step: str) -> str:
    return f"{step} · {t(PDCA[step])}"


def order_key(standard: int, step: str) -> tuple[int, int]:
    """The report's order: standard 1, 2, 3; in each, Plan, Do, Check, Act."""
    return standard, list(PDCA).index(step)
