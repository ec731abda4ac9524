"""Mutations of a valid record are reported (violations or load errors) or valid, never a crash."""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from kb.quality.validate import Report, validate

MINI_DIR = Path(__file__).resolve().parent.parent / "fixtures" / "mini"
STUDY_FILE = MINI_DIR / "example-2024.ttl"
OTHER_FILES = sorted(p for p in MINI_DIR.glob("*.ttl") if p != STUDY_FILE)

XSD = "http://www.w3.org/2001/XMLSchema#"
LANG_STRING = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#langString")
MM = "https://w3id.org/mmkb/vocab#"
# The one proportion of the fixture printed as a percentage without a count: its percent and
# denominator feed the count reconstruction that validation runs (kb.infer).
RECONSTRUCTED = URIRef("https://w3id.org/mmkb/id/example-arm-a-neutropenia")
RECONSTRUCTION_INPUTS = (URIRef(MM + "percent"), URIRef(MM + "denominator"))

Triple = tuple[Node, Node, Node]

# rdflib warns about every ill-typed literal it is asked to hold; here that is the point.
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

XSD_NAMES = "integer nonNegativeInteger decimal double boolean date dateTime string anyURI"
DATATYPES = [
    *(URIRef(XSD + name) for name in XSD_NAMES.split()),
    LANG_STRING,
    URIRef("urn:mmkb:test:no-such-datatype"),
]
ODD_VALUES = ["", "-1", "0", "1e400", "NaN", "INF", "12.5", "abc", "2024-13-45", "true", " 7 "]
ODD_VALUES += ["\u00e9\u2028x", "\x00"]


@cache
def study_triples() -> tuple[Triple, ...]:
    graph = Graph().parse(STUDY_FILE, format="turtle")
    return tuple(sorted(graph, key=lambda t: tuple(t[i].n3() for i in range(3))))


@cache
def iris() -> tuple[URIRef, ...]:
    found = {term for triple in study_triples() for term in triple if isinstance(term, URIRef)}
    return (*sorted(found), URIRef("https://w3id.org/mmkb/id/no-such-record"))


def is_reconstruction_input(triple: Triple) -> bool:
    return triple[0] == RECONSTRUCTED and triple[1] in RECONSTRUCTION_INPUTS


def literal_indexes(*, reconstruction_inputs: bool) -> list[int]:
    return [
        i
        for i, triple in enumerate(study_triples())
        if isinstance(triple[2], Literal) and is_reconstruction_input(triple) == reconstruction_inputs
    ]


def changed_literal(draw: st.DrawFn, kind: str, old: Literal) -> Literal:
    if kind == "datatype":
        datatype = draw(st.sampled_from(DATATYPES))
        if datatype == LANG_STRING:
            return Literal(str(old), lang="en")
        return Literal(str(old), datatype=datatype)
    text = draw(st.sampled_from(ODD_VALUES) | st.text(max_size=12))
    return Literal(text, datatype=old.datatype, lang=old.language)


@st.composite
def mutations(draw: st.DrawFn) -> tuple[str, list[Triple]]:
    """A mutated copy of the study's triples and a description of the change (for the failure message).

    Literal changes leave out the reconstruction inputs; test_reconstruction_inputs_never_crash covers them.
    """
    triples = list(study_triples())
    kind = draw(st.sampled_from(["drop", "datatype", "value", "swap-iri", "duplicate"]))
    if kind == "drop":
        i = draw(st.integers(0, len(triples) - 1))
        return f"drop {triples[i]}", triples[:i] + triples[i + 1 :]
    if kind in ("datatype", "value"):
        i = draw(st.sampled_from(literal_indexes(reconstruction_inputs=False)))
        s, p, o = triples[i]
        assert isinstance(o, Literal)
        triples[i] = (s, p, changed_literal(draw, kind, o))
        return f"{kind} {triples[i]}", triples
    if kind == "swap-iri":
        i = draw(st.integers(0, len(triples) - 1))
        position = draw(st.sampled_from([0, 1, 2]))
        triple = list(triples[i])
        triple[position] = draw(st.sampled_from(iris()))
        triples[i] = (triple[0], triple[1], triple[2])
        return f"swap-iri at {position}: {triples[i]}", triples
    i = draw(st.integers(0, len(triples) - 1))
    s, p, o = triples[i]
    others = [t[2] for t in triples if t[1] == p and t[2] != o] or [Literal("duplicate")]
    extra = draw(st.sampled_from(others))
    return f"duplicate {(s, p, extra)}", [*triples, (s, p, extra)]


@st.composite
def reconstruction_input_changes(draw: st.DrawFn) -> tuple[str, list[Triple]]:
    triples = list(study_triples())
    i = draw(st.sampled_from(literal_indexes(reconstruction_inputs=True)))
    s, p, o = triples[i]
    assert isinstance(o, Literal)
    triples[i] = (s, p, changed_literal(draw, draw(st.sampled_from(["datatype", "value"])), o))
    return f"{triples[i]}", triples


def replaced(predicate: str, value: Literal) -> tuple[str, list[Triple]]:
    """The fixture with the reconstructed proportion's `predicate` set to `value` (an explicit example)."""
    triples = [
        (s, p, value) if s == RECONSTRUCTED and p == URIRef(MM + predicate) else (s, p, o)
        for s, p, o in study_triples()
    ]
    return f"{RECONSTRUCTED} mm:{predicate} {value.n3()}", triples


def validate_triples(triples: list[Triple]) -> Report:
    graph = Graph()
    for triple in triples:
        graph.add(triple)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / STUDY_FILE.with_suffix(".nt").name
        graph.serialize(path, format="nt", encoding="utf-8")
        return validate([*OTHER_FILES, path])


def check_report(description: str, report: Report) -> None:
    assert isinstance(report, Report), description
    for line in report.lines():
        assert line.startswith(("error: ", "warning: ")) and line.strip(), (description, line)


def test_the_unmutated_record_is_valid() -> None:
    report = validate_triples(list(study_triples()))
    assert report.valid, report.lines()


@settings(max_examples=30)
@given(mutation=mutations())
def test_a_mutated_record_is_reported_or_valid_never_a_crash(mutation: tuple[str, list[Triple]]) -> None:
    description, triples = mutation
    check_report(description, validate_triples(triples))  # an exception fails the property


@settings(max_examples=20)
@given(mutation=reconstruction_input_changes())
@example(mutation=replaced("denominator", Literal("40.5", datatype=URIRef(XSD + "decimal"))))
@example(mutation=replaced("percent", Literal("NaN", datatype=URIRef(XSD + "double"))))
@example(mutation=replaced("percent", Literal("abc")))
def test_reconstruction_inputs_never_crash(mutation: tuple[str, list[Triple]]) -> None:
    description, triples = mutation
    check_report(description, validate_triples(triples))
