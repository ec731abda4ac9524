"""What changed between two versions of a knowledge base: the studies, claims and other records added,
removed and changed (with the statements that differ), the conflict findings that appeared or went, and
the rows of the response-rate comparison whose counts, rates or intervals changed.

A record is an IRI typed in a curated file; its statements are those the curated files make about it
(blank nodes are labelled by content, kb.graph.blank_nodes, so a changed quote selector reads as a changed
statement). Rows are matched by stratum, cohort and regimen.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import pyoxigraph as ox

from kb.analysis.response_rate import response_rates
from kb.analysis.response_table import Row
from kb.namespaces import ONTOLOGY_GRAPHS, PREFIXES, curie
from kb.queries import query_text

if TYPE_CHECKING:
    from kb.knowledge_base import KnowledgeBase

# Literals Turtle writes without quotes or datatype.
BARE_DATATYPES = ("xsd:integer", "xsd:decimal", "xsd:boolean")
# What a changed comparison row shows, in this order.
ROW_FIELDS = ("x_over_n", "rate_pct", "ci_low_pct", "ci_high_pct", "count_origin", "data_cut", "caveats")


@dataclass(frozen=True)
class Record:
    record: str  # CURIE
    kind: str  # study, claim or record
    label: str


@dataclass(frozen=True)
class Changed:
    """A record both versions hold whose statements differ: those only the new one makes, those only the
    old one made."""

    record: Record
    added: tuple[str, ...]
    removed: tuple[str, ...]


@dataclass(frozen=True)
class RowChange:
    row: str  # stratum · cohort · regimen
    field: str
    old: str
    new: str


@dataclass
class VersionDiff:
    old: str
    new: str
    added: list[Record] = field(default_factory=list)
    removed: list[Record] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)
    conflicts_added: list[str] = field(default_factory=list)
    conflicts_removed: list[str] = field(default_factory=list)
    rows_added: list[str] = field(default_factory=list)
    rows_removed: list[str] = field(default_factory=list)
    rows_changed: list[RowChange] = field(default_factory=list)

    def empty(self) -> bool:
        return not any(value for key, value in asdict(self).items() if key not in ("old", "new"))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    def to_markdown(self) -> str:
        lines = [f"# Changes from {self.old} to {self.new}", ""]
        if self.empty():
            return "\n".join(
                [*lines, "No changes: the two versions hold the same records, findings and rows.", ""]
            )
        for title, records in (("Added", self.added), ("Removed", self.removed)):
            if records:
                lines += [f"## {title}", "", *(f"- {r.kind} `{r.record}`{_named(r)}" for r in records), ""]
        if self.changed:
            lines += ["## Changed", ""]
            for change in self.changed:
                lines.append(f"- {change.record.kind} `{change.record.record}`{_named(change.record)}")
                lines += [f"  - now: {s}" for s in change.added]
                lines += [f"  - was: {s}" for s in change.removed]
            lines.append("")
        if self.conflicts_added or self.conflicts_removed:
            lines += ["## Conflict findings", ""]
            lines += [f"- new: {m}" for m in self.conflicts_added]
            lines += [f"- gone: {m}" for m in self.conflicts_removed]
            lines.append("")
        if self.rows_added or self.rows_removed or self.rows_changed:
            lines += ["## Response-rate comparison (by refractory status, PR or better)", ""]
            lines += [f"- new row: {r}" for r in self.rows_added]
            lines += [f"- row gone: {r}" for r in self.rows_removed]
            if self.rows_changed:
                lines += ["", "| row | figure | was | now |", "| --- | --- | --- | --- |"]
                lines += [f"| {c.row} | {c.field} | {c.old} | {c.new} |" for c in self.rows_changed]
            lines.append("")
        return "\n".join(lines)


def _named(record: Record) -> str:
    return f" ({record.label})" if record.label else ""


def diff(old: KnowledgeBase, new: KnowledgeBase, old_name: str = "old", new_name: str = "new") -> VersionDiff:
    """The changes from `old` to `new`."""
    out = VersionDiff(old_name, new_name)
    before, after = statements(old), statements(new)
    kinds = {**records(old), **records(new)}
    for iri in sorted(set(after) - set(before)):
        if iri in kinds:
            out.added.append(kinds[iri])
    for iri in sorted(set(before) - set(after)):
        if iri in kinds:
            out.removed.append(kinds[iri])
    for iri in sorted(set(before) & set(after)):
        if iri in kinds and before[iri] != after[iri]:
            added = tuple(sorted(after[iri] - before[iri]))
            removed = tuple(sorted(before[iri] - after[iri]))
            out.changed.append(Changed(kinds[iri], added, removed))
    old_findings = {f.message for f in old.conflicts}
    new_findings = {f.message for f in new.conflicts}
    out.conflicts_added = sorted(new_findings - old_findings)
    out.conflicts_removed = sorted(old_findings - new_findings)
    _compare_rows(out, rows(old), rows(new))
    return out


def statements(kb: KnowledgeBase) -> dict[str, set[str]]:
    """Each record's statements in the curated files (not the ontology, not what the reasoner wrote), as
    text, by record IRI."""
    curated = {graph for graph in kb.loaded.files if not graph.startswith(ONTOLOGY_GRAPHS)}
    by_subject: dict[str, set[str]] = defaultdict(set)
    for quad in kb.store.ox_quads():
        graph, subject = quad.graph_name, quad.subject
        if isinstance(graph, ox.NamedNode) and graph.value in curated and isinstance(subject, ox.NamedNode):
            by_subject[subject.value].add(f"{_term(quad.predicate)} {_term(quad.object)}")
    return by_subject


def _term(term: object) -> str:
    if isinstance(term, ox.NamedNode):
        short = curie(term.value)
        if short == term.value:
            for prefix, iri in PREFIXES.items():
                if term.value.startswith(iri) and prefix not in ("mm", "id"):
                    return f"{prefix}:{term.value[len(iri) :]}"
            return f"<{term.value}>"
        return short
    if isinstance(term, ox.Literal):
        text = json.dumps(term.value, ensure_ascii=False)
        if term.language:
            return f"{text}@{term.language}"
        datatype = _term(term.datatype)
        if datatype in BARE_DATATYPES:  # as Turtle writes them
            return term.value
        return text if datatype == "xsd:string" else f"{text}^^{datatype}"
    if isinstance(term, ox.BlankNode):
        return f"_:{term.value[:12]}"
    return str(term)


def records(kb: KnowledgeBase) -> dict[str, Record]:
    """The studies, claims and other typed records, by IRI."""
    found: dict[str, Record] = {}
    for row in kb.store.rows(query_text("diff-records")):
        iri = str(row["record"])
        kind = str(row["kind"])
        if iri not in found or kind != "record":
            found[iri] = Record(curie(iri), kind, str(row.get("label", "")))
    return found


def rows(kb: KnowledgeBase) -> dict[str, Row]:
    """The default comparison's rows, by stratum, cohort and regimen."""
    keyed: dict[str, Row] = {}
    for row in response_rates(kb).rows:
        key = f"{row.stratum} · {row.cohort} · {row.regimen}"
        keyed[key if key not in keyed else f"{key} · {row.data_cut or row.cohort_id}"] = row
    return keyed


def _compare_rows(out: VersionDiff, before: dict[str, Row], after: dict[str, Row]) -> None:
    out.rows_added = sorted(set(after) - set(before))
    out.rows_removed = sorted(set(before) - set(after))
    for key in sorted(set(before) & set(after)):
        for name in ROW_FIELDS:
            old, new = _shown(before[key], name), _shown(after[key], name)
            if old != new:
                out.rows_changed.append(RowChange(key, name, old, new))


def _shown(row: Row, name: str) -> str:
    value = getattr(row, name)
    if value is None:
        return ""
    if isinstance(value, tuple):
        return ", ".join(value)
    return str(value)
