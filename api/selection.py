"""The comparison's parameters, shared by the tables and the forest plot: parsed and checked once; the
endpoint a comparison is of (a path segment of /compare/{endpoint}, `endpoint=` of the plot)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query

from kb.analysis.endpoint_table import EndpointTable
from kb.analysis.endpoints import compare
from kb.analysis.options import CHOICES, check
from kb.analysis.response_rate import Filters
from kb.analysis.response_table import CI_METHODS, GROUPINGS, PATIENT_ATTRIBUTES, THRESHOLDS, ComparisonTable
from kb.knowledge_base import KnowledgeBase


@dataclass(frozen=True)
class Selection:
    """The comparison options shared by the table and the forest plot."""

    by: str
    threshold: str
    ci: str
    pool: bool
    allow_retrospective: bool
    filters: Filters

    def table(self, kb: KnowledgeBase, endpoint: str = "response") -> ComparisonTable | EndpointTable:
        """The comparison of `endpoint` (OptionError, answered 422 with the valid endpoints, for another)."""
        # Every option is checked whatever the endpoint, also those only response uses.
        for option, value in (("endpoint", endpoint), ("threshold", self.threshold), ("ci", self.ci)):
            check(option, value)
        return compare(
            kb,
            endpoint,
            by=self.by,
            threshold=self.threshold,
            ci_method=self.ci,
            filters=self.filters,
            pool=self.pool,
            allow_retrospective=self.allow_retrospective,
        )


def choice(valid: Sequence[str], what: str) -> Any:
    """A query parameter with a fixed set of values, declared as the schema's enum; the route answers
    any other value 422 with the valid ones (its own message, not the generic validation error)."""
    return Query(description=f"{what}; one of {', '.join(valid)}", json_schema_extra={"enum": list(valid)})


# The filters name things the knowledge base holds: no enum can be declared before it is loaded.
UNKNOWN_NAME = "; a name the knowledge base does not hold is answered 422, `valid` listing the names it holds"


def selection(
    by: Annotated[
        str,
        choice(GROUPINGS + PATIENT_ATTRIBUTES, "rows grouped by (the patient attributes: response only)"),
    ] = "refractory-status",
    threshold: Annotated[str, choice(THRESHOLDS, "best response counted, or better")] = "PR",
    ci: Annotated[str, choice(CI_METHODS, "confidence-interval method")] = "clopper-pearson",
    pool: bool = False,
    allow_retrospective: bool = False,
    drug: Annotated[
        str | None,
        Query(
            description="only regimens with this drug: label, synonym or identifier, "
            "any case (pom, Pomalidomide)" + UNKNOWN_NAME
        ),
    ] = None,
    drug_class: Annotated[
        str | None,
        Query(
            description="only regimens with a drug of this class: label, notation or identifier (imid)"
            + UNKNOWN_NAME
        ),
    ] = None,
    refractory: Annotated[
        str | None,
        Query(
            description="comma-separated drugs or classes the population is refractory to at least; "
            "a class is met by any of its drugs (daratumumab; ProteasomeInhibitor,IMiD)" + UNKNOWN_NAME
        ),
    ] = None,
    design: Annotated[
        str | None,
        Query(
            description="only this study design: label or identifier (phase-2, RetrospectiveSeries)"
            + UNKNOWN_NAME
        ),
    ] = None,
    min_n: Annotated[int, Query(ge=0)] = 0,
) -> Selection:
    # by, threshold and ci are checked by the library (kb.analysis.options.check), answered 422.
    wanted = frozenset(d.strip() for d in refractory.split(",") if d.strip()) if refractory else frozenset()
    filters = Filters(drug=drug, drug_class=drug_class, refractory=wanted, design=design, min_n=min_n)
    return Selection(by, threshold, ci, pool, allow_retrospective, filters)


SelectionDep = Annotated[Selection, Depends(selection)]

# What a comparison can be of; an unknown name is answered 422 by the library's check, `valid` listing them.
ENDPOINT_NAMES: tuple[str, ...] = CHOICES["endpoint"]
ENDPOINT_DESCRIPTION = (
    "what is compared: response, a median (pfs, os, dor), a hazard ratio, a landmark rate, ..."
)
