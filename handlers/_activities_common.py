"""Shared vocabulary and helpers of the activities and resource-mobilisation features:
categories and aims, resource types and source sectors (Thai and English words), input
error messages, and formatting."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from bot.args import parse_whole
from bot.context import BaseContext, Context
from bot.dates import DateInputError, parse_date
from bot.i18n import N_, Translator
from bot.numbers import AmountInputError, format_amount, parse_quantity_with_unit
from bot.roles import Role

# ------------------------------------------------------------------ vocabulary

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

RESOURCE_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "funding": (N_("funding"), ("funding", "fund", "funds", "money", "cash", "budget", "เงิน", "เงินทุน", "ทุน",
                                "งบประมาณ", "งบ", "ทุนทรัพย์")),
    "community": (N_("community resources"), ("community resources", "community", "ทรัพยากรชุมชน", "ชุมชน")),
    "volunteer": (N_("human resources / volunteer time"),
                  ("human resources", "volunteer", "volunteers", "volunteer time", "people", "time", "อาสาสมัคร",
                   "จิตอาสา", "อาสา", "บุคลากร", "ทรัพยากรบุคคล", "แรงงาน", "เวลา")),
    "technology": (N_("technology"), ("technology", "tech", "it", "เทคโนโลยี", "ไอที")),
    "international": (N_("international cooperation"),
                      ("international cooperation", "international", "ความร่วมมือระหว่างประเทศ", "ต่างประเทศ",
                       "ระหว่างประเทศ")),
    "materials": (N_("materials/equipment"), ("materials", "material", "equipment", "supplies", "materials/equipment",
                                              "วัสดุอุปกรณ์", "วัสดุ", "อุปกรณ์", "ครุภัณฑ์")),
    "venue": (N_("venue"), ("venue", "place", "room", "hall", "สถานที่", "ห้องประชุม", "ห้อง")),
}

SECTORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "public": (N_("public sector"), ("public", "public sector", "government", "gov", "state", "ภาครัฐ", "รัฐ",
                                     "ราชการ", "หน่วยงานรัฐ", "อปท", "อบต", "เทศบาล")),
    "private": (N_("private sector"), ("private", "private sector", "business", "company", "ภาคเอกชน", "เอกชน",
                                       "บริษัท", "ธุรกิจ")),
    "community": (N_("community"), ("community", "ชุมชน", "ภาคชุมชน", "ภาคประชาชน")),
    "individual": (N_("individual/parent"), ("individual", "parent", "person", "personal", "individual/parent",
                                             "บุคคล", "ผู้ปกครอง", "ส่วนบุคคล", "ส่วนตัว")),
    "international": (N_("international"), ("international", "ต่างประเทศ", "ระหว่างประเทศ", "นานาชาติ")),
}

SKIP_WORDS = frozenset({"skip", "ข้าม", "-", "none", "no", "ไม่มี", "ไม่"})
CONFIRM_WORDS = frozenset({"save", "ok", "yes", "confirm", "post", "pledge", "บันทึก", "ยืนยัน", "ตกลง", "ใช่",
                           "โพสต์"})
PHOTO_MAX_BYTES = 10 * 1024 * 1024
DUPLICATE_WINDOW = timedelta(minutes=10)

MAX_THB = Decimal("1000000000")  # one billion baht: anything bigger is a typo
MAX_QUANTITY = Decimal("1000000")


def _key(text: str) -> str:
    return " ".join(text.strip().lower().strip(".,;:!?").split())


def _lookup(table: dict[str, tuple], text: str, words_at: int) -> str | None:  # type: ignore[type-arg]
    key = _key(text)
    if key in table:
        return key
    for code, entry in table.items():
        if key in entry[words_at]:
            return code
    return None


def parse_category(text: str) -> str | None:
    return _lookup(CATEGORIES, text, 2)


def parse_resource_type(text: str) -> str | None:
    return _lookup(RESOURCE_TYPES, text, 1)


def parse_sector(text: str) -> str | None:
    return _lookup(SECTORS, text, 1)


def category_label(t: Translator, code: str) -> str:
    return t(CATEGORIES[code][0]) if code in CATEGORIES else code


def aim_label(t: Translator, code: str) -> str:
    return t(AIMS[code]) if code in AIMS else code


def type_label(t: Translator, code: str) -> str:
    return t(RESOURCE_TYPES[code][0]) if code in RESOURCE_TYPES else code


def sector_label(t: Translator, code: str) -> str:
    return t(SECTORS[code][0]) if code in SECTORS else code


def is_skip(text: str) -> bool:
    return _key(text) in SKIP_WORDS


def is_confirm(text: str) -> bool:
    return _key(text) in CONFIRM_WORDS


# ------------------------------------------------------------------ input errors


def date_error(t: Translator, error: DateInputError) -> str:
    if error.code == "ambiguous_year":
        return t("Is that year Buddhist Era or Gregorian? Please write it with 4 digits, e.g. 2569 or 2026.")
    if error.code == "impossible":
        return t("That date does not exist. Please check the day and the month.")
    if error.code == "year_out_of_range":
        return t("That year is out of range. Please write a year like 2569 (Buddhist Era) or 2026.")
    return t("I couldn't read that date. Please write it like 20/11/2569, 20 พ.ย. 2569 or today.")


def amount_error(t: Translator, error: AmountInputError) -> str:
    if error.code == "not_positive":
        return t("The amount must be more than zero.")
    if error.code == "too_large":
        return t("That amount is too large. Please check it.")
    if error.code == "too_precise":
        return t("Please use at most 2 decimal places.")
    return t("Please send a number, e.g. 12,500 or 40 tablets.")


def parse_future_date(ctx: Context, text: str) -> tuple[date | None, str | None]:
    """A date today or later: (date, None), or (None, error message)."""
    try:
        value = parse_date(text, ctx.today)
    except DateInputError as exc:
        return None, date_error(ctx.t, exc)
    if value < ctx.today:
        return None, ctx.t("{date} is in the past. Please give today or a later date.", date=ctx.t.date(value))
    return value, None


def parse_resource_amount(ctx: Context, text: str, resource_type: str, *, need_unit: str | None = None
                          ) -> tuple[tuple[Decimal, str] | None, str | None]:
    """An amount for a resource type: money in THB for funding, a quantity with a unit otherwise.

    ``need_unit`` (a pledge toward a need) supplies the unit when none is typed and must
    match a typed one. Returns ((value, unit), None) or (None, error message).
    """
    t = ctx.t
    try:
        value, unit = parse_quantity_with_unit(text)
    except AmountInputError as exc:
        return None, amount_error(t, exc)
    if resource_type == "funding":
        if unit not in (None, "THB"):
            return None, t("Funding is counted in baht. Please send an amount like 12,500 or 12,500 บาท.")
        if value > MAX_THB:
            return None, t("That amount is too large. Please check it.")
        return (value, "THB"), None
    if unit == "THB":
        return None, t("Money belongs to the resource type “funding”. For {type}, send a quantity with its unit, "
                       "e.g. 40 tablets.", type=type_label(t, resource_type))
    if unit is None:
        if need_unit is None:
            return None, t("Please include the unit, e.g. 40 tablets or 20 hours.")
        unit = need_unit
    elif need_unit is not None and unit.casefold() != need_unit.casefold():
        return None, t("This need is counted in {unit}. Please send a number of {unit}.", unit=need_unit)
    if len(unit) > 32:
        return None, t("Please use a shorter unit (at most 32 characters).")
    if value > MAX_QUANTITY:
        return None, t("That amount is too large. Please check it.")
    return (value, unit), None


# ------------------------------------------------------------------ formatting


def amount_text(t: Translator, value: Decimal, unit: str) -> str:
    return format_amount(value, t.lang, unit)


def hours_text(t: Translator, minutes: int) -> str:
    hours = (Decimal(minutes) / 60).quantize(Decimal("0.01")).normalize()
    return t("{hours} hours", hours=f"{hours:,f}")


def is_coordinator(ctx: Context) -> bool:
    return ctx.member is not None and ctx.member.role == Role.COORDINATOR.value


def period_dates(ctx: BaseContext, start: datetime, end: datetime) -> tuple[date, date]:
    """A UTC period as local dates [start, end): a partial last day counts as included."""
    first = ctx.local(start).date()
    last_local = ctx.local(end)
    last = last_local.date() + (timedelta(days=1) if last_local.time() != time(0) else timedelta(0))
    return first, last


def local_midnight_utc(ctx: BaseContext, day: date) -> datetime:
    return ctx.to_utc(datetime.combine(day, time(0)))


MAX_COUNT = 999_999_999  # participants, hours: far beyond any real figure, well inside INTEGER


def parse_count(text: str) -> int | None:
    """A whole number (Thai digits and thousands separators allowed), or None."""
    return parse_whole(text.replace(",", ""), low=0, high=MAX_COUNT)
