"""The whole graph in an RDF serialization."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import KBDep
from api.errors import invalid_option

router = APIRouter(tags=["export"])

MEDIA_TYPES = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "trig": "application/trig",
}


@router.get(
    "/export",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def export(
    kb: KBDep,
    format: Annotated[
        str, Query(description=", ".join(MEDIA_TYPES), json_schema_extra={"enum": list(MEDIA_TYPES)})
    ] = "turtle",
) -> Response:
    if format not in MEDIA_TYPES:
        raise invalid_option("format", format, list(MEDIA_TYPES))
    return Response(kb.export(format), media_type=MEDIA_TYPES[format])
