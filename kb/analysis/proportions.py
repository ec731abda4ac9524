"""The comparison of a proportion other than response: MRD negativity, and adverse events (grade 3-4, any
grade) with one row per cohort and adverse event type.

The response-rate engine's machinery throughout: counts first (a printed count, else the only count that
fits every printed percentage over the stated denominator, from the reasoner's count reconstruction),
exact intervals, the same groupings, filters, strata, caveat codes and provenance, and other sources'
differing figures beside the preferred one. Nothing here is pooled: no pooling conditions are defined for
these endpoints, and the table's standing footnote says so."""

from __future__ import annotations

from kb.analysis.cohort_reads import shared_context
from kb.analysis.count_drafts import proportion_drafts
from kb.analysis.endpoint_table import PROPORTION, Endpoint
from kb.analysis.options import check
from kb.analysis.response_rate import Filters, arrange, resolve
from kb.analysis.response_table import GROUPINGS, ComparisonTable, OptionError
from kb.analysis.table_rows import build_row
from kb.knowledge_base import KnowledgeBase
from kb.namespaces import MM

__all__ = ["proportions"]


def proportions(
    kb: KnowledgeBase,
    endpoint: Endpoint,
    *,
    by: str = "refractory-status",
    ci_method: str = "clopper-pearson",
    filters: Filters | None = None,
) -> ComparisonTable:
    """The comparison of `endpoint` (a proportion endpoint other than response), grouped by `by`.

    A patient-attribute grouping splits patient records, and no patient record gives these endpoints: it
    is an OptionError, as is an endpoint that is response or not a proportion. Computed once per build
    (KnowledgeBase.computed): the table returned is shared, not to be changed."""
    if endpoint.kind != PROPORTION or endpoint.name == "response":
        raise OptionError(f"{endpoint.name} is not a proportion other than response")
    check("by", by)
    if by not in GROUPINGS:
        raise OptionError(f"invalid by {by!r} for {endpoint.name}; valid: {', '.join(GROUPINGS)}")
    check("ci", ci_method)
    chosen = filters or Filters()
    key = ("proportions", endpoint.name, by, ci_method, chosen)
    return kb.computed(key, lambda: _proportions(kb, endpoint, by, ci_method, chosen))


def _proportions(
    kb: KnowledgeBase, endpoint: Endpoint, by: str, ci_method: str, filters: Filters
) -> ComparisonTable:
    ctx = shared_context(kb)
    wanted = resolve(ctx, filters)
    drafts = proportion_drafts(ctx, ctx.proportion_claims(str(MM[endpoint.measure])))
    table = ComparisonTable(grouping=by, threshold="", ci_method=ci_method, endpoint=endpoint.name)
    table.rows = arrange(
        ctx, drafts, by, wanted, lambda d, s: build_row(ctx, d, "", ci_method, s, survival=False)
    )
    return table
