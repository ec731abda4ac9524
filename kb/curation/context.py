"""The context columns of the figures tab: the figure's cohort size, regimen (components with dose and
schedule) and defining refractory drug set, as a reader of one row needs them.

They hold no statement of their own: an export fills them from the records, and an import checks any that a
curator filled against the records the workbook and the knowledge base define (a wrong cell is a problem,
an empty one is not)."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.term import Node

from kb.curation import cells
from kb.curation import template as t
from kb.namespaces import MM

COLUMNS = ("cohort_size", "regimen", "refractory_set")
_COHORTS = {MM.Arm, MM.Subgroup, MM.PatientGroup}


def context(graph: Graph, figure: URIRef) -> dict[str, str]:
    """The context cells of a figure (empty ones left out) from the curated statements in `graph`."""
    about = graph.value(figure, MM.about)
    if about is None or not _COHORTS & set(graph.objects(about, RDF.type)):
        return {}
    regimens = list(graph.objects(figure, MM.toRegimen)) or list(graph.objects(about, MM.receivedRegimen))
    found = {
        "cohort_size": _join(_name(v) for v in _sizes(graph, about)),
        "regimen": _join(_regimen(graph, r) for r in regimens),
        "refractory_set": _join(
            " + ".join(sorted(_name(m) for m in graph.objects(s, MM.member)))
            for s in graph.objects(about, MM.definingRefractoriness)
        ),
    }
    return {k: v for k, v in found.items() if v}


def _sizes(graph: Graph, cohort: Node) -> set[Node]:
    claims = [c for c in graph.subjects(MM.about, cohort) if (c, MM.measures, MM.CohortSize) in graph]
    return {size for c in claims for size in graph.objects(c, MM["count"])}


def _regimen(graph: Graph, regimen: Node) -> str:
    return " + ".join(sorted(_component(graph, c) for c in graph.objects(regimen, MM.component)))


def _component(graph: Graph, component: Node) -> str:
    drug, dose = graph.value(component, MM.drug), graph.value(component, MM.dose)
    unit, schedule = graph.value(component, MM.doseUnit), graph.value(component, MM.schedule)
    text = _name(drug)
    if isinstance(dose, Literal):
        text += f" {dose}" + (f" {_name(unit)}" if unit is not None and unit != MM.NotReported else "")
    if schedule is not None and schedule != MM.NotReported:
        text += f" ({_name(schedule)})"
    return text


def _name(term: Node | None) -> str:
    if term is None:
        return ""
    try:
        return cells.write(term, t.VALUE)
    except cells.CellError:
        return str(term)


def _join(values: Iterable[str]) -> str:
    """Several values in one cell, sorted (numbers by value), without repeats."""
    unique = {v for v in values if v}
    return t.SEPARATOR.join(sorted(unique, key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0, v)))


def mismatch(given: str, actual: str) -> bool:
    """A filled context cell that does not say what the records say (order and spacing aside)."""

    def norm(text: str) -> set[str]:
        return {" ".join(part.split()) for part in text.split(t.SEPARATOR.strip()) if part.strip()}

    return norm(given) != norm(actual)
