"""A curated record at its IRI's path: https://w3id.org/mmkb/id/NAME is /id/NAME on the service, answered
by content negotiation (HTML for browsers, Turtle, JSON-LD or N-Triples for machines), so a deployment at
the namespace's host serves its own IRIs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import KBDep, id_path
from api.errors import error_responses, not_found
from api.negotiation import choose_format
from kb.namespaces import ID
from kb.render.record_page import record_html

router = APIRouter(tags=["records"])

MEDIA_TYPES = {
    "html": "text/html",
    "turtle": "text/turtle",
    "jsonld": "application/ld+json",
    "ntriples": "application/n-triples",
}
RDFLIB_FORMATS = {"turtle": "turtle", "jsonld": "json-ld", "ntriples": "nt"}


@router.get(
    "/id/{name}",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}, **error_responses(404)},
)
def record(
    request: Request,
    name: Annotated[str, id_path("study-pollux")],
    kb: KBDep,
    format: Annotated[
        str | None,
        Query(
            description="overrides Accept: " + ", ".join(MEDIA_TYPES),
            json_schema_extra={"enum": list(MEDIA_TYPES)},
        ),
    ] = None,
) -> Response:
    graph = kb.describe(name)
    if graph is None:
        raise not_found("record", name)
    fmt = choose_format(request, format, MEDIA_TYPES, "turtle")
    if fmt == "html":
        return Response(record_html(str(ID[name]), graph), media_type=MEDIA_TYPES[fmt])
    body = graph.serialize(format=RDFLIB_FORMATS[fmt])
    return Response(body, media_type=MEDIA_TYPES[fmt], headers={"Vary": "Accept"})
