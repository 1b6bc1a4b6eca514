"""The goals' vocabulary: the kinds of target (Thai and English words), reading a target written on one
line, and naming a target in words.

A target on one line is a kind word, its details and the value aimed at::

    กิจกรรม อบรม 24                 activities of one kind (or ด้านนวัตกรรม: of one aim)
    ผู้เข้าร่วม 300 | ชั่วโมง อบรม 500
    รับมอบ เอกชน 200,000 บาท        resources delivered (แจ้งสนับสนุน: pledged), baht or a quantity with its unit
    รับมอบ เทคโนโลยี 100 เครื่อง
    ความต้องการ 50                  needs fulfilled
    ค่าเฉลี่ย 1 ข้อ 1 4              a rating question's mean (1-5) | อัตราตอบ 1 80: a survey's response rate (%)
    ประชุม 12 | งานตรงเวลา 100       meetings held (ประชุม ผู้บริหาร 4: of one kind) | tasks done on time
    ผู้เข้าประชุม 60                 attendances at meetings (มาแล้ว or ticked; ผู้เข้าประชุม มอบหมายงาน 30: of one kind)
    ตัวชี้วัด "โรงเรียนที่ใช้สื่อ AI" 40 โรงเรียน   a manual indicator its owner reports
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Final

from bot.dates import from_thai_digits
from bot.i18n import N_, Translator
from bot.numbers import AmountInputError, format_amount, parse_quantity_with_unit
from handlers._common.parsing import amount_error, words_key
from handlers.activities import AIMS, aim_label, category_label, parse_category
from handlers.meetings import KIND_LABELS as MEETING_KIND_LABELS
from handlers.resources import parse_resource_type, parse_sector, sector_label, type_label

# kind code -> (label, words typed, default unit label)
KINDS: Final[dict[str, tuple[str, tuple[str, ...], str]]] = {
    "activities": (N_("activities"), ("กิจกรรม", "activities", "activity"), N_("times")),
    "participants": (N_("participants"), ("ผู้เข้าร่วม", "participants", "people"), N_("people")),
    "hours": (N_("hours of activities"), ("ชั่วโมง", "ชม.", "hours"), N_("hours")),
    "pledged": (N_("resources pledged"), ("แจ้งสนับสนุน", "ยอดสนับสนุน", "pledged"), ""),
    "delivered": (N_("resources delivered"), ("รับมอบ", "ส่งมอบ", "delivered"), ""),
    "needs_fulfilled": (N_("needs fulfilled"), ("ความต้องการ", "needs", "needs-fulfilled"), N_("items")),
    "survey_mean": (N_("survey mean score"), ("ค่าเฉลี่ย", "คะแนนสำรวจ", "คะแนน", "survey-mean", "mean"), ""),
    "survey_response_rate": (N_("survey response rate"), ("อัตราตอบ", "อัตราการตอบ", "response-rate"), "%"),
    "meetings": (N_("meetings held"), ("ประชุม", "meetings"), N_("times")),
    "attendance": (N_("meeting attendance"), ("ผู้เข้าประชุม", "การเข้าประชุม", "เข้าประชุม", "ผู้เข้าร่วมประชุม",
                                             "การเข้าร่วมประชุม", "attendance", "attendances"), N_("attendances")),
    "tasks_on_time": (N_("tasks done on time"), ("งานตรงเวลา", "งาน", "tasks"), N_("tasks")),
    "manual": (N_("indicator reported by its owner"), ("ตัวชี้วัด", "indicator", "manual"), ""),
}
WHOLE_KINDS: Final = frozenset({"activities", "participants", "needs_fulfilled", "meetings", "attendance",
                                "tasks_on_time"})
MAX_TARGET: Final = Decimal("1000000000")
MAX_LABEL: Final = 120
AIM_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "efficiency": ("efficiency", "ประสิทธิภาพ", "ความยั่งยืน", "ประสิทธิภาพและความยั่งยืน"),
    "equity": ("equity", "เสมอภาค", "ความเสมอภาค", "ความเสมอภาคทางการศึกษา"),
    "innovation": ("innovation", "นวัตกรรม", "นวัตกรรมการเรียนรู้"),
    "personnel": ("personnel", "บุคลากร", "พัฒนาบุคลากร", "การพัฒนาบุคลากร"),
}
# The meetings' three kinds (storage.meetings.MEETING_KINDS), as a coordinator would write them.
MEETING_KIND_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "leaders": ("leaders", "ประชุมผู้บริหาร", "ผู้บริหาร"),
    "members": ("members", "ประชุมสมาชิก", "สมาชิก"),
    "assignment": ("assignment", "ประชุมมอบหมายงาน", "มอบหมายงาน"),
}
_QUOTED: Final = re.compile(r"[\"“”]([^\"“”]+)[\"“”]")


def parse_kind(word: str) -> str | None:
    key = words_key(word)
    if key in KINDS:
        return key
    return next((code for code, (_, words, _) in KINDS.items() if key in words), None)


def parse_aim(word: str) -> str | None:
    key = words_key(word).removeprefix("ด้าน").strip()
    if key in AIMS:
        return key
    return next((code for code, words in AIM_WORDS.items() if key in words), None)


def parse_meeting_kind(word: str) -> str | None:
    key = words_key(word)
    return next((code for code, words in MEETING_KIND_WORDS.items() if key in words), None)


def kind_label(t: Translator, kind: str) -> str:
    return t(KINDS[kind][0]) if kind in KINDS else kind


@dataclass
class TargetSpec:
    """A target as read from one line, ready for GoalRepo.add_target."""

    kind: str
    params: dict[str, Any] = field(default_factory=dict)
    value: Decimal = Decimal(0)
    unit: str = ""
    owner_number: int | None = None  # a manual indicator's owner (member number)


class SpecError(ValueError):
    """What to tell the user, already translated."""


def _number(t: Translator, text: str, kind: str) -> tuple[Decimal, str | None]:
    try:
        value, unit = parse_quantity_with_unit(text)
    except AmountInputError as exc:
        raise SpecError(amount_error(t, exc)) from None
    if value > MAX_TARGET:
        raise SpecError(t("That amount is too large. Please check it."))
    if kind in WHOLE_KINDS and value != value.to_integral_value():
        raise SpecError(t("A count of {what} must be a whole number.", what=kind_label(t, kind)))
    if kind == "survey_mean" and not Decimal(1) <= value <= Decimal(5):
        raise SpecError(t("A mean score is from 1 to 5 (5 = มากที่สุด)."))
    if kind == "survey_response_rate" and value > 100:
        raise SpecError(t("A response rate is a percentage from 1 to 100."))
    return value, unit


def _whole(t: Translator, word: str, what: str) -> int:
    text = from_thai_digits(word.strip().lstrip("#"))
    if not text.isdigit() or not 1 <= int(text) <= 1_000_000:
        raise SpecError(t("“{word}” is not a {what} number.", word=word[:20], what=what))
    return int(text)


def parse_spec(t: Translator, text: str) -> TargetSpec:
    """Read a target written on one line (see the module's docstring); raises SpecError."""
    text = from_thai_digits(text.strip())
    label_match = _QUOTED.search(text)
    label = label_match[1].strip() if label_match else None
    if label_match:
        text = (text[:label_match.start()] + " " + text[label_match.end():]).strip()
    words = text.split()
    kind = parse_kind(words[0]) if words else None
    if kind is None:
        raise SpecError(t("Start the target with its kind: {kinds}.", kinds=t.join(
            KINDS[k][1][0] for k in KINDS)))
    rest = words[1:]
    if not rest:
        raise SpecError(t("Please add the value aimed at, e.g. {example}.", example=example(kind)))
    spec = TargetSpec(kind)
    if kind in ("activities", "participants", "hours"):
        if len(rest) > 1 and not re.match(r"^[\d,.]", rest[0]):
            aim = parse_aim(rest[0]) if rest[0].startswith("ด้าน") or parse_category(rest[0]) is None else None
            category = None if aim else parse_category(rest[0])
            if aim is None and category is None:
                raise SpecError(t("“{word}” is neither a kind of activity nor an aim. Write e.g. อบรม or "
                                  "ด้านนวัตกรรม.", word=rest[0][:30]))
            spec.params = {"aim": aim} if aim else {"category": category}
            rest = rest[1:]
        spec.value, unit = _number(t, " ".join(rest), kind)
        spec.unit = unit if unit and unit != "hours" else ""
    elif kind in ("pledged", "delivered"):
        spec.kind, spec.params = "resources", {"stage": kind}
        while rest and not re.match(r"^[\d,.฿]", rest[0]):
            word = rest.pop(0)
            sector = parse_sector(word) if word.startswith("ภาค") else None
            kind_code = parse_resource_type(word) if sector is None else None
            if kind_code and "resource_type" not in spec.params:
                spec.params["resource_type"] = kind_code
            elif (sector := sector or parse_sector(word)) and "sector" not in spec.params:
                spec.params["sector"] = sector
            else:
                raise SpecError(t("“{word}” is neither a resource type nor a source sector.", word=word[:30]))
        if not rest:
            raise SpecError(t("Please add the amount aimed at, e.g. 500,000 บาท or 100 เครื่อง."))
        spec.value, unit = _number(t, " ".join(rest), "resources")
        if unit in (None, "THB"):
            if unit is None and spec.params.get("resource_type", "funding") != "funding":
                raise SpecError(t("Please include the unit, e.g. 40 tablets or 20 hours."))
            spec.params["measure"], spec.unit = "baht", "THB"
        else:
            spec.params.update(measure="quantity", unit=unit)
            spec.unit = unit
    elif kind in ("survey_mean", "survey_response_rate"):
        survey = _whole(t, rest.pop(0), t("survey"))
        spec.params = {"survey": survey}
        if rest and words_key(rest[0]) in ("ข้อ", "q", "question"):
            rest.pop(0)
            if not rest:
                raise SpecError(t("Please add the question number after ข้อ."))
            spec.params["question"] = _whole(t, rest.pop(0), t("question"))
        elif kind == "survey_mean":
            raise SpecError(t("Which rating question? e.g. {example}.", example=example(kind)))
        if not rest:
            raise SpecError(t("Please add the value aimed at, e.g. {example}.", example=example(kind)))
        spec.value, _ = _number(t, rest[0].rstrip("%"), kind)
    elif kind == "manual":
        if not label:
            raise SpecError(t("Name the indicator in quotes, e.g. {example}.", example=example(kind)))
        if len(label) > MAX_LABEL:
            raise SpecError(t("Please name the indicator in at most {max} characters.", max=MAX_LABEL))
        if len(rest) >= 2 and words_key(rest[-2]) in ("ผู้รายงาน", "owner"):
            spec.owner_number = _whole(t, rest[-1], t("member"))
            rest = rest[:-2]
        spec.value, unit = _number(t, " ".join(rest), kind)
        spec.params, spec.unit = {"label": label}, unit or ""
    elif kind in ("meetings", "attendance"):
        if len(rest) > 1 and not re.match(r"^[\d,.]", rest[0]):
            meeting_kind = parse_meeting_kind(rest[0])
            if meeting_kind is None:
                raise SpecError(t("“{word}” is not a kind of meeting. Write ประชุมผู้บริหาร, ประชุมสมาชิก or "
                                  "ประชุมมอบหมายงาน.", word=rest[0][:30]))
            spec.params = {"meeting_kind": meeting_kind}
            rest = rest[1:]
        spec.value, unit = _number(t, " ".join(rest), kind)
        spec.unit = unit or ""
    else:  # needs, tasks
        spec.value, unit = _number(t, " ".join(rest), kind)
        spec.unit = unit or ""
    if len(spec.unit) > 32:
        raise SpecError(t("Please use a shorter unit (at most 32 characters)."))
    return spec


EXAMPLES: Final = {
    "activities": "กิจกรรม อบรม 24", "participants": "ผู้เข้าร่วม 300", "hours": "ชั่วโมง อบรม 500",
    "pledged": "แจ้งสนับสนุน 500,000 บาท", "delivered": "รับมอบ เอกชน 200,000 บาท",
    "needs_fulfilled": "ความต้องการ 50", "survey_mean": "ค่าเฉลี่ย 1 ข้อ 1 4",
    "survey_response_rate": "อัตราตอบ 1 80", "meetings": "ประชุม 12", "attendance": "ผู้เข้าประชุม ประชุมสมาชิก 60",
    "tasks_on_time": "งานตรงเวลา 100",
    "manual": "ตัวชี้วัด \"โรงเรียนที่ใช้สื่อ AI\" 40 โรงเรียน",
}


def example(kind: str) -> str:
    return EXAMPLES.get(kind, EXAMPLES["activities"])


def target_title(t: Translator, kind: str, params: dict[str, Any]) -> str:
    """What a target counts, in words: ``กิจกรรม (อบรม/ฝึกอบรม)``, ``รับมอบทรัพยากร (ภาคเอกชน)``."""
    if kind == "manual":
        return str(params.get("label") or kind_label(t, kind))
    details: list[str] = []
    if kind == "resources":
        title = kind_label(t, params.get("stage", "pledged"))
        if "resource_type" in params:
            details.append(type_label(t, params["resource_type"]))
        if "sector" in params:
            details.append(sector_label(t, params["sector"]))
    else:
        title = kind_label(t, kind)
        if "category" in params:
            details.append(category_label(t, params["category"]))
        if "aim" in params:
            details.append(aim_label(t, params["aim"]))
        if "survey" in params:
            details.append(t("survey #{n}", n=params["survey"]))
        if "question" in params:
            details.append(t("question {n}", n=params["question"]))
        if "meeting_kind" in params:
            details.append(t(MEETING_KIND_LABELS.get(params["meeting_kind"], params["meeting_kind"])))
    return f"{title} ({' · '.join(details)})" if details else title


def unit_of(t: Translator, kind: str, unit: str) -> str:
    """A target's unit as shown: the one typed, else the kind's own (ครั้ง, คน, ชั่วโมง…)."""
    if unit or kind not in KINDS:
        return unit
    return t(KINDS[kind][2]) if KINDS[kind][2] not in ("", "%") else KINDS[kind][2]


def value_text(t: Translator, value: Decimal, unit: str, kind: str = "") -> str:
    unit = unit_of(t, kind, unit) if kind else unit
    return format_amount(value, t.lang, unit or None) if unit != "%" else f"{format_amount(value, t.lang)}%"


def rounded(value: Decimal, like: Decimal) -> Decimal:
    """``value`` to whole units when ``like`` (the target) is whole: "expected 12", not 12.49."""
    return value.quantize(Decimal(1), rounding=ROUND_HALF_UP) if like == like.to_integral_value() else value
