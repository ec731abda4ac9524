"""The comparison table model: rows, caveat codes and footnotes (no queries, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.analysis.stats import CI_METHODS as CI_METHODS  # an option list of the comparison
from kb.analysis.values import HazardRatio, Median


class OptionError(ValueError):
    """An option value that is not one of the valid ones."""


# Stable caveat codes and the sentence each stands for.
CAVEATS: dict[str, str] = {
    "SMALL_N": "Fewer than 10 patients: the interval is wide.",
    "CASE_REPORT": "Case report: individual patients, no denominator of a defined population.",
    "CASE_SERIES": "Case series: a few selected patients reported individually.",
    "BOUNDARY": "All or none responded (x = 0 or x = n): the exact interval is one-sided.",
    "RECONSTRUCTED": "The count is not printed: it is the only whole number that fits every printed figure "
    "for it (percentages, hedged ones with their tolerance, and category counts), or it is counted from "
    "individual patient records.",
    "AMBIGUOUS_COUNT": "Several counts fit the printed (or hedged) figures: the rate shown is the printed "
    "figure, marked ~, and the interval covers every fitting count.",
    "INCONSISTENT_COUNT": "No whole number of patients over the stated denominator gives the printed "
    "percentage (probably another denominator, e.g. response-evaluable).",
    "UNKNOWN_COUNT": "Neither the count nor a usable percentage and denominator are given.",
    "UNKNOWN_DENOMINATOR": "The source does not give the denominator of this percentage: n is unknown, and "
    "no count or interval is derived from it.",
    "NOT_OVER_COHORT_SIZE": "No whole number of the cohort's patients gives the printed percentage: it is "
    "over another denominator that the source does not give (e.g. response-evaluable patients).",
    "SECONDARY_SOURCE": "The figure was read in a secondary source (a summary page or a citing publication), "
    "not in the primary publication.",
    "RETROSPECTIVE": "Retrospective design: selection and assessment were not prespecified.",
    "DEFINITION_MISMATCH": "Rows in this stratum define refractoriness with different drug sets.",
    "INDIRECT": "The study population is not selected by the refractory status asked for.",
    "OVERLAPPING_COHORTS": "This cohort shares patients with another row (report lineage): not independent.",
    "CONFLICT": "Sources, or text and table, disagree about this figure; both values are shown.",
    "NOT_POOLED": "No pooled estimate: the conditions for pooling are not met.",
    "FEW_STUDIES": "Fewer than 3 studies of at least 10 patients.",
    "HIGH_HETEROGENEITY": "High heterogeneity between studies (I² above 50%).",
    "IMMATURE_MEDIAN": "The median was not reached at the data cut.",
    "MIXED_MEASURES": "Rows differ in response definition, threshold or denominator.",
    "RESPONSE_TO_PRIOR_REGIMEN": "Response to an earlier regimen of the same patients, not to the "
    "study regimen; placed in the stratum of their refractory status before that regimen.",
}

THRESHOLDS = ("PR", "MR", "VGPR", "CR")
GROUPINGS = ("refractory-status", "regimen", "drug-class", "design", "study")
PATIENT_ATTRIBUTES = ("imid-added", "prior-asct", "sex", "myeloma-subtype")


@dataclass(frozen=True)
class Source:
    """Where a row's number comes from: a claim, its publication, and how it was verified."""

    claim: str
    publication: str
    label: str
    verification: str = ""


@dataclass(frozen=True)
class Row:
    stratum: str
    stratum_key: str
    study: str
    study_id: str
    cohort: str
    cohort_id: str
    design: str
    evidence_rank: int
    regimen: str
    threshold: str
    n: int | None
    responders: int | None
    rate_pct: float | None
    ci_low_pct: float | None
    ci_high_pct: float | None
    ci_method: str
    count_origin: str
    candidates: tuple[int, ...] = ()
    printed_pct: str = ""
    data_cut: str = ""
    median_pfs: Median | None = None  # of the row's data cut; None when no claim gives one
    hazard_ratio: HazardRatio | None = None  # of the row's data cut, against the named comparator arm
    caveats: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    other_values: tuple[str, ...] = ()  # disagreeing values of other claims, shown beside this one
    conflicts: tuple[str, ...] = ()  # conflict finding IRIs
    design_id: str = ""  # the study design concept's IRI
    regimen_key: str = ""  # regimen identity: drug and schedule IRIs (see Context.regimen_key)
    derivation: str = ""  # how a count that is not printed was obtained
    rate_approximate: bool = False  # only candidate counts are known: the rate is the printed figure
    n_unknown: bool = False  # the source gives a percentage over a denominator it does not state
    event: str = ""  # the adverse event's label, in a table of adverse events by type; "" otherwise

    @property
    def x_over_n(self) -> str:
        if self.n_unknown:
            return "?/not reported"
        if self.responders is not None and self.n is not None:
            return f"{self.responders}/{self.n}"
        if self.candidates and self.n is not None:
            low, high = min(self.candidates), max(self.candidates)
            return f"{low}/{self.n}" if low == high else f"{low}-{high}/{self.n}"
        return "" if self.n is None else f"?/{self.n}"

    @property
    def rate_text(self) -> str:
        """The rate shown: x/n in percent, or the printed figure marked ~ when only candidates are known."""
        if self.rate_pct is None:
            return ""
        if self.rate_approximate:
            return "~" + (self.printed_pct.lstrip("~") or f"{self.rate_pct:g}")
        return f"{self.rate_pct:.1f}"


@dataclass(frozen=True)
class Pooled:
    stratum_key: str
    k: int
    rate_pct: float
    ci_low_pct: float
    ci_high_pct: float
    pi_low_pct: float | None
    pi_high_pct: float | None
    tau2: float
    i2_pct: float
    method: str


@dataclass(frozen=True)
class NotPooled:
    stratum_key: str
    failed: tuple[tuple[str, str], ...]  # (condition code, sentence)


@dataclass(frozen=True)
class HazardRatioRow:
    """One hazard ratio of the forest plot's log-scale panel, with the label of its line."""

    label: str
    value: HazardRatio


@dataclass
class ComparisonTable:
    grouping: str
    threshold: str
    ci_method: str
    rows: list[Row] = field(default_factory=list)
    pooling: list[Pooled | NotPooled] = field(default_factory=list)
    pool_requested: bool = False
    endpoint: str = "response"  # the name of its endpoint (kb.analysis.endpoint_table.ENDPOINTS)

    def caveat_codes(self) -> list[str]:
        seen = {c for row in self.rows for c in row.caveats}
        return [code for code in CAVEATS if code in seen]

    def footnotes(self) -> list[str]:
        """The standing footnote, then one per caveat code that fires."""
        method = {
            "clopper-pearson": "Clopper-Pearson (exact)",
            "wilson": "Wilson score",
            "jeffreys": "Jeffreys",
        }[self.ci_method]
        if self.endpoint != "response":
            standing = (
                f"{self._subject()} over the denominator the source states; 95% confidence intervals by "
                f"the {method} method. No pooled estimate: each row is one cohort's figure at its data cut, "
                "never pooled."
            )
            return [standing] + [f"{code}: {CAVEATS[code]}" for code in self.caveat_codes()]
        standing = (
            f"Response by IMWG criteria, best response {self.threshold} or better, over the denominator the "
            f"source states; 95% confidence intervals by the {method} method. "
        )
        if not self.pool_requested:
            standing += "No pooled estimate is shown: pooling was not requested, and these rows differ in "
            standing += "design, population and regimen."
        elif not any(isinstance(p, Pooled) for p in self.pooling):
            standing += "No pooled estimate: no stratum meets the pooling conditions (see NOT_POOLED)."
        else:
            standing += "Pooled estimates are exploratory: logit random effects, Hartung-Knapp CI."
        return [standing] + [f"{code}: {CAVEATS[code]}" for code in self.caveat_codes()]

    def _subject(self) -> str:
        """What a proportion other than response counts, as the standing footnote names it."""
        from kb.analysis.endpoint_table import ENDPOINTS  # the registry builds on this module

        endpoint = ENDPOINTS[self.endpoint]
        subject = endpoint.label[0].upper() + endpoint.label[1:]
        return subject + (" by type" if endpoint.adverse_event else "")
