"""mmkb's JSON-LD context, the one its JSON-LD export is compacted with, at a stable URL."""

from __future__ import annotations

from fastapi import APIRouter, Response

from kb.graph.export import CONTEXT_FILE

router = APIRouter(tags=["export"])


@router.get(
    "/context.jsonld",
    response_class=Response,
    responses={200: {"content": {"application/ld+json": {}}}},
)
def jsonld_context() -> Response:
    """The shipped context file as it is: prefixes and one short term per property, with the type its
    values are read as (an IRI, xsd:integer, xsd:decimal, xsd:boolean, ...)."""
    return Response(CONTEXT_FILE.read_bytes(), media_type="application/ld+json")
