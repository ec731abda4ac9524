"""The FHIR export's resources at their own addresses: https://w3id.org/mmkb/fhir/{type}/{id} (an entry's
fullUrl, a code system's or an extension's canonical URL) is /fhir/{type}/{id} on the service, as FHIR JSON.
The whole bundle is /fhir/Bundle/mmkb-evidence (and /export?format=fhir)."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Path, Response

from api.deps import KBDep
from api.errors import error_responses, not_found
from kb.render.fhir_bundle import fhir_resource

router = APIRouter(tags=["export"])

FHIR_JSON = "application/fhir+json"
FHIR_ID = r"^[A-Za-z0-9\-.]{1,64}$"


@router.get(
    "/fhir/{resource_type}/{resource_id}",
    response_class=Response,
    responses={200: {"content": {FHIR_JSON: {}}}, **error_responses(404)},
)
def resource(
    resource_type: Annotated[str, Path(pattern=r"^[A-Z][A-Za-z]{1,63}$", examples=["Evidence"])],
    resource_id: Annotated[str, Path(pattern=FHIR_ID, examples=["pollux-pfs-hr-dimopoulos2016"])],
    kb: KBDep,
) -> Response:
    """One resource of the FHIR R5 export (Evidence, Group, EvidenceVariable, Citation, CodeSystem, the
    Bundle) or the StructureDefinition of an mmkb extension."""
    found = fhir_resource(kb, resource_type, resource_id)
    if found is None:
        raise not_found(f"FHIR {resource_type}", resource_id)
    return Response(json.dumps(found, ensure_ascii=False, indent=1).encode("utf-8"), media_type=FHIR_JSON)
