"""What the hand-written SVG writers share: coordinates as fixed-point text (escaping: kb.render.markup)."""

from __future__ import annotations

from kb.render.numbers import number_text


def coordinate(value: float, places: int) -> str:
    """`value` with `places` decimals, never as negative zero, so equal drawings give equal bytes."""
    return number_text(value, places)
