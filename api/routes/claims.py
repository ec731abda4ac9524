"""Claims: one claim with its values, source, verification, evidence, curation and how it was obtained."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from rdflib import Literal, URIRef
from rdflib.namespace import RDF
from rdflib.term import Node

from api.deps import KBDep, id_path
from api.errors import error_responses, not_found
from api.schemas import Claim, CurationActivity, Evidence, Publication
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import ID
from kb.queries import query_text
from kb.reasoning.derivation import explain

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


class DerivationInput(BaseModel):
    """A claim a number was obtained from; `counted` says whether a counted record met the condition."""

    id: str
    types: list[str]
    about: str
    source: str
    value: str
    counted: bool | None = None
    evidence: list[dict[str, str]] = Field(default_factory=list)


class Derivation(BaseModel):
    """How a claim's number was obtained: the method, the inputs with their evidence, candidate counts."""

    id: str
    derivation: str
    method: str
    note: str = ""
    percent: str = ""
    denominator: str = ""
    hedged: bool = False
    tolerance: str = ""
    count_origin: str = ""
    candidates: list[int] = Field(default_factory=list)
    inputs: list[DerivationInput] = Field(default_factory=list)
    interpretations: list[dict[str, Any]] = Field(default_factory=list)


class ClaimWithDerivation(Claim):
    how: Derivation | None = None


@router.get("/claims/{claim_id}", response_model=ClaimWithDerivation, responses=error_responses(404))
def get_claim(claim_id: Annotated[str, id_path("sirius-orr-lonial2016")], kb: KBDep) -> ClaimWithDerivation:
    found = describe(kb, claims=[ID[claim_id]])
    if not found:
        raise not_found("claim", claim_id)
    explanation = explain(kb.store, ID[claim_id])
    how = None if explanation is None else Derivation.model_validate(explanation.as_dict())
    return ClaimWithDerivation(**found[0].model_dump(), how=how)
