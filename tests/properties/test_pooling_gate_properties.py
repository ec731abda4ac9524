"""Properties of the pooling gate: the rows that share patients, found by identifier, are exactly the pairs
the definition names."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from kb.analysis.pooling_gate import GateInput, pooling_gate

STUDIES = [f"study-{i}" for i in range(5)]
COHORTS = [f"cohort-{i}" for i in range(5)]


def shares_patients(row: GateInput, other: GateInput) -> bool:
    """The definition: one cohort or one study, or one row names the other's study or cohort."""
    return (
        row.cohort_id == other.cohort_id
        or row.study_id == other.study_id
        or bool({other.study_id, other.cohort_id} & row.overlaps_with)
        or bool({row.study_id, row.cohort_id} & other.overlaps_with)
    )


rows = st.builds(
    GateInput,
    study_id=st.sampled_from(STUDIES),
    n=st.just(20),
    responders=st.just(5),
    count_origin=st.just("reported"),
    design_prospective=st.just(True),
    is_rct_arm=st.just(False),
    outcome_key=st.just("IMWG>=PR"),
    stratum_key=st.just("unselected"),
    regimen_key=st.just("regimen"),
    overlaps_with=st.frozensets(st.sampled_from(STUDIES + COHORTS), max_size=3),
    cohort_id=st.sampled_from(COHORTS),
)


@given(st.lists(rows, max_size=8))
def test_overlapping_rows_are_the_pairs_that_share_patients(candidates: list[GateInput]) -> None:
    pairs = [
        f"{row.study_id} and {other.study_id}"
        for i, row in enumerate(candidates)
        for other in candidates[i + 1 :]
        if shares_patients(row, other)
    ]
    failed = dict(pooling_gate(candidates).failed)
    if pairs:
        assert failed["OVERLAPPING_COHORTS"] == f"rows share patients: {'; '.join(pairs)}"
    else:
        assert "OVERLAPPING_COHORTS" not in failed
