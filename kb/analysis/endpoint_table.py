"""The endpoints a comparison can be of, and the table of an endpoint that is not a proportion (medians,
hazard ratios, landmark rates): rows, caveat codes and footnotes (no queries, no I/O).

A proportion endpoint (response at a threshold, MRD negativity, adverse events) is compared by the
response-rate engine and its table (kb.analysis.response_table.ComparisonTable): counts first, exact
intervals, count reconstruction. The other endpoints are compared here, with the same groupings, filters,
strata, caveat codes and provenance; their figures are never pooled."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.analysis.response_table import CAVEATS, Source
from kb.analysis.values import HazardRatio, Interval, Median

# The kinds of endpoint, by the figure a row holds.
PROPORTION = "proportion"  # x of n, rate, exact interval (kb.analysis.response_table.Row)
MEDIAN = "median"  # a time-to-event median with its interval (values.Median)
HAZARD_RATIO = "hazard-ratio"  # against a comparator arm (values.HazardRatio)
LANDMARK = "landmark"  # the percentage event-free at a time (LandmarkRate)


@dataclass(frozen=True)
class Endpoint:
    """An endpoint a comparison can be of: its name on the command line and in URLs, its kind, the
    vocabulary term it measures (mm:measures), and what a reader sees."""

    name: str
    kind: str
    measure: str  # the mm: term's local name (ProgressionFreeSurvival); "" for response
    label: str
    adverse_event: bool = False  # a proportion per adverse event type (mm:adverseEvent)


ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint("response", PROPORTION, "Response", "response rate"),
        Endpoint("pfs", MEDIAN, "ProgressionFreeSurvival", "median progression-free survival"),
        Endpoint("os", MEDIAN, "OverallSurvival", "median overall survival"),
        Endpoint("dor", MEDIAN, "DurationOfResponse", "median duration of response"),
        Endpoint("ttr", MEDIAN, "TimeToResponse", "median time to response"),
        Endpoint("pfs-hr", HAZARD_RATIO, "ProgressionFreeSurvival", "hazard ratio for progression or death"),
        Endpoint("os-hr", HAZARD_RATIO, "OverallSurvival", "hazard ratio for death"),
        Endpoint(
            "pfs-landmark",
            LANDMARK,
            "ProgressionFreeSurvival",
            "progression-free survival rate at a landmark",
        ),
        Endpoint("os-landmark", LANDMARK, "OverallSurvival", "overall survival rate at a landmark"),
        Endpoint("mrd-negativity", PROPORTION, "MRDNegativity", "MRD negativity"),
        Endpoint("ae-grade3plus", PROPORTION, "AdverseEventGrade3Plus", "grade 3-4 adverse events", True),
        Endpoint("ae-any-grade", PROPORTION, "AdverseEventAnyGrade", "adverse events of any grade", True),
    )
}

# Caveats of the endpoint tables, beside the response table's (kb.analysis.response_table.CAVEATS).
ENDPOINT_CAVEATS: dict[str, str] = {
    "MEDIAN_NOT_POOLED": "Medians are never pooled: each row is one cohort's Kaplan-Meier median, at its "
    "own data cut and follow-up.",
    "NOT_A_MEDIAN": 'The source gives this time without calling it a median ("PFS 7 months").',
    "NOT_ESTIMABLE": "A bound of the interval is not estimable (NE) at the data cut.",
    "HR_NOT_POOLED": "Hazard ratios are shown per data cut, against the comparator arm named, never pooled.",
    "LANDMARK_NOT_POOLED": "Landmark rates are Kaplan-Meier estimates at the time named, never pooled.",
    "ESTIMATE_ONLY": "The source gives the estimate without an interval.",
}
ALL_CAVEATS = {**CAVEATS, **ENDPOINT_CAVEATS}


@dataclass(frozen=True)
class LandmarkRate:
    """A Kaplan-Meier rate at a landmark time (12-month PFS 60%), of one claim."""

    endpoint: str
    landmark: float  # the time, in `unit`
    unit: str
    percent: float | None
    status: str  # values.REPORTED, or why there is no number
    interval: Interval | None = None
    data_cut: int | None = None
    claim: str = ""
    source: str = ""


Figure = Median | HazardRatio | LandmarkRate


@dataclass(frozen=True)
class EndpointRow:
    """One cohort's figure for the endpoint at one data cut, with where it comes from."""

    stratum: str
    stratum_key: str
    study: str
    study_id: str
    cohort: str
    cohort_id: str
    design: str
    design_id: str
    evidence_rank: int
    regimen: str
    regimen_key: str
    figure: Figure
    data_cut: int | None = None  # the cut's sequence number within its study
    data_cut_label: str = ""
    follow_up_months: float | None = None  # the median follow-up at the cut, where a source gives it
    caveats: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    other_values: tuple[str, ...] = ()  # disagreeing figures of other sources for the same cut, as text
    conflicts: tuple[str, ...] = ()  # conflict finding IRIs


@dataclass
class EndpointTable:
    endpoint: Endpoint
    grouping: str
    rows: list[EndpointRow] = field(default_factory=list)

    def caveat_codes(self) -> list[str]:
        seen = {c for row in self.rows for c in row.caveats}
        return [code for code in ALL_CAVEATS if code in seen]

    def footnotes(self) -> list[str]:
        """The standing footnote, then one per caveat code that fires."""
        name = self.endpoint.label[0].upper() + self.endpoint.label[1:]
        standing = {
            MEDIAN: f"{name} by Kaplan-Meier as each source reports it, with its interval, data cut and "
            "follow-up; medians are never pooled.",
            HAZARD_RATIO: f"{name} of each arm against the comparator arm named, one row per data cut in "
            "order; hazard ratios are never pooled.",
            LANDMARK: f"{name}: Kaplan-Meier estimates at the time named, with intervals; never pooled.",
        }[self.endpoint.kind]
        return [standing] + [f"{code}: {ALL_CAVEATS[code]}" for code in self.caveat_codes()]
