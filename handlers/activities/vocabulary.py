"""The activities' vocabulary: collaboration aims and kinds of activity (Thai and English words)."""

from __future__ import annotations

from bot.i18n import N_, Translator
from handlers._common.parsing import lookup

AIMS: dict[str, str] = {
    "efficiency": N_("efficiency and sustainability"),
    "equity": N_("educational equity"),
    "innovation": N_("learning innovation"),
    "personnel": N_("personnel development"),
}

# code → (label, aim, words typed by users)
CATEGORIES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "exchange": (N_("knowledge exchange"), "innovation",
                 ("knowledge exchange", "exchange", "knowledge", "plc", "แลกเปลี่ยนเรียนรู้", "แลกเปลี่ยน")),
    "workshop": (N_("workshop/training"), "innovation",
                 ("workshop", "training", "workshop/training", "อบรม", "ฝึกอบรม", "ประชุมเชิงปฏิบัติการ",
                  "เวิร์กชอป", "เวิร์คช็อป")),
    "meeting": (N_("network meeting"), "efficiency",
                ("network meeting", "meeting", "ประชุมเครือข่าย", "ประชุม")),
    "academic": (N_("joint academic activity"), "equity",
                 ("joint academic activity", "joint academic", "academic", "กิจกรรมวิชาการร่วม", "วิชาการร่วม",
                  "กิจกรรมวิชาการ", "วิชาการ")),
    "community": (N_("community activity"), "efficiency",
                  ("community activity", "community", "กิจกรรมชุมชน", "ชุมชน")),
    "personnel": (N_("personnel development"), "personnel",
                  ("personnel development", "personnel", "พัฒนาบุคลากร", "พัฒนาครู", "บุคลากร")),
    "other": (N_("other"), "efficiency", ("other", "อื่นๆ", "อื่น ๆ", "อื่น")),
}


def parse_category(text: str) -> str | None:
    return lookup(CATEGORIES, text, 2)


def category_label(t: Translator, code: str) -> str:
    return t(CATEGORIES[code][0]) if code in CATEGORIES else code


def aim_label(t: Translator, code: str) -> str:
    return t(AIMS[code]) if code in AIMS else code
