"""Regimen and citation networks as node-link JSON, GraphML or SVG."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import KBDep
from api.errors import error_responses, not_found
from api.negotiation import choose_format
from kb.analysis.network import citation_network, regimen_network, to_graphml, to_node_link
from kb.render.network_svg import to_svg

router = APIRouter(tags=["network"])

KINDS = ("regimens", "citations")
MEDIA_TYPES = {"json": "application/json", "graphml": "application/graphml+xml", "svg": "image/svg+xml"}


@router.get(
    "/network/{kind}",
    response_class=Response,
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}, **error_responses(404)},
)
def network(
    kind: Annotated[str, Path(json_schema_extra={"enum": list(KINDS)})],
    request: Request,
    kb: KBDep,
    format: Annotated[
        str | None, Query(description="overrides Accept", json_schema_extra={"enum": list(MEDIA_TYPES)})
    ] = None,
) -> Response:
    if kind not in KINDS:
        raise not_found("network kind", kind, KINDS)
    fmt = choose_format(request, format, MEDIA_TYPES, "json")
    graph = regimen_network(kb) if kind == "regimens" else citation_network(kb)
    body: str | bytes
    if fmt == "graphml":
        body = to_graphml(graph)
    elif fmt == "svg":
        body = to_svg(graph, f"{kind} network")
    else:
        body = to_node_link(graph)
    return Response(body, media_type=MEDIA_TYPES[fmt])
