"""Compare any endpoint: the one entry point the command line, the REST routes, the plots and the named
questions use. Response goes to the response-rate engine; the other proportions (MRD negativity, adverse
events) to the same engine's proportion comparison; medians, hazard ratios and landmark rates to the
endpoint rows."""

from __future__ import annotations

from kb.analysis.endpoint_rows import endpoint_table
from kb.analysis.endpoint_table import ENDPOINTS, PROPORTION, EndpointTable
from kb.analysis.options import check
from kb.analysis.response_rate import Filters, response_rates
from kb.analysis.response_table import ComparisonTable
from kb.knowledge_base import KnowledgeBase

__all__ = ["ENDPOINTS", "compare"]


def compare(
    kb: KnowledgeBase,
    endpoint: str,
    *,
    by: str = "refractory-status",
    threshold: str = "PR",
    ci_method: str = "clopper-pearson",
    filters: Filters | None = None,
    pool: bool = False,
    allow_retrospective: bool = False,
) -> ComparisonTable | EndpointTable:
    """The comparison of `endpoint` (a name of ENDPOINTS); OptionError listing the valid ones otherwise.
    `threshold`, `pool` and `allow_retrospective` apply to response only; `ci_method` to proportions."""
    check("endpoint", endpoint, tuple(ENDPOINTS))
    chosen = ENDPOINTS[endpoint]
    if chosen.name == "response":
        return response_rates(
            kb,
            by=by,
            threshold=threshold,
            ci_method=ci_method,
            filters=filters,
            pool=pool,
            allow_retrospective=allow_retrospective,
        )
    if chosen.kind == PROPORTION:
        from kb.analysis.proportions import proportions

        return proportions(kb, chosen, by=by, ci_method=ci_method, filters=filters)
    return endpoint_table(kb, chosen, by=by, filters=filters)
