"""What the hand-written SVG writers share: coordinates as fixed-point text, text and line elements, and
labels wrapped onto lines of a column's width, never cut (escaping: kb.render.markup)."""

from __future__ import annotations

from kb.render.markup import escape
from kb.render.numbers import number_text

# Glyph widths, as a fraction of the font size: Helvetica's and Arial's (and their metric-compatible
# substitutes', such as Liberation Sans), rounded up, so that a label wrapped to a column's width fits it.
_EM = {
    **dict.fromkeys(" ijlftrI.,:;'!|()[]/-", 0.34),
    **dict.fromkeys("mM", 0.84),
    **dict.fromkeys("wW@%", 1.02),
    **dict.fromkeys("+=<>~^", 0.59),
}
_LOWER_EM = 0.56  # other lower-case letters, digits, #, _
_UPPER_EM = 0.73  # other capitals
_OTHER_EM = 0.8


def coordinate(value: float, places: int) -> str:
    """`value` with `places` decimals, never as negative zero, so equal drawings give equal bytes."""
    return number_text(value, places)


def _n(value: float) -> str:
    return coordinate(value, 2)


def text_element(x: float, y: float, content: str, anchor: str = "start", extra: str = "") -> str:
    """A <text> at (x, y), its content escaped; `anchor` start, middle or end; `extra` further attributes."""
    anchor_attr = "" if anchor == "start" else f' text-anchor="{anchor}"'
    return f'<text x="{_n(x)}" y="{_n(y)}"{anchor_attr}{extra}>{escape(content)}</text>'


def line_element(x1: float, y1: float, x2: float, y2: float, stroke: str, extra: str = "") -> str:
    return f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}"{extra}/>'


def text_width(text: str, font_size: float) -> float:
    """An upper estimate of the width `text` takes at `font_size`."""
    em = 0.0
    for char in text:
        if char in _EM:
            em += _EM[char]
        elif char.isupper():
            em += _UPPER_EM
        elif char.islower() or char.isdigit() or char in "#_$*":
            em += _LOWER_EM
        else:
            em += _OTHER_EM
    return em * font_size


def wrap(text: str, width_px: float, font_size: float) -> list[str]:
    """`text` on as many lines as a column `width_px` wide needs at `font_size`, breaking at spaces: whole,
    never cut (a word longer than the column is broken across lines)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        joined = f"{line} {word}" if line else word
        if text_width(joined, font_size) <= width_px:
            line = joined
            continue
        if line:
            lines.append(line)
        line = ""
        for char in word:  # the word alone, broken where it passes the width
            if line and text_width(line + char, font_size) > width_px:
                lines.append(line)
                line = ""
            line += char
    return [*lines, line] if line or not lines else lines


def diamond_points(low: float, estimate: float, high: float, mid: float, half_height: float) -> str:
    """The points of a diamond from `low` to `high` with its apex at `estimate`, centred on `mid`."""
    top, bottom = mid - half_height, mid + half_height
    return f"{_n(low)},{_n(mid)} {_n(estimate)},{_n(top)} {_n(high)},{_n(mid)} {_n(estimate)},{_n(bottom)}"
