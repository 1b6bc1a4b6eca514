"""The resource-mobilisation vocabulary: resource types and source sectors (Thai and English
words), and reading an amount of a resource."""

from __future__ import annotations

from decimal import Decimal

from bot.context import Context
from bot.i18n import N_, Translator
from bot.numbers import AmountInputError, parse_quantity_with_unit
from handlers._common.parsing import amount_error, lookup

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


MAX_THB = Decimal("1000000000")  # one billion baht: anything bigger is a typo
MAX_QUANTITY = Decimal("1000000")


def parse_resource_type(text: str) -> str | None:
    return lookup(RESOURCE_TYPES, text, 1)


def parse_sector(text: str) -> str | None:
    return lookup(SECTORS, text, 1)


def type_label(t: Translator, code: str) -> str:
    return t(RESOURCE_TYPES[code][0]) if code in RESOURCE_TYPES else code


def sector_label(t: Translator, code: str) -> str:
    return t(SECTORS[code][0]) if code in SECTORS else code


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
