"""Charts a coordinator puts in a report: each a PNG 1040 px wide, Thai labels whole and wrapped
between words, whole-number ticks for counts, zeros visible as zeros, nothing drawn over anything."""

from __future__ import annotations

import io
from collections.abc import Callable
from itertools import combinations

import pytest
from matplotlib.transforms import Bbox
from PIL import Image

from bot.charts import (GoalRow, LikertRow, activities_by_aim, choice_counts, count_ticks, goal_progress,
                        likert_chart, resources_by_channel, value_ticks, wrap_thai)
from bot.charts.bars import STUB, Series, draw_bars
from bot.charts.goals import draw_goals
from bot.charts.likert import draw_likert
from bot.charts.sheet import WIDTH, Box, Sheet, flow
from bot.charts.wrap import wrap_phrases
from bot.i18n import Translator
from tests.test_startup import loaded_after

TITLE = "เครือข่ายพัฒนาคุณภาพการศึกษาอำเภอเมือง · 16–22 พ.ย. 2569"
LEVELS = ["มากที่สุด", "มาก", "ปานกลาง", "น้อย", "น้อยที่สุด"]
t = Translator("th")

CHARTS: dict[str, Callable[[], bytes]] = {
    "activities": lambda: activities_by_aim(
        TITLE, {"ประสิทธิภาพและความยั่งยืน": (4, 2), "ความเสมอภาคทางการศึกษา": (1, 0)},
        this_period="16–22 พ.ย. 2569", previous_period="9–15 พ.ย. 2569", unit="จำนวนกิจกรรม"),
    "resources in baht": lambda: resources_by_channel(
        TITLE, {"เงินทุน": (125000, 80000.5), "เทคโนโลยี": (0, 0)}, pledged="ยอดที่แจ้งสนับสนุน",
        delivered="รับมอบแล้ว", unit="บาท", money=True),
    "resources counted": lambda: resources_by_channel(
        TITLE, {"บุคลากร/เวลาอาสาสมัคร": (12, 9)}, pledged="ยอดที่แจ้งสนับสนุน", delivered="รับมอบแล้ว",
        unit="คน", money=False),
    "likert": lambda: likert_chart(TITLE, [LikertRow("1. ความพึงพอใจโดยรวม", [12, 15, 5, 2, 0]),
                                           LikertRow("2. ยังไม่มีผู้ตอบ", [0, 0, 0, 0, 0])], levels=LEVELS, t=t),
    "choices": lambda: choice_counts(TITLE, "สะดวกวันใด", {"เสาร์": 14, "อาทิตย์": 0}, respondents=20, unit="คน"),
    "goals": lambda: goal_progress(TITLE, [GoalRow("ครูที่ผ่านการอบรม", 45, 120, 60, "คน"),
                                           GoalRow("เกินเป้า", 310, 300, 200)], t=t),
}


@pytest.mark.parametrize("name", CHARTS)
def test_every_chart_is_a_png_1040_pixels_wide(name: str) -> None:
    png = CHARTS[name]()
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.width == WIDTH and image.height > 200


def test_importing_the_charts_loads_neither_matplotlib_nor_pythainlp() -> None:
    loaded = loaded_after("import bot.charts", ["matplotlib", "pythainlp", "bot.charts"])
    assert loaded == {"matplotlib": False, "pythainlp": False, "bot.charts": True}


# --- wrapping -------------------------------------------------------------------------------------

def test_thai_breaks_only_between_words() -> None:
    words = ["ประสิทธิภาพ", "และ", "ความยั่งยืน"]
    for width in range(len("ประสิทธิภาพ"), 30):
        lines = wrap_thai("ประสิทธิภาพและความยั่งยืน", width)
        assert "".join(lines) == "".join(words)
        cuts = {sum(map(len, lines[:i])) for i in range(1, len(lines))}
        assert cuts <= {len(words[0]), len(words[0] + words[1])}, (width, lines)
    assert wrap_thai("ประสิทธิภาพและความยั่งยืน", 11) == ["ประสิทธิภาพ", "และความยั่งยืน"]


def test_a_latin_word_stays_whole_and_latin_words_break_at_spaces() -> None:
    for width in range(8, 20):  # "สื่อการสอน" takes 8 cells
        lines = wrap_thai("สื่อการสอนด้วย AI", width)
        assert "".join(lines).replace(" ", "") == "สื่อการสอนด้วยAI"
        assert lines[-1].endswith("AI") and not any(line.endswith("A") or line.startswith("I") for line in lines)
    assert wrap_thai("Google Classroom for teachers", 12) == ["Google", "Classroom", "for teachers"]


def test_signs_and_punctuation_stay_with_their_word() -> None:
    assert wrap_thai("อุปกรณ์ต่างๆ (AI) COVID-19", 8) == ["อุปกรณ์", "ต่างๆ", "(AI)", "COVID-19"]
    assert wrap_thai("บุคลากร/เวลาอาสาสมัคร", 10) == ["บุคลากร/", "เวลา", "อาสาสมัคร"]


def test_width_is_counted_in_visible_cells_so_marks_above_and_below_take_none() -> None:
    assert wrap_thai("ที่นี่ที่นั่น", 4) == ["ที่นี่", "ที่นั่น"]


def test_a_word_longer_than_a_line_is_cut_between_character_clusters() -> None:
    lines = wrap_thai("ประสิทธิภาพ", 4)
    assert "".join(lines) == "ประสิทธิภาพ" and len(lines) > 1
    assert not any(line[0] in "ิีึืุูั่้๊๋์ะาำ" for line in lines)  # no line starts with a vowel or mark of the last


def test_a_title_breaks_after_its_separator_rather_than_inside_the_period() -> None:
    assert wrap_phrases(TITLE, 45) == ["เครือข่ายพัฒนาคุณภาพการศึกษาอำเภอเมือง ·", "16–22 พ.ย. 2569"]
    assert wrap_phrases(TITLE, 80) == [TITLE]


# --- ticks ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("top", [0, 1, 2, 3, 4.5, 7, 11, 23, 99, 101, 1234, 48000, 1_250_000])
def test_count_ticks_are_whole_numbers_from_zero_past_the_top(top: float) -> None:
    ticks = count_ticks(top)
    assert all(isinstance(tick, int) for tick in ticks)
    assert ticks[0] == 0 and ticks[-1] >= top and 2 <= len(ticks) <= 6
    steps = {b - a for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1 and steps.pop() >= 1


def test_value_ticks_may_be_fractions() -> None:
    assert value_ticks(0.3) == [0.0, 0.1, 0.2, 0.3]
    assert value_ticks(4.21) == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_count_ticks_of_small_counts_never_step_by_a_fraction() -> None:
    assert count_ticks(3) == [0, 1, 2, 3] and count_ticks(0) == [0, 1]


# --- drawing --------------------------------------------------------------------------------------

def written(sheet: Sheet) -> list[str]:
    return [text for text, _ in sheet.texts]


def test_a_zero_is_a_visible_stub_labelled_0() -> None:
    sheet = draw_bars(TITLE, ["นวัตกรรมการเรียนรู้"], [Series("ช่วงนี้", [0], "#000"), Series("ช่วงก่อน", [3], "#999")],
                      unit="กิจกรรม", whole=True)
    stub = min(sheet.boxes, key=lambda box: box.w)
    assert stub.w == STUB
    label = next(box for text, box in sheet.texts if text == "0" and box.y < stub.y + stub.h / 2 < box.y + box.h)
    assert 0 < label.x - (stub.x + stub.w) < 12


def test_values_are_printed_on_the_bars_with_thousands_separators_for_baht() -> None:
    sheet = draw_bars(TITLE, ["เงินทุน"], [Series("แจ้งสนับสนุน", [125000], "#000")], unit="บาท", whole=True)
    assert "125,000" in written(sheet)


def test_a_legend_names_each_series_and_none_is_drawn_for_one() -> None:
    two = draw_bars(TITLE, ["ก"], [Series("ช่วงนี้", [1], "#000"), Series("ช่วงก่อน", [2], "#999")], unit="", whole=True)
    one = draw_bars(TITLE, ["ก"], [Series("ช่วงนี้", [1], "#000")], unit="", whole=True)
    assert {"ช่วงนี้", "ช่วงก่อน"} <= set(written(two)) and "ช่วงนี้" not in written(one)


def test_the_likert_rows_carry_n_and_mean_and_every_level_is_in_the_legend() -> None:
    sheet = draw_likert(TITLE, [LikertRow("ความพึงพอใจ", [12, 15, 5, 2, 0])], levels=LEVELS, t=t)
    assert "n = 34 · ค่าเฉลี่ย 4.09" in written(sheet) and set(LEVELS) <= set(written(sheet))
    with pytest.raises(ValueError):
        draw_likert(TITLE, [LikertRow("สามระดับ", [1, 2, 3])], levels=LEVELS, t=t)


def test_goal_rows_say_how_far_of_the_target() -> None:
    sheet = draw_goals(TITLE, [GoalRow("ระดมทุน", 82500, 150000, 90000, "บาท")], t=t)
    assert "82,500 จาก 150,000 บาท · 55%" in written(sheet)


LONG = [f"{i}. ความพึงพอใจต่อการจัดกิจกรรมแลกเปลี่ยนเรียนรู้ด้านนวัตกรรมการเรียนรู้และสื่อการสอนด้วย AI ครั้งที่ {i}"
        for i in range(1, 13)]

SHEETS: dict[str, Callable[[], Sheet]] = {
    "bars": lambda: draw_bars(TITLE * 2, LONG, [Series("ยอดที่แจ้งสนับสนุน", [i * 1000 for i in range(12)], "#000"),
                                               Series("รับมอบแล้ว", [0] * 12, "#999")], unit="บาท", whole=True),
    "likert": lambda: draw_likert(TITLE, [LikertRow(label, [9, 1, 1, 1, 9]) for label in LONG], levels=LEVELS, t=t),
    "goals": lambda: draw_goals(TITLE, [GoalRow(label, 5, 10, 6, "คน") for label in LONG], t=t),
}


def shared(a: Bbox, b: Bbox) -> bool:
    """Do two extents share more than a rounding error of area?"""
    both = Bbox.intersection(a, b)
    return both is not None and both.width > 0.5 and both.height > 0.5


@pytest.mark.parametrize("name", SHEETS)
def test_long_label_lists_are_wrapped_and_no_text_overlaps_another(name: str) -> None:
    sheet = SHEETS[name]()
    boxes = [box for _, box in sheet.texts]
    assert all(0 <= box.x and box.x + box.w <= WIDTH for box in boxes)
    assert not [(a, b) for a, b in combinations(sheet.texts, 2) if a[1].overlaps(b[1])]
    assert all(label not in written(sheet) for label in LONG)  # each too long for one line, so wrapped

    # and what matplotlib really drew agrees: no two texts' extents intersect, all in Sarabun ≥ 11 pt
    figure = sheet.figure()
    renderer = figure.canvas.get_renderer()
    extents = [text.get_window_extent(renderer) for text in figure.texts]
    assert not [(a, b) for a, b in combinations(extents, 2) if shared(a, b)]
    assert all(text.get_fontsize() >= 11 and "Sarabun" in text.get_fontproperties().get_file()
               for text in figure.texts)


def test_the_title_is_bold_sarabun() -> None:
    figure = draw_bars(TITLE, ["ก"], [Series("", [1], "#000")], unit="", whole=True).figure()
    first = figure.texts[0]
    assert first.get_text().startswith("เครือข่าย") and first.get_fontproperties().get_file().endswith("Bold.ttf")


def test_flow_starts_a_new_line_when_an_item_would_cross_the_edge() -> None:
    assert flow([40, 40, 40], 100, 10) == [(0, 0.0), (0, 50.0), (1, 0.0)]
    assert flow([150], 100, 10) == [(0, 0.0)]


def test_boxes_overlap_only_when_they_share_area() -> None:
    assert Box(0, 0, 10, 10).overlaps(Box(5, 5, 10, 10))
    assert not Box(0, 0, 10, 10).overlaps(Box(0, 10, 10, 10))
