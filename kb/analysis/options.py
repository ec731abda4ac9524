"""The comparison's options, each value with the words a reader sees: one list for the command line, the
REST routes and the web page, which reads it from the service. The values are the library's own lists;
the names a filter accepts come from the data. The output formats are the writers' (kb.render.tables
FORMATS), a layer above this one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from kb.analysis.endpoint_table import ENDPOINTS
from kb.analysis.response_table import CI_METHODS, GROUPINGS, PATIENT_ATTRIBUTES, THRESHOLDS, OptionError

if TYPE_CHECKING:
    from kb.knowledge_base import KnowledgeBase

# What a reader sees for each value; a value without an entry shows as itself.
LABELS: dict[str, str] = {
    "refractory-status": "refractory status",
    "drug-class": "drug class",
    "design": "study design",
    "imid-added": "IMiD added (patients)",
    "prior-asct": "prior ASCT (patients)",
    "sex": "sex (patients)",
    "myeloma-subtype": "myeloma subtype (patients)",
    **{threshold: f"{threshold} or better" for threshold in THRESHOLDS},
    "clopper-pearson": "Clopper-Pearson (exact)",
    "wilson": "Wilson",
    "jeffreys": "Jeffreys",
    **{endpoint.name: endpoint.label for endpoint in ENDPOINTS.values()},
}


# Each option with its valid values, the first being the default.
CHOICES: dict[str, tuple[str, ...]] = {
    "by": GROUPINGS + PATIENT_ATTRIBUTES,
    "threshold": THRESHOLDS,
    "ci": CI_METHODS,
    "endpoint": tuple(ENDPOINTS),
}

# The filters naming things the knowledge base holds, with the kind of name in vocabulary-names.rq.
NAMED_FILTERS = {"drug": "drug", "drug_class": "class", "design": "design"}


def label(value: str) -> str:
    return LABELS.get(value, value)


def check(option: str, value: str, valid: Sequence[str] | None = None) -> str:
    """`value` when it is one of `option`'s values (CHOICES[option] unless `valid` is given);
    OptionError naming the valid ones otherwise."""
    valid = CHOICES[option] if valid is None else valid
    if value not in valid:
        raise OptionError(f"invalid {option} {value!r}; valid: {', '.join(valid)}")
    return value


def filter_names(kb: KnowledgeBase) -> dict[str, list[str]]:
    """For each named filter, the preferred names of the drugs, classes or designs the data holds."""
    preferred: dict[str, set[str]] = {kind: set() for kind in NAMED_FILTERS.values()}
    for row in kb.ask_named("vocabulary-names"):
        kind = str(row["kind"])
        if kind in preferred:
            preferred[kind].add(str(row["preferred"]))
    return {option: sorted(preferred[kind], key=str.lower) for option, kind in NAMED_FILTERS.items()}
