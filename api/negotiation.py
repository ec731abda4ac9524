"""Content negotiation, said once: the offered media type an Accept header prefers, and the table
formats chosen by `format=` or Accept."""

from __future__ import annotations

from fastapi import Request

from api.errors import invalid_option


def negotiate(accept: str | None, offered: list[str] | tuple[str, ...]) -> str | None:
    """The offered media type the Accept header likes best (ties go to the earlier offer), or None."""
    ranges: list[tuple[str, float]] = []
    for part in (accept or "*/*").split(","):
        fields = [f.strip() for f in part.split(";")]
        if not fields[0]:
            continue
        q = 1.0
        for field in fields[1:]:
            key, _, value = field.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        ranges.append((fields[0].lower(), q))
    best, best_q = None, 0.0
    for media_type in offered:
        q = _quality(media_type, ranges)
        if q > best_q:
            best, best_q = media_type, q
    return best


def _quality(media_type: str, ranges: list[tuple[str, float]]) -> float:
    """q of the most specific range matching `media_type` (0 when none does)."""
    main = media_type.split("/")[0]
    found: tuple[int, float] = (-1, 0.0)
    for pattern, q in ranges:
        specificity = (
            2 if pattern == media_type else 1 if pattern == f"{main}/*" else 0 if pattern == "*/*" else -1
        )
        if specificity > found[0]:
            found = (specificity, q)
    return found[1]


def choose_format(request: Request, fmt: str | None, media_types: dict[str, str], default: str) -> str:
    """The format named by `format=`, else the offered format Accept prefers, else `default`.

    `media_types` maps format names to media types; a wildcard alone (*/*) keeps `default`.
    """
    if fmt is not None:
        if fmt not in media_types:
            raise invalid_option("format", fmt, list(media_types))
        return fmt
    accept = request.headers.get("accept")
    if not accept or all(part.split(";")[0].strip() in ("", "*/*") for part in accept.split(",")):
        return default
    offered = [media_types[default], *(m for name, m in media_types.items() if name != default)]
    chosen = negotiate(accept, offered)
    if chosen is None:
        return default
    return next(name for name, media in media_types.items() if media == chosen)
