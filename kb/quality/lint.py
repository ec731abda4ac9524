"""Canonical formatting of curated Turtle: one serialization per graph, so diffs show content only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph
from rdflib.compare import to_canonical_graph

from kb.namespaces import PREFIXES

FIX_COMMAND = "mmkb lint --fix"


def canonical(text: str, *, source: str = "urn:mmkb:lint") -> str:
    """The canonical Turtle for `text`: rdflib's sorted long-form Turtle with the project's prefixes."""
    parsed = Graph().parse(data=text, format="turtle", publicID=source)
    # Blank nodes get labels computed from their content, so nested evidence sorts the same every run.
    graph = Graph(bind_namespaces="none")
    graph += to_canonical_graph(parsed)
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True)
    out = graph.serialize(format="longturtle")
    return out if out.endswith("\n") else out + "\n"


@dataclass(frozen=True)
class LintResult:
    path: Path
    canonical: bool


def lint(paths: list[Path], *, fix: bool = False) -> list[LintResult]:
    results = []
    for path in paths:
        text = path.read_text(encoding="utf-8")
        formatted = canonical(text, source=path.resolve().as_uri())
        ok = formatted == text
        if not ok and fix:
            path.write_text(formatted, encoding="utf-8")
        results.append(LintResult(path, ok or fix))
    return results
