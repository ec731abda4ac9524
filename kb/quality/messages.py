"""Messages that say what to fix: a reference to a term or record that is not there, and a literal of the
wrong type, each explained from the failing value, the shape that failed and the graph."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cached_property

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import PROV, RDF, XSD
from rdflib.term import Node

from kb.graph.load import Loaded
from kb.namespaces import MM, SH, local_name
from kb.paths import DATA_DIR, PUBLICATIONS_DIR, STUDIES_DIR, display_path
from kb.quality.shacl import ShapeResult
from kb.quality.terms import Terms, a_or_an, n3, one_of

GUIDE = "docs/curation.md"
QUOTED = 60  # characters of a literal a message quotes
DECLARING = f"see {GUIDE}, Declaring a new term"
# the components whose failure is about the type of the value (a wrong or missing term, a wrong literal)
TYPE_COMPONENTS = {
    SH.ClassConstraintComponent,
    SH.DatatypeConstraintComponent,
    SH.NodeConstraintComponent,
    SH.OrConstraintComponent,
    SH.InConstraintComponent,
    SH.NodeKindConstraintComponent,
}
# a literal of the wrong type also fails the range a number must be in: the same explanation
RANGE_COMPONENTS = {
    SH.MinInclusiveConstraintComponent,
    SH.MaxInclusiveConstraintComponent,
    SH.MinExclusiveConstraintComponent,
    SH.MaxExclusiveConstraintComponent,
}
NUMBERS: dict[Node, str] = {XSD.integer: "a whole number", XSD.decimal: "a number"}
NEEDS: dict[Node, str] = {
    XSD.boolean: "true or false",
    XSD.string: "text in quotes",
    XSD.dateTime: 'a date and time such as "2026-11-24T00:00:00Z"^^xsd:dateTime',
    XSD.gYear: 'a year such as "2016"^^xsd:gYear',
}
NAMED: dict[Node, str] = {
    XSD.string: "a string",
    XSD.integer: "an integer",
    XSD.decimal: "a decimal",
    XSD.double: "a double",
    XSD.boolean: "a boolean",
    XSD.dateTime: "a date and time",
    XSD.date: "a date",
    XSD.gYear: "a year",
    RDF.langString: "a string with a language tag",
}
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)")
_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?")
_YEAR = re.compile(r"[0-9]{4}")


@dataclass(frozen=True)
class Range:
    datatype: Node
    low: Literal | None = None
    high: Literal | None = None

    def phrase(self) -> str:
        base = NUMBERS.get(self.datatype) or NEEDS.get(self.datatype) or f"an {n3(self.datatype)} literal"
        if self.low is not None and self.high is not None:
            return f"{base} from {self.low} to {self.high}"
        if self.low is not None:
            return f"{base} of at least {self.low}"
        return base


@dataclass
class Allowed:
    """What a shape accepts as a value, over its sh:or alternatives and the node shapes it points to."""

    classes: list[Node] = field(default_factory=list)
    datatypes: list[Range] = field(default_factory=list)
    values: list[Node] = field(default_factory=list)  # sh:in
    iri: bool = False  # sh:nodeKind sh:IRI


def allowed(
    shapes: Graph, shape: Node, into: Allowed | None = None, seen: set[Node] | None = None
) -> Allowed:
    found = Allowed() if into is None else into
    seen = set() if seen is None else seen
    if shape in seen:
        return found
    seen.add(shape)
    found.classes += [c for c in shapes.objects(shape, SH["class"]) if c not in found.classes]
    for datatype in shapes.objects(shape, SH.datatype):
        low, high = shapes.value(shape, SH.minInclusive), shapes.value(shape, SH.maxInclusive)
        low, high = (b if isinstance(b, Literal) else None for b in (low, high))
        found.datatypes.append(Range(datatype, low, high))
    for values in shapes.objects(shape, SH["in"]):
        found.values += list(Collection(shapes, values))
    if (shape, SH.nodeKind, SH.IRI) in shapes:
        found.iri = True
    for alternatives in shapes.objects(shape, SH["or"]):
        for alternative in Collection(shapes, alternatives):
            if shapes.value(alternative, SH.path) is None:
                allowed(shapes, alternative, found, seen)
    for node in shapes.objects(shape, SH.node):
        allowed(shapes, node, found, seen)
    return found


@dataclass
class Explainer:
    """Rewrites the messages of type failures; the index of terms is read at the first one."""

    loaded: Loaded
    shapes: Graph

    def shape_result(self, result: ShapeResult) -> str | None:
        """The message for a result whose value is a missing or mistyped term or a literal of the wrong
        type, or None where the shape's own message says it (a missing value, a range, an order)."""
        value, path = result.value, result.path
        if value is None or isinstance(value, BNode) or not isinstance(path, URIRef) or result.source is None:
            return None
        if result.component not in TYPE_COMPONENTS and not (
            result.component in RANGE_COMPONENTS and isinstance(value, Literal)
        ):
            return None
        accepted = allowed(self.shapes, result.source)
        if isinstance(value, URIRef):
            return self.reference(value, accepted, path)
        if isinstance(value, Literal):
            return self.literal(value, accepted, path)
        return None

    @cached_property
    def terms(self) -> Terms:
        return Terms.read(self.loaded)

    def undeclared(self, term: Node, prop: URIRef | None) -> str:
        """A term of the vocabulary's namespace that no ontology file declares, used as the property of a
        statement (`prop` None) or as the value of `prop`."""
        terms = self.terms
        name = local_name(term)
        if prop is None:
            candidates, kind = terms.properties(), "property"
        elif prop == RDF.type:
            candidates, kind = terms.classes(), "class"
        elif (expected := terms.ranges.get(prop)) is not None and terms.instances([expected]):
            return self.missing(term, [expected]) if isinstance(term, URIRef) else ""
        else:
            candidates, kind = [t for t in terms.declared if str(t).startswith(str(MM))], ""
        near = terms.nearest(name, sorted(candidates, key=str))
        hint = did_you_mean(near)
        if not kind:
            return (
                f"`{n3(term)}` is not declared in the ontology{hint} Declare it in ontology/ ({DECLARING})."
            )
        files = sorted({terms.declaring[t] for t in candidates if t in terms.declaring})
        place = terms.loaded.file_of_graph(files[0]) if files else "ontology/"
        declare = f"A new {kind} is declared in {place}"
        return f"`{n3(term)}` is not a declared {kind}{hint} {declare} ({DECLARING})."

    def reference(self, value: URIRef, accepted: Allowed, path: URIRef) -> str | None:
        if accepted.classes:
            return self.missing(value, accepted.classes)
        if accepted.values:
            options = [f"`{n3(v)}`" for v in accepted.values]
            near = self.terms.nearest(local_name(value), accepted.values)
            hint = did_you_mean(near)
            return f"`{n3(value)}` is not one of {one_of(options)} ({n3(path)}){hint}"
        if accepted.datatypes:
            needs = one_of([r.phrase() for r in accepted.datatypes])
            return f"`{n3(value)}` is an IRI; {n3(path)} needs {needs}."
        return None

    def missing(self, value: URIRef, classes: list[Node]) -> str:
        """A reference to a term or record that is not declared, or not of one of `classes`."""
        terms = self.terms
        kinds = terms.kinds(classes)
        if terms.vocabulary(classes):
            text = f"`{n3(value)}` is not a declared {kinds}"
            actual = terms.kind_of(value)
            if actual is not None:
                text += f" (it is {a_or_an(actual)})"
            near = terms.nearest(local_name(value), terms.instances(classes))
            text += did_you_mean(near)
            return text + self.declare(classes)
        verb = "cite" if MM.Publication in classes else "refer to"
        near = terms.nearest(local_name(value), terms.instances(classes), cutoff=0.0, labels=False)
        listed = ", ".join(f"`{n3(t)}`" for t in near)
        if not terms.defined(value):
            existing = f" or {verb} one that exists: {listed}" if near else ""
            define = f"define it in {where(classes)} (see {GUIDE})"
            return f"no {kinds} `{n3(value)}` in the knowledge base; {define}{existing}."
        actual = terms.kind_of(value) or "term with no type"
        existing = f"; {verb} one that exists: {listed}" if near else ""
        return f"`{n3(value)}` is {a_or_an(actual)}, not {a_or_an(kinds)}{existing}."

    def declare(self, classes: list[Node]) -> str:
        """How a new term of each of the kinds is declared (typed unknowns are a fixed set, not extended)."""
        hints: list[str] = []
        for cls in classes:
            declaration = self.terms.declaration(cls) if cls != MM.Missingness else None
            if declaration is not None:
                kind = self.terms.kind(cls)
                lead = f"a new {kind}" if hints else f"A new {kind} is declared in {declaration.file}"
                hints.append(f"{lead} as `{declaration.turtle}`")
        return f" {'; '.join(hints)} ({DECLARING})." if hints else ""

    def literal(self, value: Literal, accepted: Allowed, path: URIRef) -> str | None:
        datatype = value.datatype or (RDF.langString if value.language else XSD.string)
        written, named = quoted(value), NAMED.get(datatype, f"an {n3(datatype)} literal")
        if any(r.datatype == datatype for r in accepted.datatypes):
            if not value.ill_typed:
                return None  # the right type, out of range: the shape's message says the range
            named = f"not {named} (its text is not one)"
        else:
            for expected in accepted.datatypes:
                fixed = convert(value, expected)
                if fixed is not None:
                    bare = expected.datatype in NUMBERS or expected.datatype == XSD.boolean
                    quotes = ", no quotes" if bare and datatype == XSD.string else ""
                    what = NUMBERS.get(expected.datatype) or NEEDS[expected.datatype].split(" such as")[0]
                    return f"`{written}` is {named}; write `{n3(path)} {fixed}` ({what}{quotes})."
        if accepted.datatypes or accepted.classes:
            needs = f"{self.needs(accepted)}{self.near(value, accepted)}"
            return f"`{written}` is {named}; {n3(path)} needs {needs}"
        if accepted.iri:
            return f"`{written}` is {named}; {n3(path)} needs a record (an IRI such as `id:...`), not text."
        return None

    def needs(self, accepted: Allowed) -> str:
        """What a property accepts, in words ("a whole number of at least 1 or a typed unknown ...")."""
        ranges = accepted.datatypes
        if any(r.datatype == XSD.decimal for r in ranges):  # with its integer twin, "a number"
            decimals = {(r.low, r.high) for r in ranges if r.datatype == XSD.decimal}
            ranges = [r for r in ranges if not (r.datatype == XSD.integer and (r.low, r.high) in decimals)]
        options = [r.phrase() for r in ranges]
        kinds = [self.terms.kind(c) for c in accepted.classes if c != MM.Missingness]
        options += [f"{a_or_an(kind)} (a term, not text)" for kind in kinds]
        if MM.Missingness in accepted.classes:
            options.append(f"a typed unknown such as `{n3(MM.NotReported)}`")
        return one_of(options)

    def near(self, value: Literal, accepted: Allowed) -> str:
        """Did you mean the terms of the accepted kinds whose names the text is near."""
        classes = [c for c in accepted.classes if c != MM.Missingness]
        return did_you_mean(self.terms.nearest(str(value), self.terms.instances(classes)) if classes else [])


def quoted(value: Literal) -> str:
    """A literal as written, cut short where it is long (a message names the value, it does not carry it)."""
    text = n3(value)
    return text if len(text) <= QUOTED else f"{text[: QUOTED - 3]}..."


def did_you_mean(terms: list[Node]) -> str:
    return f"; did you mean {one_of([f'`{n3(t)}`' for t in terms])}?" if terms else "."


def convert(value: Literal, expected: Range) -> str | None:
    """`value` written as a literal of the expected type, where its text is one (and within the range)."""
    text = str(value).strip()
    if len(text) > QUOTED:
        return None  # not written out again: the message quotes the value cut short
    if expected.datatype in NUMBERS:
        if value.datatype not in (None, XSD.string):
            return None  # a number of another type is not rounded or retyped here: that is the curator's call
        pattern = _INTEGER if expected.datatype == XSD.integer else _DECIMAL
        if not pattern.fullmatch(text):
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        if (expected.low is not None and number < Decimal(str(expected.low))) or (
            expected.high is not None and number > Decimal(str(expected.high))
        ):
            return None
        return str(int(number)) if expected.datatype == XSD.integer else text
    if expected.datatype == XSD.boolean:
        return text.lower() if text.lower() in {"true", "false"} else None
    if expected.datatype == XSD.string:
        return Literal(str(value)).n3()
    if expected.datatype == XSD.dateTime and _DATETIME.fullmatch(text):
        return f'"{text}"^^xsd:dateTime'
    if expected.datatype == XSD.gYear and _YEAR.fullmatch(text):
        return f'"{text}"^^xsd:gYear'
    return None


def where(classes: list[Node]) -> str:
    """The file a new record of these classes is defined in."""
    if MM.Publication in classes:
        return display_path(PUBLICATIONS_DIR / "bibliography.ttl")
    if PROV.Agent in classes:
        return display_path(DATA_DIR / "agents.ttl")
    return f"its study's file in {display_path(STUDIES_DIR)}/"
