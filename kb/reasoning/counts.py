"""Which integer counts reproduce a printed percentage over a denominator (exact decimal arithmetic)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from rdflib import Literal
from rdflib.term import Node

from kb.graph.fast_rows import Value

# A hedged figure ("~90%", "nearly 35%") is read as within this many percentage points.
HEDGE_TOLERANCE = Fraction(5)
# The largest denominator read as a count of patients; a larger one is for the shapes to report.
MAX_DENOMINATOR = 1_000_000


@dataclass(frozen=True)
class Reconstruction:
    candidates: tuple[int, ...]
    origin: str  # "derived" (one fit), "ambiguous" (several, or hedged), "inconsistent" (none)


def candidates(percent: Decimal | str, denominator: int, *, hedged: bool = False) -> tuple[int, ...]:
    """Every k in 0..denominator whose 100k/denominator rounds to `percent` at its printed precision.

    The half-unit bounds are inclusive, so either rounding convention at an exact tie fits.
    """
    value = Decimal(str(percent))
    exponent = value.as_tuple().exponent
    decimals = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    target = Fraction(value)
    tolerance = HEDGE_TOLERANCE if hedged else Fraction(1, 2 * 10**decimals)
    # |100k/n - target| <= tolerance  <=>  (target - tolerance) n/100 <= k <= (target + tolerance) n/100
    low = max(0, math.ceil((target - tolerance) * denominator / 100))
    high = min(denominator, math.floor((target + tolerance) * denominator / 100))
    return tuple(range(low, high + 1))


def reconstruct(percent: Decimal | str, denominator: int, *, hedged: bool = False) -> Reconstruction:
    found = candidates(percent, denominator, hedged=hedged)
    if not found:
        return Reconstruction(found, "inconsistent")
    if len(found) == 1 and not hedged:
        return Reconstruction(found, "derived")
    return Reconstruction(found, "ambiguous")


def printed_number(term: Node | Value | None) -> Decimal | None:
    """A numeric literal as printed (its lexical form, so that '45.0' keeps its precision), if finite; a
    number read as a plain value (kb.graph.fast_rows, where an xsd:decimal keeps its digits) likewise.

    Anything else (a string, an ill-typed literal such as 'abc'^^xsd:integer, NaN or INF) is None:
    it is for the shapes to report, not for inference or the integrity rules to read.
    """
    if isinstance(term, Literal):
        if isinstance(term.value, bool) or not isinstance(term.value, int | float | Decimal):
            return None
    elif isinstance(term, bool) or not isinstance(term, int | float | Decimal):
        return None
    try:
        number = Decimal(str(term).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def whole_count(term: Node | Value | None) -> int | None:
    """A positive whole number of patients (at most MAX_DENOMINATOR) printed as `term`, else None."""
    number = printed_number(term)
    if number is None or not 0 < number <= MAX_DENOMINATOR or number != number.to_integral_value():
        return None
    return int(number)
