"""Line breaking for chart text. Thai puts no spaces between words, so a line may break where
pythainlp's dictionary tokenizer (engine "newmm") finds a word boundary; Latin words break at
spaces only. pythainlp is imported on first use: its dictionary load costs a third of a second."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from functools import lru_cache
from typing import Any

NOT_LETTERS = "ฯๆ฿"  # Thai-block signs that belong to the word before them, never start a line


def cells(text: str) -> int:
    """Visible character cells: Thai vowel and tone marks sit on their consonant and take no width."""
    return sum(1 for c in text if unicodedata.category(c) not in ("Mn", "Me", "Cf"))


@lru_cache(maxsize=1)
def _pythainlp() -> Any:
    from pythainlp import tokenize

    return tokenize


def _is_thai(char: str) -> bool:
    return "\u0e01" <= char <= "\u0e4e" and char not in NOT_LETTERS


def _is_latin(char: str) -> bool:
    return char.isalnum() and not _is_thai(char)


def _may_break(before: str, after: str) -> bool:
    """May a line break between two tokens of one space-free run? Between Thai words, between a
    Thai and a Latin word, and after a slash; never beside other punctuation or inside a Latin word."""
    last, first = before[-1], after[0]
    if last == "/":
        return first.isalnum()
    if _is_thai(last):
        return _is_thai(first) or _is_latin(first)
    return _is_latin(last) and _is_thai(first)


def pieces(text: str) -> list[tuple[str, bool]]:
    """The unbreakable pieces of ``text``, each with whether a space stood before it."""
    found: list[tuple[str, bool]] = []
    for index, chunk in enumerate(text.split()):
        tokens = [chunk]
        if any(_is_thai(c) for c in chunk):
            tokens = [tok for tok in _pythainlp().word_tokenize(chunk, engine="newmm") if tok]
        merged = [tokens[0]]
        for token in tokens[1:]:
            if _may_break(merged[-1], token):
                merged.append(token)
            else:
                merged[-1] += token
        if found and not any(c.isalnum() for c in chunk):
            found[-1] = (f"{found[-1][0]} {chunk}", found[-1][1])  # a lone "·" or "–" ends its line
            continue
        found.append((merged[0], index > 0))
        found.extend((piece, False) for piece in merged[1:])
    return found


def _clusters(word: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """A single word wider than a whole line, cut between Thai character clusters (a consonant
    never loses its vowel or tone mark): the only place a line breaks inside a word."""
    lines = [""]
    for cluster in _pythainlp().subword_tokenize(word, engine="tcc"):
        if lines[-1] and measure(lines[-1] + cluster) > width:
            lines.append(cluster)
        else:
            lines[-1] += cluster
    return lines


def wrap_thai(text: str, width: float, measure: Callable[[str], float] = cells) -> list[str]:
    """``text`` in lines no wider than ``width`` (in the unit of ``measure``: character cells by
    default, pixels for charts), broken only between words."""
    lines: list[str] = []
    line = ""
    for piece, spaced in pieces(text):
        joined = f"{line} {piece}" if line and spaced else line + piece
        if measure(joined) <= width:
            line = joined
            continue
        if line:
            lines.append(line)
        if measure(piece) <= width:
            line = piece
        else:
            *whole, line = _clusters(piece, width, measure)
            lines.extend(whole)
    if line:
        lines.append(line)
    return lines


def wrap_phrases(text: str, width: float, measure: Callable[[str], float] = cells, separator: str = " · ") -> list[str]:
    """Like :func:`wrap_thai`, but where ``separator`` joins phrases (a title's "network · period")
    a line breaks after it rather than inside a phrase, whenever the phrase fits on a line."""
    lines: list[str] = []
    phrases = text.split(separator)
    for index, phrase in enumerate(phrases):
        if index < len(phrases) - 1:
            phrase += separator.rstrip()
        joined = f"{lines[-1]} {phrase}" if lines else phrase
        if lines and measure(joined) <= width:
            lines[-1] = joined
        else:
            lines.extend(wrap_thai(phrase, width, measure))
    return lines
