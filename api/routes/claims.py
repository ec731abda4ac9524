"""Claims: one claim with its values, source, verification, evidence and curation activity."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from fastapi import APIRouter
from rdflib import Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from api.deps import KBDep
from api.errors import error_responses, not_found
from api.schemas import Claim, CurationActivity, Evidence, Publication
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import ID
from kb.queries import query_text

router = APIRouter(tags=["claims"])


def local(term: Node | None) -> str:
    """The local name of an IRI (after the last '#' or '/'); a literal's text."""
    if term is None:
        return ""
    return str(term).rsplit("#", 1)[-1].rsplit("/", 1)[-1] if isinstance(term, URIRef) else str(term)


def value(term: Node) -> Any:
    """A term as JSON: IRIs (typed unknowns included) by local name, numbers as numbers."""
    if isinstance(term, Literal):
        python = term.toPython()
        if isinstance(python, Decimal):
            return float(python)
        return python if isinstance(python, (bool, int, float)) else str(term)
    return local(term)


def publication(kb: KnowledgeBase, iri: Node) -> Publication:
    rows = kb.select(query_text("api-publications"), {"publication": iri})
    row = rows[0] if rows else {}
    return Publication(
        id=local(iri),
        label=str(row.get("label", "")),
        title=str(row.get("title", "")),
        doi=str(row.get("doi", "")),
        pmid=str(row.get("pmid", "")),
        url=str(row.get("url", "")),
    )


def evidence_of(kb: KnowledgeBase, claims: Sequence[Node]) -> dict[Node, list[Evidence]]:
    out: dict[Node, list[Evidence]] = defaultdict(list)
    if not claims:
        return out
    for r in kb.select(query_text("api-claim-evidence"), {"claim": list(claims)}):
        out[r["claim"]].append(
            Evidence(
                kind=str(r.get("kind", "")),
                document=local(r.get("document")),
                document_label=str(r.get("documentLabel", "")),
                url=str(r.get("url", "")),
                exact=str(r.get("exact", "")),
                prefix=str(r.get("prefix", "")),
                suffix=str(r.get("suffix", "")),
                table=str(r.get("table", "")),
                row=str(r.get("row", "")),
                column=str(r.get("column", "")),
            )
        )
    return out


def _values(
    kb: KnowledgeBase, claims: Sequence[Node]
) -> tuple[dict[Node, list[str]], dict[Node, dict[str, Any]]]:
    types: dict[Node, list[str]] = defaultdict(list)
    values: dict[Node, dict[str, list[Any]]] = defaultdict(lambda: defaultdict(list))
    for r in kb.select(query_text("api-claim-values"), {"claim": list(claims)}):
        if r["property"] == RDF.type:
            types[r["claim"]].append(local(r["value"]))
        else:
            values[r["claim"]][local(r["property"])].append(value(r["value"]))
    flat = {c: {k: v[0] if len(v) == 1 else v for k, v in props.items()} for c, props in values.items()}
    return types, flat


def describe(kb: KnowledgeBase, *, about: Sequence[Node] = (), claims: Sequence[Node] = ()) -> list[Claim]:
    """The claims about `about` (or the claims `claims`), fully described, in IRI order."""
    bindings = {"about": list(about)} if about else {"claim": list(claims)}
    if not about and not claims:
        return []
    rows: dict[Node, dict[str, Node]] = {}
    for r in kb.select(query_text("api-claims"), bindings):
        rows.setdefault(r["claim"], r)
    if not rows:
        return []
    types, values = _values(kb, list(rows))
    evidence = evidence_of(kb, list(rows))
    sources = {s: publication(kb, s) for s in {r["source"] for r in rows.values()}}
    out = []
    for iri, r in rows.items():
        activity = r.get("activity")
        out.append(
            Claim(
                id=local(iri),
                types=sorted(types.get(iri, [])),
                about=local(r["about"]),
                values=values.get(iri, {}),
                source=sources[r["source"]],
                verification=local(r.get("verification")),
                derivation=local(r.get("derivation")),
                evidence=evidence.get(iri, []),
                curation=None
                if activity is None
                else CurationActivity(
                    id=local(activity),
                    label=str(r.get("activityLabel", "")),
                    ended_at=str(r.get("endedAt", "")),
                    curator=local(r.get("curator")),
                ),
            )
        )
    return out


@router.get("/claims/{claim_id}", response_model=Claim, responses=error_responses(404))
def get_claim(claim_id: str, kb: KBDep) -> Claim:
    found = describe(kb, claims=[ID[claim_id]])
    if not found:
        raise not_found("claim", claim_id)
    return found[0]
