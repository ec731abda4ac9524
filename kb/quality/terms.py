"""The declared terms and the records of a knowledge base, read once for the messages that name them: what
kind a term is, the nearest terms of a kind, and how a new term of a kind is declared."""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from dataclasses import dataclass, field

from rdflib import Graph, Literal
from rdflib.namespace import OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from kb.graph.load import Loaded
from kb.graph.store import GraphStore
from kb.namespaces import MM, ONTOLOGY_GRAPHS, PREFIXES, local_name

PROPERTY_TYPES = (RDF.Property, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
CLASS_TYPES = (OWL.Class, RDFS.Class)
NAME_PROPERTIES = (RDFS.label, SKOS.prefLabel, SKOS.altLabel, SKOS.notation)
# what a curator calls the class whose label is a technical word
KIND_NAMES: dict[Node, str] = {MM.Missingness: "typed unknown"}
# the statements of a declaration, in the order concepts.ttl writes them; the rest go in between
FIRST, LAST = (SKOS.inScheme,), (SKOS.prefLabel, SKOS.definition)
SIMILAR = 0.6  # difflib ratio from which a term is offered as "did you mean"


# the literals Turtle writes without quotes (its INTEGER, DECIMAL and BooleanLiteral)
_SHORTHAND: dict[Node | None, re.Pattern[str]] = {
    XSD.integer: re.compile(r"[+-]?[0-9]+"),
    XSD.decimal: re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    XSD.boolean: re.compile(r"true|false"),
}


def _namespaces() -> Graph:
    graph = Graph(bind_namespaces="none")
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri)
    return graph


_NAMES = _namespaces().namespace_manager


def n3(term: Node) -> str:
    """A term as Turtle writes it: a CURIE where a prefix of the vocabulary fits, a literal with its type (a
    string without one: "20" and "20"^^xsd:string are the same literal, and curators write the first)."""
    if isinstance(term, Literal) and term.datatype == XSD.string:
        term = Literal(str(term))
    shorthand = _SHORTHAND.get(term.datatype) if isinstance(term, Literal) else None
    if shorthand is not None and shorthand.fullmatch(str(term)):
        return str(term)
    return term.n3(_NAMES)


def a_or_an(phrase: str) -> str:
    """The phrase with its article ("a unit", "an endpoint")."""
    vowel = phrase[:1].lower() in "aeiou" and not phrase.lower().startswith(("uni", "use", "usu"))
    return ("an " if vowel else "a ") + phrase


def one_of(items: list[str]) -> str:
    """ "a", "a or b", "a, b or c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


@dataclass(frozen=True)
class Declaration:
    file: str  # where the existing terms of the kind are declared
    turtle: str  # the statements a new term of the kind is declared with


@dataclass
class Terms:
    """Every typed subject of the store with its classes (inherited ones too), names and graphs."""

    loaded: Loaded
    types: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    direct: dict[Node, set[Node]] = field(default_factory=lambda: defaultdict(set))
    names: dict[Node, set[str]] = field(default_factory=lambda: defaultdict(set))
    declared: set[Node] = field(default_factory=set)  # subjects of a statement in an ontology file
    ranges: dict[Node, Node] = field(default_factory=dict)
    declaring: dict[Node, str] = field(default_factory=dict)  # term -> the ontology graph that types it
    # asked once per kind, however many values of that kind fail
    _instances: dict[tuple[Node, ...], list[Node]] = field(default_factory=dict)
    _declarations: dict[Node, Declaration | None] = field(default_factory=dict)

    @classmethod
    def read(cls, loaded: Loaded) -> Terms:
        terms = cls(loaded)
        store: GraphStore = loaded.store
        supers: dict[Node, set[Node]] = defaultdict(set)
        for row in store.select(f"SELECT ?c ?s WHERE {{ ?c <{RDFS.subClassOf}>+ ?s }}"):
            supers[row["c"]].add(row["s"])
        for row in store.select("SELECT ?s ?t ?g WHERE { GRAPH ?g { ?s a ?t } FILTER(isIRI(?s)) }"):
            subject, kind, graph = row["s"], row["t"], str(row["g"])
            terms.direct[subject].add(kind)
            terms.types[subject] |= {kind, *supers.get(kind, ())}
            if graph.startswith(ONTOLOGY_GRAPHS):
                terms.declaring.setdefault(subject, graph)
        names = " ".join(f"<{p}>" for p in NAME_PROPERTIES)
        for row in store.select(
            f"SELECT ?s ?n WHERE {{ VALUES ?p {{ {names} }} ?s ?p ?n FILTER(isIRI(?s)) }}"
        ):
            terms.names[row["s"]].add(str(row["n"]).lower())
        for row in store.select(
            "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p ?o } "
            f'FILTER(STRSTARTS(STR(?g), "{ONTOLOGY_GRAPHS}") && isIRI(?s)) }}'
        ):
            terms.declared.add(row["s"])
        for row in store.select(f"SELECT ?p ?r WHERE {{ ?p <{RDFS.range}> ?r FILTER(isIRI(?r)) }}"):
            terms.ranges[row["p"]] = row["r"]
        return terms

    def kind(self, cls: Node) -> str:
        """What an instance of `cls` is called: its label in the ontology ("drug", "response category")."""
        if cls in KIND_NAMES:
            return KIND_NAMES[cls]
        labels = sorted(self.names.get(cls, ()))
        if labels:
            return labels[0]
        # a class the vocabulary does not declare (a misspelt type) is named as written
        return (
            f"`{n3(cls)}`"
            if str(cls).startswith(str(MM)) and cls not in self.declared
            else local_name(cls).lower()
        )

    def kinds(self, classes: list[Node]) -> str:
        return one_of([self.kind(c) for c in classes])

    def kind_of(self, term: Node) -> str | None:
        """The kind of what `term` is (its most specific class with a name), or None for an untyped term."""
        direct = sorted(self.direct.get(term, ()), key=str)
        return self.kind(direct[0]) if direct else None

    def defined(self, term: Node) -> bool:
        return term in self.types or term in self.declared

    def instances(self, classes: list[Node]) -> list[Node]:
        key = tuple(classes)
        if key not in self._instances:
            wanted = set(classes)
            self._instances[key] = sorted((t for t, types in self.types.items() if types & wanted), key=str)
        return self._instances[key]

    def properties(self) -> list[Node]:
        return sorted((t for t in self.declared if self.types.get(t, set()) & set(PROPERTY_TYPES)), key=str)

    def classes(self) -> list[Node]:
        return sorted((t for t in self.declared if self.types.get(t, set()) & set(CLASS_TYPES)), key=str)

    def vocabulary(self, classes: list[Node]) -> bool:
        """Whether terms of these classes are declared in the ontology files (drugs, units), not curated."""
        return any(t in self.declaring for t in self.instances(classes))

    def nearest(
        self, text: str, candidates: list[Node], *, cutoff: float = SIMILAR, labels: bool = True
    ) -> list[Node]:
        """The 3 candidates whose local name (or, with `labels`, label, synonym or notation) is nearest to
        `text`, ignoring case, best first; only those at least `cutoff` similar."""
        matcher = difflib.SequenceMatcher(None, "", text.lower())  # the text is analysed once
        scored = []
        for candidate in candidates:
            keys = {local_name(candidate).lower(), *(self.names.get(candidate, ()) if labels else ())}
            score = 0.0
            for key in keys:
                matcher.set_seq1(key)
                if matcher.real_quick_ratio() > score and matcher.quick_ratio() > score:
                    score = max(score, matcher.ratio())
            if score >= cutoff:
                scored.append((-score, str(candidate), candidate))
        return [c for _, _, c in sorted(scored)[:3]]

    def declaration(self, cls: Node) -> Declaration | None:
        """How the ontology declares the terms of class `cls`: the statements every one of them carries,
        with the value they share written out and a placeholder where their values differ."""
        if cls not in self._declarations:
            self._declarations[cls] = self._declaration(cls)
        return self._declarations[cls]

    def _declaration(self, cls: Node) -> Declaration | None:
        members = [t for t in self.instances([cls]) if cls in self.direct.get(t, ()) and t in self.declaring]
        if not members:
            return None
        graph = self.declaring[members[0]]
        store = self.loaded.store
        statements: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        values = " ".join(f"<{m}>" for m in members)
        query = f"SELECT ?s ?p ?o WHERE {{ VALUES ?s {{ {values} }} GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        for row in store.select(query):
            statements[row["p"]][row["s"]].add(row["o"])
        common = [p for p, by in statements.items() if p != RDF.type and len(by) == len(members)]
        order: dict[Node, int] = {p: i for i, p in enumerate(FIRST)}
        order.update({p: len(FIRST) + 1 + i for i, p in enumerate(LAST)})
        common.sort(key=lambda p: (order.get(p, len(FIRST)), n3(p)))
        parts = [f"mm:NAME a {n3(cls)}"]
        for prop in common:
            seen = {o for objects in statements[prop].values() for o in objects}
            parts.append(f"{n3(prop)} {n3(next(iter(seen))) if len(seen) == 1 else _placeholder(seen)}")
        return Declaration(self.loaded.file_of_graph(graph), " ; ".join(parts) + " .")


def _placeholder(values: set[Node]) -> str:
    """A stand-in for the value of a statement whose values differ between the terms of a kind."""
    sample = sorted(values, key=str)[0]
    if isinstance(sample, Literal):
        if sample.language:
            return f'"..."@{sample.language}'
        return "N" if sample.datatype in (XSD.integer, XSD.positiveInteger) else '"..."'
    written = n3(sample)
    return "<...>" if written.startswith("<") else written.split(":", 1)[0] + ":..."
