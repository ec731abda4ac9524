"""Forest plot of a comparison as SVG, PNG or PDF: response rates (with the hazard-ratio panel) or any
endpoint. The same parameters give the same drawing in each format."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from api.deps import KBDep
from api.errors import ApiError, error_responses
from api.selection import ENDPOINT_DESCRIPTION, ENDPOINT_NAMES, SelectionDep, choice
from kb.analysis.response_rate import hazard_ratio_rows
from kb.analysis.response_table import ComparisonTable
from kb.render.forest_plot import forest_svg
from kb.render.image_formats import MEDIA_TYPES, PDF, PNG, SVG, ImageFormatError, ImageLibraryMissing, convert

router = APIRouter(tags=["plots"])

Endpoint = Annotated[str, choice(ENDPOINT_NAMES, ENDPOINT_DESCRIPTION)]


def _forest(kb: KBDep, chosen: SelectionDep, endpoint: str, fmt: str) -> Response:
    table = chosen.table(kb, endpoint)
    if endpoint == "response" and isinstance(table, ComparisonTable):
        svg = forest_svg(table, hazard_ratio_rows(kb, table))
    else:
        svg = forest_svg(table)
    try:
        body = convert(svg, fmt)
    except ImageFormatError as exc:  # a drawing too large for a PNG
        raise ApiError(422, str(exc), [SVG, PDF]) from exc
    except ImageLibraryMissing as exc:  # the server cannot draw PNG or PDF; SVG it can
        raise ApiError(503, str(exc), [SVG]) from exc
    return Response(body, media_type=MEDIA_TYPES[fmt])


def _responses(fmt: str) -> dict[int | str, dict[str, object]]:
    return {200: {"content": {MEDIA_TYPES[fmt]: {}}}}


@router.get("/plots/forest.svg", response_class=Response, responses=_responses(SVG))
def forest(kb: KBDep, chosen: SelectionDep, endpoint: Endpoint = "response") -> Response:
    return _forest(kb, chosen, endpoint, SVG)


@router.get(
    "/plots/forest.png",
    response_class=Response,
    responses={**_responses(PNG), **error_responses(422)},
    description="The forest plot as PNG, drawn at twice the SVG's size; a plot taller than a PNG may be "
    "(16,384 px) is answered 422: ask for SVG or PDF.",
)
def forest_png(kb: KBDep, chosen: SelectionDep, endpoint: Endpoint = "response") -> Response:
    return _forest(kb, chosen, endpoint, PNG)


@router.get("/plots/forest.pdf", response_class=Response, responses=_responses(PDF))
def forest_pdf(kb: KBDep, chosen: SelectionDep, endpoint: Endpoint = "response") -> Response:
    return _forest(kb, chosen, endpoint, PDF)
