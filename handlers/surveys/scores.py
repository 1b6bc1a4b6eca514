"""A rating question's mean and standard deviation from how many answers gave each score, without
listing every answer's score (a year's ratings are tens of thousands of answers, their counts a few rows).

The figures are the floats :func:`statistics.fmean` and :func:`statistics.stdev` give over the listed
scores: both are exact (fractions) until one final, correctly rounded step, so the order and the
grouping of the scores cannot change them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from fractions import Fraction

_SQRT_BITS = 2 * 53 + 3  # a float's 53 bits, one to round with, two to keep round-to-odd exact


def mean_and_sd(counts: Mapping[int, int]) -> tuple[float, float] | None:
    """(mean, sample standard deviation) of the scores ``counts`` holds (score -> how many answers gave
    it); the deviation of one answer is 0.0; None without answers."""
    n = sum(counts.values())
    if n <= 0:
        return None
    total = sum(score * k for score, k in counts.items())
    mean = float(total) / n  # fmean: the exact sum of the (integer) scores, then one division
    if n == 1:
        return mean, 0.0
    squares = sum(score * score * k for score, k in counts.items())
    # The sum of squared deviations, (n·Σx² − (Σx)²) / n, over n − 1: exact, as statistics.stdev has it.
    return mean, _sqrt(Fraction(n * squares - total * total, n * (n - 1)))


def _sqrt(value: Fraction) -> float:
    """√value correctly rounded to a float: the integer square root of the value scaled to some 109 bits,
    rounded to odd, then converted (the method statistics.stdev uses, https://bugs.python.org/msg407078)."""
    n, m = value.numerator, value.denominator
    q = (n.bit_length() - m.bit_length() - _SQRT_BITS) // 2
    if q >= 0:
        return (_isqrt_to_odd(n, m << 2 * q) << q) / 1
    return _isqrt_to_odd(n << -2 * q, m) / (1 << -q)


def _isqrt_to_odd(n: int, m: int) -> int:
    """⌊√(n/m)⌋, made odd when the root is not exact (round-to-odd keeps the final rounding correct)."""
    root = math.isqrt(n // m)
    return root | (root * root * m != n)
