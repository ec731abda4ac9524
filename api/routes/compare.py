"""Comparison tables of every endpoint (response rates, medians, hazard ratios, landmark rates, ...), in the
format asked for by `format=` or the Accept header."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from api.deps import KBDep
from api.negotiation import choose_format
from api.selection import ENDPOINT_DESCRIPTION, ENDPOINT_NAMES, SelectionDep, choice
from kb.analysis.endpoint_table import EndpointTable
from kb.analysis.response_table import ComparisonTable
from kb.knowledge_base import KnowledgeBase
from kb.render.tables import FORMATS, cited_publications, render

router = APIRouter(tags=["compare"])

MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "md": "text/markdown",
    "html": "text/html",
    "latex": "application/x-latex",
    "json": "application/json",
}


def _response(kb: KnowledgeBase, table: ComparisonTable | EndpointTable, fmt: str) -> Response:
    """The table in `fmt`, each source linked to its publication (its DOI, PMID or IRI)."""
    links = kb.publications(cited_publications(table))
    return Response(render(table, fmt, links), media_type=MEDIA_TYPES[fmt])


@router.get(
    "/compare/response-rate",
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def response_rate(
    request: Request,
    kb: KBDep,
    chosen: SelectionDep,
    format: Annotated[str | None, choice(tuple(FORMATS), "overrides Accept")] = None,
) -> Response:
    fmt = choose_format(request, format, MEDIA_TYPES, "json")
    return _response(kb, chosen.table(kb), fmt)


@router.get(
    "/compare/{endpoint}",
    responses={200: {"content": {media: {} for media in MEDIA_TYPES.values()}}},
)
def endpoint_comparison(
    request: Request,
    kb: KBDep,
    chosen: SelectionDep,
    endpoint: Annotated[
        str,
        Path(
            description=f"{ENDPOINT_DESCRIPTION}; one of {', '.join(ENDPOINT_NAMES)}",
            json_schema_extra={"enum": list(ENDPOINT_NAMES)},
        ),
    ],
    format: Annotated[str | None, choice(tuple(FORMATS), "overrides Accept")] = None,
) -> Response:
    fmt = choose_format(request, format, MEDIA_TYPES, "json")
    return _response(kb, chosen.table(kb, endpoint), fmt)
