"""Forest plot of the response-rate comparison as SVG."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import KBDep
from api.selection import SelectionDep
from kb.analysis.response_rate import hazard_ratio_rows
from kb.render.forest_plot import forest_svg

router = APIRouter(tags=["plots"])


@router.get("/plots/forest.svg", response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
def forest(kb: KBDep, chosen: SelectionDep) -> Response:
    table = chosen.table(kb)
    return Response(forest_svg(table, hazard_ratio_rows(kb, table)), media_type="image/svg+xml")
