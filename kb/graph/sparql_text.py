"""What a query sent to a SPARQL server needs around its text: a prologue of the prefixes it uses, whether
it names its own dataset, and term tests that see skolem IRIs as the blank nodes they stand for.

The text is scanned token by token, skipping strings, IRIs and comments, so that a word inside them is
never taken for query syntax. The query has already been parsed by Oxigraph (kb.graph.remote), so only
valid SPARQL reaches these functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

_TOKEN = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\''
    r'|<[^\s<>"{}|^`\\]*>|#[^\n]*'
    r"|(?P<test>(?<![\w:?$.-])(?:isBlank|isIRI|isURI)\s*\()"
    r"|(?P<from>(?<![\w:?$.-])FROM(?![\w:-]))"
    r"|(?P<prefix>(?<![\w:?$.-])[A-Za-z][\w.-]*(?<!\.)):"
    r"|(?P<open>\()|(?P<close>\))",
    re.IGNORECASE,
)


def _syntax(text: str) -> Iterator[re.Match[str]]:
    """The tokens of the query that are syntax: term tests, FROM, prefix names and parentheses."""
    for match in _TOKEN.finditer(text):
        if match.lastgroup is not None:
            yield match


def declares_dataset(text: str) -> bool:
    """Whether the query names its own dataset (FROM or FROM NAMED)."""
    return any(m.lastgroup == "from" for m in _syntax(text))


def prologue(text: str, prefixes: Mapping[str, str]) -> str:
    """PREFIX declarations for the predeclared prefixes the query uses (its own declarations follow and
    win, as SPARQL says of a prefix declared twice)."""
    used = {m["prefix"] for m in _syntax(text) if m.lastgroup == "prefix"}
    return "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes.items() if name in used)


def skolem_term_tests(text: str, genid: str) -> str:
    """The query with isBlank, isIRI and isURI answering for blank nodes stored as IRIs under `genid`: a
    skolem IRI is blank, and not an IRI."""
    out: list[str] = []
    at = 0
    matches = list(_syntax(text))
    i = 0
    while i < len(matches):
        match = matches[i]
        if match.lastgroup != "test":
            i += 1
            continue
        depth, j = 1, i + 1
        while j < len(matches) and depth:
            depth += {"test": 1, "open": 1, "close": -1}.get(matches[j].lastgroup or "", 0)
            j += 1
        end = matches[j - 1].start()  # the closing parenthesis
        argument = skolem_term_tests(text[match.end() : end], genid)
        name = match.group().rstrip("( \t\r\n").lower()
        skolem = f'(isIRI({argument}) && STRSTARTS(STR({argument}), "{genid}"))'
        if name == "isblank":
            test = f"(isBlank({argument}) || {skolem})"
        else:
            test = f"({name}({argument}) && !{skolem})"
        out += [text[at : match.start()], test]
        at = end + 1
        i = j
    out.append(text[at:])
    return "".join(out)
