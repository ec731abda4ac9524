"""What the hand-written SVG writers share: text escaping and coordinates as fixed-point text."""

from __future__ import annotations

from kb.render.numbers import number_text


def escape(text: str) -> str:
    """Escape for both element content and double-quoted attribute values."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )


def coordinate(value: float, places: int) -> str:
    """`value` with `places` decimals, never as negative zero, so equal drawings give equal bytes."""
    return number_text(value, places)
