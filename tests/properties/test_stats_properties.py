"""Properties of the proportion intervals, count reconstruction and random-effects pooling."""

from __future__ import annotations

import math
from decimal import ROUND_HALF_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from kb.analysis.stats import CI_METHODS, TAU2_METHODS, pool_logit, proportion_ci
from kb.reasoning.counts import candidates, reconstruct

# Float noise in scipy's beta quantiles and in the Wilson formula: far below any printed digit.
EPS = 1e-12


@st.composite
def proportions(draw: st.DrawFn, max_n: int = 5000) -> tuple[int, int]:
    n = draw(st.integers(min_value=1, max_value=max_n))
    x = draw(st.integers(min_value=0, max_value=n))
    return x, n


levels = st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99, 0.999])


# -- confidence intervals -------------------------------------------------------------------------


@pytest.mark.parametrize("method", CI_METHODS)
@settings(max_examples=200)
@given(xn=proportions(), level=levels)
@example(xn=(0, 3), level=0.95)
@example(xn=(10, 10), level=0.95)
def test_interval_contains_the_estimate_and_lies_in_the_unit_interval(
    method: str, xn: tuple[int, int], level: float
) -> None:
    x, n = xn
    low, high = proportion_ci(x, n, method, level)
    assert 0.0 <= low <= high <= 1.0, (low, high)
    assert low <= x / n <= high, (x, n, low, high)


@pytest.mark.parametrize("method", CI_METHODS)
@settings(max_examples=150)
@given(xn=proportions(), level=levels)
def test_bounds_move_monotonically_with_the_count(method: str, xn: tuple[int, int], level: float) -> None:
    x, n = xn
    assume(x < n)
    low, high = proportion_ci(x, n, method, level)
    next_low, next_high = proportion_ci(x + 1, n, method, level)
    assert next_low >= low - EPS and next_high >= high - EPS, ((low, high), (next_low, next_high))


@pytest.mark.parametrize("method", CI_METHODS)
@settings(max_examples=100)
@given(xn=proportions(), level=levels)
def test_interval_is_symmetric_under_swapping_events_and_non_events(
    method: str, xn: tuple[int, int], level: float
) -> None:
    x, n = xn
    low, high = proportion_ci(x, n, method, level)
    mirror_low, mirror_high = proportion_ci(n - x, n, method, level)
    assert math.isclose(low, 1 - mirror_high, abs_tol=1e-9) and math.isclose(
        high, 1 - mirror_low, abs_tol=1e-9
    )


@pytest.mark.parametrize("method", CI_METHODS)
@settings(max_examples=100)
@given(xn=proportions(), level=st.sampled_from([0.8, 0.9, 0.95]))
def test_a_higher_level_gives_a_wider_interval(method: str, xn: tuple[int, int], level: float) -> None:
    x, n = xn
    low, high = proportion_ci(x, n, method, level)
    wide_low, wide_high = proportion_ci(x, n, method, 0.99)
    assert wide_low <= low + EPS and wide_high >= high - EPS


# -- count reconstruction from a printed percentage ---------------------------------------------------

ROUNDINGS = (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_HALF_DOWN)


def printed(x: int, n: int, decimals: int, rounding: str) -> Decimal:
    """100x/n printed with `decimals` digits, computed exactly (no float on the way)."""
    exact = Decimal(100 * x) / Decimal(n)  # 28 significant digits: exact enough to decide the rounding
    if Fraction(exact) != Fraction(100 * x, n):
        # Not representable in 28 digits: round the exact fraction by hand.
        quantum = Fraction(1, 10**decimals)
        value = Fraction(100 * x, n) / quantum
        floor = math.floor(value)
        rest = value - floor
        up = rest > Fraction(1, 2) or (rest == Fraction(1, 2) and rounding != ROUND_HALF_DOWN)
        if rest == Fraction(1, 2) and rounding == ROUND_HALF_EVEN:
            up = floor % 2 == 1
        digits = floor + (1 if up else 0)
        return (Decimal(digits) / Decimal(10**decimals)).quantize(Decimal(1).scaleb(-decimals))
    return exact.quantize(Decimal(1).scaleb(-decimals), rounding=rounding)


@settings(max_examples=300)
@given(xn=proportions(max_n=2000), decimals=st.integers(0, 2), rounding=st.sampled_from(ROUNDINGS))
def test_reconstruction_round_trips(xn: tuple[int, int], decimals: int, rounding: str) -> None:
    x, n = xn
    percent = printed(x, n, decimals, rounding)
    found = candidates(percent, n)
    assert x in found, (x, n, str(percent), found)
    assert x in candidates(str(percent), n), "the printed text gives the same answer as the Decimal"
    result = reconstruct(percent, n)
    assert result.origin == ("derived" if len(found) == 1 else "ambiguous")


@settings(max_examples=150)
@given(xn=proportions(max_n=1000), decimals=st.integers(0, 2), rounding=st.sampled_from(ROUNDINGS))
def test_every_candidate_prints_as_the_source_printed(
    xn: tuple[int, int], decimals: int, rounding: str
) -> None:
    """Soundness and completeness: the candidates are exactly the k that print the same figure."""
    x, n = xn
    percent = printed(x, n, decimals, rounding)
    found = set(candidates(percent, n))
    fits = {k for k in range(n + 1) if any(printed(k, n, decimals, r) == percent for r in ROUNDINGS)}
    assert found == fits, (str(percent), n, sorted(found ^ fits))


@settings(max_examples=100)
@given(xn=proportions(max_n=1000), decimals=st.integers(0, 2))
def test_a_hedged_figure_keeps_every_exact_fit(xn: tuple[int, int], decimals: int) -> None:
    x, n = xn
    percent = printed(x, n, decimals, ROUND_HALF_UP)
    exact = set(candidates(percent, n))
    hedged = reconstruct(percent, n, hedged=True)
    assert exact <= set(hedged.candidates) and hedged.origin == "ambiguous"


# -- random-effects pooling ---------------------------------------------------------------------------

studies = st.lists(proportions(max_n=400), min_size=2, max_size=8)


@pytest.mark.parametrize("method", TAU2_METHODS)
@settings(max_examples=120)
@given(rows=studies, level=st.sampled_from([0.9, 0.95, 0.99]))
def test_pooling_is_well_formed(method: str, rows: list[tuple[int, int]], level: float) -> None:
    events, totals = [x for x, _ in rows], [n for _, n in rows]
    pooled = pool_logit(events, totals, method, level)
    fit = pooled.logit
    assert fit.tau2 >= 0
    assert 0 <= pooled.i2 <= 100
    assert fit.ci[0] <= fit.estimate <= fit.ci[1]
    assert 0 <= pooled.ci[0] <= pooled.proportion <= pooled.ci[1] <= 1
    if pooled.i2_ci is not None:
        assert 0 <= pooled.i2_ci[0] <= pooled.i2 + EPS and pooled.i2 - EPS <= pooled.i2_ci[1] <= 100
    if pooled.prediction is not None:
        # As metafor's predict.rma after test="knha": tau^2 plus the Hartung-Knapp variance, so the
        # prediction interval holds the CI.
        assert pooled.prediction[0] <= pooled.ci[0] + EPS and pooled.ci[1] - EPS <= pooled.prediction[1]


@pytest.mark.parametrize("method", TAU2_METHODS)
@settings(max_examples=80)
@given(rows=studies, data=st.data())
def test_pooling_does_not_depend_on_row_order(
    method: str, rows: list[tuple[int, int]], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(rows))
    first = pool_logit([x for x, _ in rows], [n for _, n in rows], method)
    second = pool_logit([x for x, _ in shuffled], [n for _, n in shuffled], method)
    close = {"rel_tol": 1e-6, "abs_tol": 1e-9}
    assert math.isclose(first.tau2, second.tau2, **close)
    assert math.isclose(first.proportion, second.proportion, **close)
    assert math.isclose(first.i2, second.i2, **close)
    for a, b in zip(first.ci, second.ci, strict=True):
        assert math.isclose(a, b, **close)
