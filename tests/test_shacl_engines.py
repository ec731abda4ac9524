"""The fast SHACL path (pyshacl for core constraints, Oxigraph for SHACL-SPARQL) reports what pyshacl reports.

pyshacl evaluating the whole shapes graph, its SPARQL constraints included, is the reference: it runs
each constraint once per focus node with $this pre-bound, as SHACL-SPARQL defines. Every negative
fixture, the valid mini knowledge base and the shipped data go through both, and so do small shapes
graphs that use the SHACL-SPARQL features the shipped shapes do not (other targets, $currentShape,
message templates, deactivation).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from pyshacl import validate as pyshacl_validate
from rdflib import Graph, URIRef
from rdflib.term import Node

from kb.graph.load import load
from kb.graph.store import GraphStore, OxigraphGraphStore
from kb.namespaces import SH
from kb.quality.shacl import (
    ShapeResult,
    ShapesError,
    core_results,
    shape_name,
    shapes_graph,
    sparql_results,
    split,
)

HERE = Path(__file__).resolve().parent
MINI = sorted((HERE / "fixtures" / "mini").glob("*.ttl"))
INVALID = sorted((HERE / "fixtures" / "invalid").glob("*.ttl"))


@dataclass(frozen=True)
class Expected:
    """One pyshacl result: the fast path must report its focus, shape and value with one of its messages."""

    focus: Node | None
    shape: str
    value: Node | None
    messages: frozenset[str]

    def matches(self, found: ShapeResult) -> bool:
        return (found.focus, found.shape, found.value) == (self.focus, self.shape, self.value) and (
            found.message in self.messages
        )


def reference(data: Graph, shapes: Graph) -> list[Expected]:
    _conforms, report, text = pyshacl_validate(
        data, shacl_graph=shapes, inference="none", advanced=True, allow_warnings=True
    )
    assert isinstance(report, Graph), text
    expected = []
    for result in report.objects(None, SH.result):
        shape = report.value(result, SH.sourceShape)
        messages = set(report.objects(result, SH.resultMessage))
        # pyshacl adds the shape's own sh:message to a SPARQL result; SHACL takes the constraint's
        constraint = report.value(result, SH.sourceConstraint)
        if constraint is not None and (constraint, SH.message, None) in report:
            messages -= set(shapes.objects(shape, SH.message))
        expected.append(
            Expected(
                report.value(result, SH.focusNode),
                shape_name(shape, shapes),
                report.value(result, SH.value),
                frozenset(str(m) for m in messages),
            )
        )
    return expected


def as_reported(result: ShapeResult) -> ShapeResult:
    """A SPARQL result as SHACL reports it on a node shape: an unbound ?value reports the focus node."""
    return (
        result
        if result.value is not None
        else ShapeResult(result.focus, result.shape, result.message, result.focus)
    )


def assert_same(fast: list[ShapeResult], expected: list[Expected]) -> None:
    missed = [e for e in expected if not any(e.matches(f) for f in fast)]
    extra = [f for f in fast if not any(e.matches(f) for e in expected)]
    assert not missed and not extra, (
        "pyshacl reports, the fast path does not:\n"
        + "\n".join(map(str, missed))
        + "\nthe fast path reports, pyshacl does not:\n"
        + "\n".join(map(str, extra))
    )


def fast_and_reference(paths: list[Path] | None) -> tuple[list[ShapeResult], list[Expected]]:
    loaded = load(paths)
    assert not loaded.errors, [str(e) for e in loaded.errors]
    data = loaded.store.union_graph()
    fast = core_results(data) + [as_reported(r) for r in sparql_results(loaded.store)]
    return fast, reference(data, shapes_graph())


@pytest.mark.parametrize("fixture", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture_same_results_as_pyshacl(fixture: Path) -> None:
    fast, expected = fast_and_reference([*MINI, fixture])
    assert expected, f"{fixture.name}: pyshacl finds nothing wrong"
    assert_same(fast, expected)


def test_mini_knowledge_base_same_results_as_pyshacl() -> None:
    fast, expected = fast_and_reference(MINI)
    assert_same(fast, expected)
    assert not expected


def test_shipped_data_same_results_as_pyshacl() -> None:
    fast, expected = fast_and_reference(None)
    assert_same(fast, expected)


# ---------------------------------------------------------------- SHACL-SPARQL beyond the shipped shapes

PREAMBLE = """
@prefix ex:  <http://example.org/> .
@prefix sh:  <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
ex: a owl:Ontology ; sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
"""

DATA = """
ex:Sub rdfs:subClassOf ex:Thing .
ex:a a ex:Thing ; ex:low 5 ; ex:high 3 ; ex:marks ex:ShapeA .
ex:b a ex:Sub ; ex:high 3 ; ex:marks ex:ShapeB .
ex:c a ex:Thing ; ex:low 1 ; ex:high 4 .
ex:d ex:points ex:e .
ex:e ex:low 7 .
_:blank a ex:Thing ; ex:high 9 ; ex:low 10 .
"""

# Each constraint opens with OPTIONAL, so a join with the targets instead of a bound $this misses nodes.
ORDER = (
    'sh:select "SELECT $this ?value WHERE { OPTIONAL { $this ex:low ?value } OPTIONAL { $this ex:high ?hi }'
    ' FILTER(!BOUND(?value) || !BOUND(?hi) || ?value > ?hi) }"'
)

MARKED = (
    'sh:select "SELECT $this WHERE { OPTIONAL { $this ex:marks ?m }'
    ' FILTER(!BOUND(?m) || ?m != $currentShape) }"'
)
OF_THING = "ex:S a sh:NodeShape ; sh:targetClass ex:Thing"


def shape(head: str, constraint: str = f'{ORDER} ; sh:message "out of order"') -> str:
    return f"{head} ; sh:sparql [ sh:prefixes ex: ; {constraint} ] ."


SHAPES = {
    "targetClass": shape(OF_THING, f'{ORDER} ; sh:message "{{$this}} is out of order at {{?value}}"'),
    "targetNode": shape("ex:S a sh:NodeShape ; sh:targetNode ex:a, ex:c, ex:nowhere"),
    "targetSubjectsOf": shape("ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:points"),
    "targetObjectsOf": shape("ex:S a sh:NodeShape ; sh:targetObjectsOf ex:points"),
    "implicit class target": shape("ex:Thing a sh:NodeShape, rdfs:Class"),
    "currentShape": shape(
        "ex:ShapeA a sh:NodeShape ; sh:targetClass ex:Thing", f'{MARKED} ; sh:message "unmarked"'
    ),
    "message on the shape": shape(f'{OF_THING} ; sh:message "from the shape"', ORDER),
    "deactivated": shape(OF_THING, f'{ORDER} ; sh:message "out of order" ; sh:deactivated true'),
}


def small_store(data: str) -> GraphStore:
    store = OxigraphGraphStore()
    store.add_graph("urn:mmkb:test", Graph().parse(data=PREAMBLE + data, format="turtle"))
    return store


@pytest.mark.parametrize("case", SHAPES)
def test_sparql_features_same_results_as_pyshacl(case: str) -> None:
    shapes = Graph().parse(data=PREAMBLE + SHAPES[case], format="turtle")
    store = small_store(DATA)
    fast = [as_reported(r) for r in sparql_results(store, split(shapes)[1])]
    expected = reference(store.union_graph(), shapes)
    assert_same(fast, expected)
    if case == "deactivated":
        assert not fast
    else:
        assert fast, "the case should find something; otherwise it proves nothing"


def test_message_template_takes_the_solution_values() -> None:
    shapes = Graph().parse(data=PREAMBLE + SHAPES["targetClass"], format="turtle")
    results = sparql_results(small_store(DATA), split(shapes)[1])
    messages = {r.message for r in results if r.focus == URIRef("http://example.org/a")}
    assert messages == {"http://example.org/a is out of order at 5"}


REFUSED = {
    "MINUS": "SELECT $this WHERE { $this ex:low ?v MINUS { $this ex:high ?v } }",
    "VALUES": "SELECT $this WHERE { VALUES ?v { 1 } $this ex:low ?v }",
    "SERVICE": "SELECT $this WHERE { SERVICE <http://example.org/sparql> { $this ex:low ?v } }",
    "AS ?this": "SELECT $this WHERE { ex:a ex:low ?v BIND(ex:a AS ?this) }",
    "$this not selected": "SELECT ?v WHERE { $this ex:low ?v }",
    "subquery without $this": "SELECT $this WHERE { { SELECT ?v WHERE { $this ex:low ?v } } }",
    "$shapesGraph": "SELECT $this WHERE { GRAPH $shapesGraph { $this ex:low ?v } }",
    "$PATH": "SELECT $this WHERE { $this $PATH ?v }",
    "undeclared prefix": "SELECT $this WHERE { $this undeclared:low ?v }",
}


@pytest.mark.parametrize("case", REFUSED)
def test_constraint_outside_prebinding_rules_is_refused(case: str) -> None:
    select = REFUSED[case].replace('"', '\\"')
    shapes = Graph().parse(
        data=PREAMBLE + shape(OF_THING, f'sh:select "{select}" ; sh:message "m"'), format="turtle"
    )
    with pytest.raises(ShapesError):
        split(shapes)


def test_allowed_words_inside_strings_and_iris_are_not_refused() -> None:
    select = (
        'SELECT $this WHERE { $this ex:note ?n FILTER(?n = \\"MINUS VALUES\\" || ?n = <http://x/VALUES>) }'
    )
    shapes = Graph().parse(
        data=PREAMBLE + shape(OF_THING, f'sh:select "{select}" ; sh:message "m"'), format="turtle"
    )
    assert len(split(shapes)[1]) == 1


def test_shipped_shapes_keep_every_constraint() -> None:
    core, constraints = split(shapes_graph())
    assert len(constraints) == len(set(shapes_graph().subject_objects(SH.sparql)))
    assert not set(core.subject_objects(SH.sparql))
