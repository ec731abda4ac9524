"""Forest plot of a comparison as SVG: response rates (with the hazard-ratio panel) or any endpoint."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from api.deps import KBDep
from api.selection import ENDPOINT_DESCRIPTION, ENDPOINT_NAMES, SelectionDep, choice
from kb.analysis.response_rate import hazard_ratio_rows
from kb.analysis.response_table import ComparisonTable
from kb.render.forest_plot import forest_svg

router = APIRouter(tags=["plots"])


@router.get("/plots/forest.svg", response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
def forest(
    kb: KBDep,
    chosen: SelectionDep,
    endpoint: Annotated[str, choice(ENDPOINT_NAMES, ENDPOINT_DESCRIPTION)] = "response",
) -> Response:
    table = chosen.table(kb, endpoint)
    if endpoint == "response" and isinstance(table, ComparisonTable):
        return Response(forest_svg(table, hazard_ratio_rows(kb, table)), media_type="image/svg+xml")
    return Response(forest_svg(table), media_type="image/svg+xml")
