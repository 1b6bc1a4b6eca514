"""The five steps of a PLC cycle, in the words Thai teachers use for them."""

from __future__ import annotations

from bot.i18n import N_, Translator
from handlers._common.parsing import words_key

# code -> (label msgid, words people type: English and Thai)
STEPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "problem": (N_("identify the problem"), (
        "identify the problem", "identify problem", "problem", "ระบุปัญหา", "ค้นหาปัญหา", "ปัญหา",
        "ร่วมกันระบุปัญหา", "ขั้นระบุปัญหา")),
    "plan": (N_("plan the lesson"), (
        "plan the lesson", "plan lesson", "plan", "วางแผน", "ออกแบบ", "ออกแบบแผน", "ออกแบบแผนการสอน",
        "ออกแบบการเรียนรู้", "วางแผนการสอน", "ขั้นวางแผน", "ขั้นออกแบบ")),
    "teach": (N_("teach and observe"), (
        "teach and observe", "teach", "observe", "สอน", "สังเกต", "สอนและสังเกต", "สอนและสังเกตการสอน",
        "สังเกตการสอน", "สังเกตชั้นเรียน", "ขั้นสอน", "ขั้นสังเกตการสอน")),
    "reflect": (N_("reflect"), (
        "reflect", "reflection", "สะท้อน", "สะท้อนผล", "สะท้อนคิด", "สะท้อนผลการสอน", "ขั้นสะท้อนผล")),
    "share": (N_("share"), (
        "share", "sharing", "แลกเปลี่ยน", "แลกเปลี่ยนเรียนรู้", "ขยายผล", "เผยแพร่", "ขั้นขยายผล",
        "ขั้นแลกเปลี่ยน")),
}
_WORDS = {word: code for code, (_label, words) in STEPS.items() for word in words}
LONGEST_STEP_WORDS = max(len(word.split()) for word in _WORDS)


def step_label(t: Translator, code: str) -> str:
    entry = STEPS.get(code)
    return t(entry[0]) if entry else code


def step_number(code: str) -> int:
    return list(STEPS).index(code) + 1 if code in STEPS else 0


def step_text(t: Translator, code: str) -> str:
    """``2. ออกแบบแผนการสอน``: the label with its place in the cycle."""
    return f"{step_number(code)}. {t.label(step_label(t, code))}"


def parse_step(text: str) -> str | None:
    """A step from its code or any of its words; None if it is none of them."""
    key = words_key(text)
    if key in STEPS:
        return key
    return _WORDS.get(key)
