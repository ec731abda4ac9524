"""Regimen and citation networks as node-link JSON, GraphML, or a drawing as SVG, PNG or PDF (the same
drawing in each)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from api.deps import KBDep
from api.errors import ApiError, error_responses, not_found
from api.negotiation import choose_format
from kb.analysis.network import citation_network, regimen_network, to_graphml, to_node_link
from kb.render.image_formats import MEDIA_TYPES as IMAGE_MEDIA_TYPES
from kb.render.image_formats import PDF, PNG, SVG, ImageFormatError, ImageLibraryMissing, convert
from kb.render.network_svg import to_svg

router = APIRouter(tags=["network"])

KINDS = ("regimens", "citations")
MEDIA_TYPES = {
    "json": "application/json",
    "graphml": "application/graphml+xml",
    SVG: IMAGE_MEDIA_TYPES[SVG],
    PNG: IMAGE_MEDIA_TYPES[PNG],
    PDF: IMAGE_MEDIA_TYPES[PDF],
}


@router.get(
    "/network/{kind}",
    response_class=Response,
    responses={
        200: {"content": {media: {} for media in MEDIA_TYPES.values()}},
        **error_responses(404, 422),
    },
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
    elif fmt in (SVG, PNG, PDF):
        try:
            body = convert(to_svg(graph, f"{kind} network"), fmt)
        except ImageFormatError as exc:  # a drawing too large for a PNG
            raise ApiError(422, str(exc), [SVG, PDF]) from exc
        except ImageLibraryMissing as exc:  # the server cannot draw PNG or PDF; SVG it can
            raise ApiError(503, str(exc), [SVG]) from exc
    else:
        body = to_node_link(graph)
    return Response(body, media_type=MEDIA_TYPES[fmt])
