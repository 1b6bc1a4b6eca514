"""Search terms of Thai and English text: segmentation, compounds, normalisation (pure)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from storage.thai_text import index_terms, query_terms


def test_a_compound_is_found_by_itself_and_by_the_words_inside_it() -> None:
    terms = index_terms("การทำสื่อการสอนด้วย AI")
    assert {"สื่อการสอน", "สื่อ", "การสอน", "สอน", "ai"} <= terms
    assert query_terms("สื่อการสอน") == ["สื่อการสอน"]
    assert set(query_terms("สื่อ")) <= terms


def test_words_inside_compounds_at_every_level() -> None:
    terms = index_terms("แผนการสอนวิทยาศาสตร์ คณิตศาสตร์")
    assert {"วิทยาศาสตร์", "วิทยา", "ศาสตร์", "คณิตศาสตร์", "คณิต"} <= terms
    # Single syllables are not taken for words ("วิชา" is not "วิ" + "ชา").
    assert "วิ" not in index_terms("วิชา") and "ชา" not in index_terms("วิชา")


def test_stop_words_punctuation_and_spaces_are_not_terms() -> None:
    assert "การ" not in index_terms("การทำสื่อการสอน")
    assert "และ" not in index_terms("ครูและนักเรียน")
    assert query_terms("  , .  ") == [] and index_terms("") == set()


def test_english_is_lower_cased_and_split_at_punctuation() -> None:
    assert query_terms("Active-Learning with ChatGPT") == ["active", "learning", "chatgpt"]
    assert {"active", "learning"} <= index_terms("ห้องเรียน ACTIVE LEARNING")
    assert query_terms("AIสื่อการสอน") == ["ai", "สื่อการสอน"]


def test_thai_digits_grades_and_repeated_query_words() -> None:
    assert query_terms("ป.๔") == query_terms("ป. 4") == query_terms("ป.4") == ["ป.4"]
    assert query_terms("คณิตศาสตร์ชั้นม.1/2") == ["คณิตศาสตร์", "ชั้น", "ม.1", "2"]
    assert query_terms("สื่อ สื่อ AI ai") == ["สื่อ", "ai"]


def test_pythainlp_is_not_imported_until_text_is_segmented() -> None:
    probe = ("import sys, storage.knowledge, storage.thai_text; print('pythainlp' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
