"""The pooling gate: whether a stratum's rows may be pooled at all, and if not, each condition that fails.

No pooling that the data cannot support: the rows must share one outcome definition, stratum and
regimen; at least MIN_STUDIES studies of at least MIN_STUDY_SIZE patients; prospective designs unless
retrospective ones are opted in; usable counts (reported, derived or reconstructed); no randomized-trial
arms as single proportions; no rows that share patients. Each failure has a stable code.
"""

from __future__ import annotations

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
    messages = []
    for i, row in enumerate(rows):
        for other in rows[i + 1 :]:
            shared = row.cohort_id == other.cohort_id or row.study_id == other.study_id
            linked = {other.study_id, other.cohort_id} & row.overlaps_with
            back = {row.study_id, row.cohort_id} & other.overlaps_with
            if shared or linked or back:
                messages.append(f"{row.study_id} and {other.study_id}")
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
