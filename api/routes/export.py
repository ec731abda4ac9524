"""The knowledge base in an RDF serialization: asserted statements, with or without the inferred graph and
the ontology (see kb.graph.export for what each format keeps); or as bulk CSV tables in a zip
(kb.graph.bulk_tables); or its figures as a FHIR R5 Bundle of Evidence (kb.render.fhir_bundle)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.deps import KBDep
from api.errors import invalid_option
from kb.graph.bulk_tables import tables_zip
from kb.render.fhir_bundle import fhir_json

router = APIRouter(tags=["export"])

MEDIA_TYPES = {
    "turtle": "text/turtle",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "trig": "application/trig",
    "nquads": "application/n-quads",
    "rdfxml": "application/rdf+xml",
    "tables": "application/zip",
    "fhir": "application/fhir+json",
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
    inferred: Annotated[
        bool, Query(description="include the inferred graph (count reconstruction, conflict findings)")
    ] = True,
    ontology: Annotated[bool, Query(description="include the ontology")] = True,
) -> Response:
    if format not in MEDIA_TYPES:
        raise invalid_option("format", format, list(MEDIA_TYPES))
    if format == "tables":
        headers = {"Content-Disposition": 'attachment; filename="mmkb-tables.zip"'}
        return Response(tables_zip(kb.store), media_type=MEDIA_TYPES[format], headers=headers)
    if format == "fhir":
        return Response(fhir_json(kb), media_type=MEDIA_TYPES[format])
    body = kb.export(format, inferred=inferred, ontology=ontology)
    return Response(body, media_type=MEDIA_TYPES[format])
