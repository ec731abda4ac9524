"""Reported figures as values: time-to-event medians and hazard ratios, each number or why there is none."""

# Plain data with no rdflib import: the command line's parser reaches this module through the table model
# and must answer --help without loading the graph stack (cohort_reads builds these from query rows).
from __future__ import annotations

from dataclasses import dataclass

# The status of a figure the source gives as a number; any other status is the label of the typed unknown
# (mm:Missingness) that stands where the number would be.
REPORTED = "reported"
NOT_REACHED = "not reached"
NOT_ESTIMABLE = "not estimable"
NOT_REPORTED = "not reported"


@dataclass(frozen=True)
class Interval:
    """A confidence interval; a bound the source does not give as a number is None, with its status."""

    low: float | None
    high: float | None
    level: float | None = None  # the confidence level (0.95), only when the source states it
    low_status: str = REPORTED
    high_status: str = REPORTED

    @property
    def has_number(self) -> bool:
        return self.low is not None or self.high is not None


@dataclass(frozen=True)
class Median:
    """The Kaplan-Meier median of a time-to-event endpoint (PFS, OS, duration of response) of one claim."""

    endpoint: str
    estimate: float | None  # None when the median is not a number: see status
    status: str  # REPORTED, or why there is no number (NOT_REACHED, NOT_ESTIMABLE, NOT_REPORTED, ...)
    unit: str  # the unit's label, "months"
    unit_symbol: str  # its notation, "mo"
    interval: Interval | None = None
    data_cut: int | None = None  # the data cut's sequence number within its study
    claim: str = ""
    source: str = ""  # the publication's label

    @property
    def has_number(self) -> bool:
        return self.estimate is not None or (self.interval is not None and self.interval.has_number)


@dataclass(frozen=True)
class HazardRatio:
    """A hazard ratio of one arm against a named comparator arm, for one endpoint at one data cut."""

    endpoint: str
    estimate: float | None
    status: str
    comparator: str  # the comparator arm's label
    comparator_id: str  # and its IRI
    interval: Interval | None = None
    p_value: float | None = None  # p as printed
    p_value_below: float | None = None  # only a bound is printed: p < this
    data_cut: int | None = None
    claim: str = ""
    source: str = ""
