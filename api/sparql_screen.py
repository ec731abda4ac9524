"""A lexical screen of query text for a clear refusal: empty queries, updates, SERVICE, LOAD.

It is not the guard against outbound requests (the worker's seccomp filter is); it only gives a
precise message. It errs towards finding a keyword: comments end at a carriage return as well as a
line feed (as in Oxigraph's grammar), and the text is read both as sent and with its \\u / \\U
codepoint escapes decoded (as in the SPARQL grammar), a keyword found in either reading counts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NO_OUTBOUND = "this endpoint makes no outbound requests"
UPDATE_WORDS = frozenset(
    {"INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
)
_PROLOGUE_WORDS = frozenset({"PREFIX", "BASE", "VERSION"})

# Spans that hide words: strings (long forms first), IRIs, comments. Anything else is one character.
_SPANS = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n\r]|\\.)*"'
    r"|'(?:[^'\\\n\r]|\\.)*'"
    r'|<[^<>"{}|^`\\\x00-\x20]*>'
    r"|#[^\r\n]*",
    re.DOTALL,
)
# A bare word: not a variable, not part of a prefixed name or blank node label.
_WORD = re.compile(r"(?<![\w?$:])[^\W\d_]+(?![\w:])")
_ESCAPE = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")


@dataclass(frozen=True)
class Refusal:
    """An HTTP status and the message that says what to change."""

    status: int
    message: str


def words(text: str) -> list[str]:
    """The bare words of `text` outside strings, IRIs and comments, upper-cased, in order."""
    code = _SPANS.sub(" ", text)
    return [word.upper() for word in _WORD.findall(code)]


def decode_escapes(text: str) -> str:
    """`text` with its codepoint escapes replaced by the characters they stand for."""

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else "\ufffd"

    return _ESCAPE.sub(char, text)


def _comment_to_nothing(match: re.Match[str]) -> str:
    return "" if match.group().startswith("#") else "x"


def screen(query: str) -> Refusal | None:
    """A refusal for a query that is empty, an update, or asks for SERVICE; None to evaluate it."""
    readings = [words(query)]
    if "\\" in query:
        readings.append(words(decode_escapes(query)))
    if not _SPANS.sub(_comment_to_nothing, query).strip():
        return Refusal(
            400, "the query is empty (only whitespace or comments); send a SELECT, ASK, CONSTRUCT or DESCRIBE"
        )
    for found in readings:
        first = next((word for word in found if word not in _PROLOGUE_WORDS), "")
        if first == "LOAD" or ("LOAD" in found and first in UPDATE_WORDS):
            return Refusal(400, f"LOAD is not allowed: {NO_OUTBOUND}, and this endpoint is read-only")
        if first in UPDATE_WORDS:
            return Refusal(403, "SPARQL Update is not allowed: this endpoint is read-only")
    if any("SERVICE" in found for found in readings):
        return Refusal(400, f"SERVICE is not allowed: {NO_OUTBOUND}; query the data of this dataset only")
    return None
