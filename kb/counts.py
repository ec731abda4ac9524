"""Which integer counts reproduce a printed percentage over a denominator (exact decimal arithmetic)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

# A hedged figure ("~90%", "nearly 35%") is read as within this many percentage points.
HEDGE_TOLERANCE = Fraction(5)


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
    return tuple(
        k for k in range(denominator + 1) if abs(Fraction(100 * k, denominator) - target) <= tolerance
    )


def reconstruct(percent: Decimal | str, denominator: int, *, hedged: bool = False) -> Reconstruction:
    found = candidates(percent, denominator, hedged=hedged)
    if not found:
        return Reconstruction(found, "inconsistent")
    if len(found) == 1 and not hedged:
        return Reconstruction(found, "derived")
    return Reconstruction(found, "ambiguous")
