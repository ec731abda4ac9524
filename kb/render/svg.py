"""What the hand-written SVG writers share: coordinates as fixed-point text, text, line and marker elements,
labels wrapped onto lines of a column's width (never cut), the rows of wrapped labels the plots are made of,
and the document around them (escaping: kb.render.markup)."""

from __future__ import annotations

from collections.abc import Sequence

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


# The plots' text: the font size, one line of a wrapped label, and the space above and below a row's lines.
FONT_SIZE = 12
LINE_H = 15.0
ROW_PAD = 6.0


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


def block_height(lines: int) -> float:
    """The height of a row whose longest label takes `lines` lines."""
    return max(lines, 1) * LINE_H + ROW_PAD


def line_texts(
    x: float, top: float, lines: Sequence[str], anchor: str = "start", extra: str = ""
) -> list[str]:
    """One <text> per line of a wrapped label, the first in the row starting at `top`."""
    first = top + ROW_PAD / 2 + LINE_H - 4
    return [text_element(x, first + i * LINE_H, line, anchor, extra) for i, line in enumerate(lines)]


def centre_base(top: float, height: float) -> float:
    """The baseline of one line of text centred in a row."""
    return top + height / 2 + FONT_SIZE / 2 - 1.5


def svg_document(title: str, width: float, height: float, content: Sequence[str]) -> str:
    """The SVG document: its size, fonts, a <title> for screen readers, a white background, the content."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_n(width)}" height="{_n(height)}" '
        f'viewBox="0 0 {_n(width)} {_n(height)}" font-family="Helvetica, Arial, sans-serif" '
        f'font-size="{FONT_SIZE}" role="img">'
    )
    parts = [head, f"<title>{escape(title)}</title>", '<rect width="100%" height="100%" fill="#fff"/>']
    return "\n".join([*parts, *content, "</svg>"]) + "\n"


def square(x: float, mid: float, side: float, fill: str, stroke: str, css: str = "marker") -> str:
    """A square marker of side `side` centred on (x, mid)."""
    return (
        f'<rect class="{css}" x="{_n(x - side / 2)}" y="{_n(mid - side / 2)}" width="{_n(side)}" '
        f'height="{_n(side)}" fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
    )
