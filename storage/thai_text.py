"""Search terms of Thai and English text (pure, no SQL): what the practice library indexes
and what a query looks for.

Thai is written without spaces between words, so text is segmented with PyThaiNLP's
dictionary tokenizer (``newmm``). A dictionary word may itself be a compound
("สื่อการสอน" = "สื่อ" + "การสอน"), and a reader searching for the inner word expects to
find it, so *indexing* also adds the words a compound is made of (recursively: the
fewest dictionary words that cover it exactly). A *query* is segmented the same way but
not decomposed, so "สื่อการสอน" looks for that word and "สื่อ" finds both. Thai
stop words ("การ", "ของ", "และ"…) are dropped on both sides; Latin words are lower-cased
and split at punctuation ("Active-Learning" → "active", "learning"); Thai digits become
Arabic ones; a grade ("ป.4", "ม. 1", "อ.๒") is one term, so "ป.4" does not look for every
"ป" and every "4".

PyThaiNLP is imported on first use: loading its dictionary takes about half a second,
which start-up must not pay.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Any

MAX_TERM = 64  # longer tokens (a pasted URL, a run of unknown characters) are cut here
# Shorter dictionary entries are mostly single syllables ("วิ", "ชา" in "วิชา"; "หน", "อง" in
# "หนอง"): indexing them would make nearly every word a compound. "สื่อ", "ครู", "สอน" are 3+.
MIN_PART = 3
_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_LATIN_WORD = re.compile(r"[0-9a-z]+")
_HAS_THAI = re.compile(r"[\u0e00-\u0e7f]")
# Primary (ป), secondary (ม) and kindergarten (อ) grades, written "ป.4" or "ป. 4".
_GRADE = re.compile(r"([ปมอ])\.\s*([0-9]{1,2})(?![0-9])")
_GRADE_TERM = re.compile(r"[ปมอ]\.[0-9]{1,2}")
_ENGLISH_STOP_WORDS = frozenset({"a", "an", "and", "the", "of", "for", "to", "in", "on", "with", "by", "at", "or"})


def index_terms(text: str) -> set[str]:
    """Every term a text is found by: its words and the words inside its compounds."""
    terms: set[str] = set()
    for chunk in _normalise(text).split():
        terms.update(_chunk_index_terms(chunk))
    return terms


def query_terms(text: str) -> list[str]:
    """The distinct terms a query looks for, in the order typed."""
    seen: dict[str, None] = {}
    for chunk in _normalise(text).split():
        for term in _chunk_words(chunk):
            seen.setdefault(term, None)
    return list(seen)


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_THAI_DIGITS).lower()
    return _GRADE.sub(r" \1.\2 ", text)  # a grade becomes a chunk of its own


@lru_cache(maxsize=8192)
def _chunk_words(chunk: str) -> tuple[str, ...]:
    """The words of a run of text without spaces (cached: titles and descriptions repeat)."""
    from pythainlp.tokenize import word_tokenize
    from pythainlp.util import normalize

    if _GRADE_TERM.fullmatch(chunk):
        return (chunk,)
    words: list[str] = []
    stop = _thai_stop_words()
    for token in word_tokenize(normalize(chunk), engine="newmm", keep_whitespace=False):
        if _HAS_THAI.search(token):
            # Keep Thai letters and marks: "ฯลฯ" stays, a stray "." goes.
            word = "".join(c for c in token if _HAS_THAI.match(c) or c.isalnum())
            if word and word not in stop:
                words.append(word[:MAX_TERM])
        else:
            words.extend(w[:MAX_TERM] for w in _LATIN_WORD.findall(token) if w not in _ENGLISH_STOP_WORDS)
    return tuple(words)


@lru_cache(maxsize=8192)
def _chunk_index_terms(chunk: str) -> frozenset[str]:
    terms: set[str] = set()
    stop = _thai_stop_words()
    for word in _chunk_words(chunk):
        terms.add(word)
        if _HAS_THAI.search(word):
            terms.update(part for part in _inner_words(word) if part not in stop)
    return frozenset(terms)


@lru_cache(maxsize=8192)
def _inner_words(word: str) -> frozenset[str]:
    """The dictionary words a compound is made of, at every level (none for a simple word)."""
    parts = _split_compound(word, _dictionary())
    found: set[str] = set()
    for part in parts:
        found.add(part)
        found.update(_inner_words(part))
    return frozenset(found)


def _split_compound(word: str, dictionary: Any) -> list[str]:
    """The fewest dictionary words, each shorter than ``word`` and of at least
    ``MIN_PART`` characters, that spell ``word`` exactly; [] when there are none."""
    best: list[list[str] | None] = [None] * (len(word) + 1)
    best[0] = []
    for start in range(len(word)):
        done = best[start]
        if done is None:
            continue
        for prefix in dictionary.prefixes(word[start:]):
            end = start + len(prefix)
            if len(prefix) < MIN_PART or len(prefix) == len(word):
                continue
            current = best[end]
            if current is None or len(done) + 1 < len(current):
                best[end] = [*done, prefix]
    return best[len(word)] or []


@lru_cache(maxsize=1)
def _dictionary() -> Any:
    from pythainlp.tokenize import word_dict_trie

    return word_dict_trie()


@lru_cache(maxsize=1)
def _thai_stop_words() -> frozenset[str]:
    from pythainlp.corpus import thai_stopwords

    return frozenset(thai_stopwords())
