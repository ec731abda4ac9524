"""SHACL shapes: a small valid knowledge base passes, and each invalid fixture breaks exactly one constraint.

tests/fixtures/mini/ is a valid knowledge base of a fictional study. Each file in
tests/fixtures/invalid/ adds records to it that break one constraint of ontology/shapes.ttl; its first
line names the shape and the message of the constraint it breaks; validation must report that, and
nothing else. Where the constraint is broken by a value of the wrong kind (a term that is not declared, a
record of another class, a literal of the wrong type), validation says what to fix instead of the
shape's message, and a second line pins what it says. The files in
tests/fixtures/invalid-inferred/ break the shapes of what the reasoner writes (conflict findings): a
curated file cannot carry those (they are set aside and computed again), so they are put into the
inferred graph, as a faulty rule would write them:

    # expect: ClaimShape | A claim must name exactly one source publication (mm:source, a mm:Publication).
    # says: no publication `id:pub-x` in the knowledge base; define it in ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef

from kb.graph.load import load
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import INFERRED_GRAPH
from kb.paths import SHAPES_FILE, display_path
from kb.quality.validate import Report, shacl_violations, subject_files, validate

HERE = Path(__file__).resolve().parent
MINI_DIR = HERE / "fixtures" / "mini"
INVALID_DIR = HERE / "fixtures" / "invalid"

SH = Namespace("http://www.w3.org/ns/shacl#")
MMS = Namespace("https://w3id.org/mmkb/shapes#")

MINI = sorted(MINI_DIR.glob("*.ttl"))
INVALID = sorted(INVALID_DIR.glob("*.ttl"))
INVALID_INFERRED = sorted((HERE / "fixtures" / "invalid-inferred").glob("*.ttl"))

_EXPECT = re.compile(r"^# expect: (?P<shape>\S+) \| (?P<message>.+\S)\s*$")
_SAYS = re.compile(r"^# says: (?P<says>.+\S)\s*$")
_VALUE = re.compile(r" \(value: .*\)$", re.DOTALL)


@dataclass(frozen=True)
class Expectation:
    shape: str
    message: str  # the sh:message of the constraint the fixture breaks
    says: str | None = None  # what validation reports instead, for a value of the wrong kind

    @property
    def reported(self) -> tuple[str, str]:
        return self.shape, self.says or self.message


def expectation(path: Path) -> Expectation:
    first, second = [*path.read_text(encoding="utf-8").splitlines(), ""][:2]
    match = _EXPECT.match(first)
    assert match, f"{path.name}: line 1 must be '# expect: <Shape> | <message>', not {first!r}"
    says = _SAYS.match(second)
    return Expectation(match["shape"], match["message"], says["says"] if says else None)


def found(report: Report) -> set[tuple[str, str]]:
    """(rule, message) of every violation, without the '(value: ...)' the validator appends."""
    return {(v.rule, _VALUE.sub("", v.message)) for v in report.violations}


@cache
def shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


def shape_messages() -> dict[str, set[str]]:
    """Every sh:message of shapes.ttl, by the named shape that carries it.

    A message sits on a node shape itself, on one of its property shapes (sh:property) or on one of
    its SPARQL constraints (sh:sparql).
    """
    graph = shapes()
    by_shape: dict[str, set[str]] = {}
    for holder, message in graph.subject_objects(SH.message):
        if isinstance(holder, URIRef):
            owner = holder
        else:
            owner = next((s for p in (SH.property, SH.sparql) for s in graph.subjects(p, holder)), None)
        assert isinstance(owner, URIRef), f"no named shape carries the message {message!r}"
        by_shape.setdefault(str(owner).removeprefix(str(MMS)), set()).add(str(message))
    return by_shape


def test_fixtures_present() -> None:
    assert len(MINI) >= 2, f"no mini knowledge base in {MINI_DIR}"
    assert INVALID, f"no invalid fixtures in {INVALID_DIR}"


def test_mini_knowledge_base_is_valid() -> None:
    report = validate(MINI)
    assert not report.load_errors, [str(e) for e in report.load_errors]
    assert not report.violations, "\n".join(str(v) for v in report.violations)
    assert not report.conflicts, "\n".join(f.message for f in report.conflicts)


@pytest.mark.parametrize("fixture", INVALID, ids=[p.stem for p in INVALID])
def test_invalid_fixture_breaks_exactly_its_constraint(fixture: Path) -> None:
    expected = expectation(fixture)
    report = validate([*MINI, fixture])
    assert not report.load_errors, [str(e) for e in report.load_errors]
    listing = "\n".join(str(v) for v in report.violations) or "(no violations)"
    assert report.violations, f"{fixture.name} is valid; expected {expected}"
    assert found(report) == {expected.reported}, listing
    assert {Path(v.file).name for v in report.violations} == {fixture.name}, listing


@pytest.mark.parametrize("fixture", INVALID_INFERRED, ids=[p.stem for p in INVALID_INFERRED])
def test_invalid_inferred_statements_break_exactly_their_constraint(fixture: Path) -> None:
    expected = expectation(fixture)
    kb = KnowledgeBase(load(MINI))
    kb.store.add_graph(INFERRED_GRAPH, Graph().parse(fixture, format="turtle"))
    violations = shacl_violations(kb, subject_files(kb))
    listing = "\n".join(str(v) for v in violations) or "(no violations)"
    assert {(v.rule, _VALUE.sub("", v.message)) for v in violations} == {expected.reported}, listing


@pytest.mark.parametrize("fixture", INVALID_INFERRED, ids=[p.stem for p in INVALID_INFERRED])
def test_a_curated_file_cannot_record_a_conflict(fixture: Path) -> None:
    report = validate([*MINI, fixture])
    assert not report.violations and not report.conflicts, report.lines()
    assert set(report.recomputed) == {display_path(fixture)}, report.lines()
    assert any("only the reasoner writes" in line for line in report.lines())


def test_fixture_headers_name_a_message_of_their_shape() -> None:
    by_shape = shape_messages()
    for fixture in [*INVALID, *INVALID_INFERRED]:
        expected = expectation(fixture)
        assert expected.shape in by_shape, f"{fixture.name}: shapes.ttl has no shape {expected.shape}"
        assert expected.message in by_shape[expected.shape], (
            f"{fixture.name}: {expected.shape} carries no message {expected.message!r}"
        )


def test_every_shape_message_has_a_fixture() -> None:
    covered = {(e.shape, e.message) for e in map(expectation, [*INVALID, *INVALID_INFERRED])}
    missing = sorted(
        f"{shape} | {message}"
        for shape, messages in shape_messages().items()
        for message in messages
        if (shape, message) not in covered
    )
    assert not missing, "no fixture in tests/fixtures/invalid(-inferred) expects:\n" + "\n".join(missing)
