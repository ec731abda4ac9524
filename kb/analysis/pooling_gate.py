"""The pooling gate: whether a stratum's rows may be pooled at all, and if not, each condition that fails.

No pooling that the data cannot support: the rows must share one outcome definition, stratum and
regimen; at least MIN_STUDIES studies of at least MIN_STUDY_SIZE patients; prospective designs unless
retrospective ones are opted in; usable counts (reported, derived or reconstructed); no randomized-trial
arms as single proportions; no rows that share patients. Each failure has a stable code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

COUNT_ORIGINS = ("reported", "derived", "reconstructed", "ambiguous", "inconsistent", "unknown")
_USABLE_ORIGINS = ("reported", "derived", "reconstructed")
MIN_STUDIES = 3
MIN_STUDY_SIZE = 10


@dataclass(frozen=True)
class GateInput:
    """One candidate row for pooling, with what the gate needs to know about it."""

    study_id: str
    n: int
    responders: int | None
    count_origin: str  # one of COUNT_ORIGINS
    design_prospective: bool
    is_rct_arm: bool
    outcome_key: str  # response definition + threshold + denominator kind
    stratum_key: str
    regimen_key: str
    overlaps_with: frozenset[str]  # study or cohort ids this row shares patients with
    cohort_id: str


@dataclass(frozen=True)
class GateDecision:
    allowed: bool
    failed: tuple[tuple[str, str], ...]  # (stable code, sentence), in a fixed order

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for code, _ in self.failed)


def _names(rows: Sequence[GateInput]) -> str:
    return ", ".join(sorted({row.study_id for row in rows}))


def _mixed(rows: Sequence[GateInput], key: Callable[[GateInput], str]) -> list[str]:
    return sorted({key(row) for row in rows})


def _overlapping(rows: Sequence[GateInput]) -> list[str]:
    """Each pair of rows (in row order) of one cohort or study, or of which one names the other's study
    or cohort among those it shares patients with. Rows are found by their identifiers, not compared pair
    by pair, so the work grows with the rows and the pairs found."""
    by_study: dict[str, set[int]] = defaultdict(set)
    by_cohort: dict[str, set[int]] = defaultdict(set)
    naming: dict[str, set[int]] = defaultdict(set)  # a study or cohort id -> the rows overlapping it
    for i, row in enumerate(rows):
        by_study[row.study_id].add(i)
        by_cohort[row.cohort_id].add(i)
        for other in row.overlaps_with:
            naming[other].add(i)
    messages = []
    for i, row in enumerate(rows):
        partners = by_study[row.study_id] | by_cohort[row.cohort_id]
        partners |= naming.get(row.study_id, set()) | naming.get(row.cohort_id, set())
        for other in row.overlaps_with:
            partners |= by_study.get(other, set()) | by_cohort.get(other, set())
        messages += [f"{row.study_id} and {rows[j].study_id}" for j in sorted(j for j in partners if j > i)]
    return messages


def pooling_gate(rows: Sequence[GateInput], allow_retrospective: bool = False) -> GateDecision:
    """Whether rows may be pooled, following the conditions of the statistics guide; each failure named."""
    failed: list[tuple[str, str]] = []
    for code, key, what in (
        ("MIXED_OUTCOME", lambda r: r.outcome_key, "outcome definitions"),
        ("MIXED_STRATUM", lambda r: r.stratum_key, "population strata"),
        ("MIXED_REGIMEN", lambda r: r.regimen_key, "regimens"),
    ):
        values = _mixed(rows, key)
        if len(values) > 1:
            failed.append((code, f"the rows mix {len(values)} {what}: {'; '.join(values)}"))

    qualifying = {row.study_id for row in rows if row.n >= MIN_STUDY_SIZE}
    if len(qualifying) < MIN_STUDIES:
        failed.append(
            (
                "FEW_STUDIES",
                f"at least {MIN_STUDIES} studies of at least {MIN_STUDY_SIZE} patients are needed; "
                f"{len(qualifying)} qualify",
            )
        )

    retrospective = [row for row in rows if not row.design_prospective]
    if retrospective and not allow_retrospective:
        failed.append(
            ("RETROSPECTIVE", f"retrospective studies are excluded unless opted in: {_names(retrospective)}")
        )

    ambiguous = [row for row in rows if row.count_origin == "ambiguous"]
    if ambiguous:
        failed.append(("AMBIGUOUS_COUNT", f"the responder count is ambiguous in {_names(ambiguous)}"))

    unknown = [
        row
        for row in rows
        if row.responders is None or row.count_origin not in (*_USABLE_ORIGINS, "ambiguous")
    ]
    if unknown:
        failed.append(
            ("UNKNOWN_COUNT", f"no usable responder count (unknown or inconsistent) in {_names(unknown)}")
        )

    arms = [row for row in rows if row.is_rct_arm]
    if arms:
        failed.append(
            ("RCT_ARM", f"randomized-trial arms are not pooled as single proportions: {_names(arms)}")
        )

    overlaps = _overlapping(rows)
    if overlaps:
        failed.append(("OVERLAPPING_COHORTS", f"rows share patients: {'; '.join(overlaps)}"))

    return GateDecision(allowed=not failed, failed=tuple(failed))
