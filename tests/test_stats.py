"""Statistics checked against scipy, hand computation, and published R (metafor, meta) output."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from scipy import stats

from kb.analysis.pooling_gate import GateInput, pooling_gate
from kb.analysis.stats import (
    clopper_pearson,
    i2_interval,
    jeffreys,
    logit_estimate,
    pool_logit,
    proportion_ci,
    random_effects,
    wilson,
)

CASES = [(0, 1), (1, 1), (0, 10), (10, 10), (1, 10), (31, 106), (46, 148), (3, 7), (99, 100), (0, 250)]


# -- proportion intervals -----------------------------------------------------------------------------


def test_sirius_clopper_pearson_prints_as_in_the_trial_report():
    low, high = clopper_pearson(31, 106)
    assert (round(100 * low, 1), round(100 * high, 1)) == (20.8, 38.9)


@pytest.mark.parametrize(("x", "n"), CASES)
def test_clopper_pearson_and_wilson_match_scipy_binomtest(x, n):
    result = stats.binomtest(x, n)
    for level in (0.95, 0.9):
        exact = result.proportion_ci(confidence_level=level, method="exact")
        score = result.proportion_ci(confidence_level=level, method="wilson")
        assert clopper_pearson(x, n, level) == pytest.approx((exact.low, exact.high), abs=1e-12)
        assert wilson(x, n, level) == pytest.approx((score.low, score.high), abs=1e-12)


@pytest.mark.parametrize(("x", "n"), CASES)
def test_jeffreys_uses_beta_quantiles_with_boundary_convention(x, n):
    low, high = jeffreys(x, n)
    expected_low = 0.0 if x == 0 else stats.beta.ppf(0.025, x + 0.5, n - x + 0.5)
    expected_high = 1.0 if x == n else stats.beta.ppf(0.975, x + 0.5, n - x + 0.5)
    assert (low, high) == pytest.approx((expected_low, expected_high), abs=1e-12)
    assert 0.0 <= low <= x / n <= high <= 1.0


@pytest.mark.parametrize("n", [1, 2, 7, 12, 50, 106, 148, 1000])
def test_beta_quantiles_are_scipy_stats_to_the_last_bit(n):
    # The intervals evaluate scipy.special directly, not through scipy.stats (much slower per call).
    for x in range(n + 1):
        for level in (0.95, 0.9):
            alpha = 1 - level
            exact_low = 0.0 if x == 0 else float(stats.beta.ppf(alpha / 2, x, n - x + 1))
            exact_high = 1.0 if x == n else float(stats.beta.ppf(1 - alpha / 2, x + 1, n - x))
            assert clopper_pearson(x, n, level) == (exact_low, exact_high)
            jeffreys_low = 0.0 if x == 0 else float(stats.beta.ppf(alpha / 2, x + 0.5, n - x + 0.5))
            jeffreys_high = 1.0 if x == n else float(stats.beta.ppf(1 - alpha / 2, x + 0.5, n - x + 0.5))
            assert jeffreys(x, n, level) == (jeffreys_low, jeffreys_high)


def test_boundaries_are_exact():
    assert clopper_pearson(0, 12)[0] == 0.0
    assert clopper_pearson(12, 12)[1] == 1.0
    assert jeffreys(0, 12)[0] == 0.0
    assert jeffreys(12, 12)[1] == 1.0
    assert jeffreys(0, 12)[1] < 1.0
    assert wilson(0, 12)[0] == 0.0
    assert wilson(12, 12)[1] == 1.0


@pytest.mark.parametrize(("x", "n"), [(0, 3), (10, 10), (0, 1), (1, 1), (0, 4999), (4999, 4999)])
@pytest.mark.parametrize("level", [0.5, 0.95, 0.999])
def test_wilson_interval_contains_its_boundary_estimate(x, n, level):
    # In floats the score formula puts the bound a rounding error past x/n (wilson(0, 3) low 5.55e-17).
    low, high = wilson(x, n, level)
    assert low <= x / n <= high
    assert (low == 0.0) == (x == 0) and (high == 1.0) == (x == n)


def test_proportion_ci_dispatches_and_names_valid_methods():
    assert proportion_ci(31, 106) == clopper_pearson(31, 106)
    assert proportion_ci(31, 106, "wilson", 0.9) == wilson(31, 106, 0.9)
    assert proportion_ci(31, 106, method="jeffreys") == jeffreys(31, 106)
    with pytest.raises(ValueError, match="clopper-pearson, wilson, jeffreys"):
        proportion_ci(31, 106, method="wald")


@pytest.mark.parametrize(("x", "n", "level"), [(-1, 10, 0.95), (11, 10, 0.95), (0, 0, 0.95), (3, 10, 1.0)])
def test_invalid_proportions_are_refused(x, n, level):
    with pytest.raises(ValueError):
        clopper_pearson(x, n, level)


def test_non_integer_counts_are_refused():
    with pytest.raises(TypeError):
        wilson(3.0, 10)  # type: ignore[arg-type]


# -- pooling: an independent hand computation -------------------------------------------------------

EVENTS = [31, 20, 15, 40, 8]
TOTALS = [106, 50, 60, 80, 30]


def _bisect(function, low, high):
    """Root of a function that changes sign on [low, high], by plain bisection."""
    for _ in range(200):
        middle = (low + high) / 2
        if (function(low) > 0) == (function(middle) > 0):
            low = middle
        else:
            high = middle
    return (low + high) / 2


def _hand(method):
    y = [math.log(x / (n - x)) for x, n in zip(EVENTS, TOTALS, strict=True)]
    v = [1 / x + 1 / (n - x) for x, n in zip(EVENTS, TOTALS, strict=True)]
    k = len(y)

    def weights(tau2):
        return [1 / (vi + tau2) for vi in v]

    def mean(tau2):
        w = weights(tau2)
        return sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum(w)

    def generalized_q(tau2):
        w, mu = weights(tau2), mean(tau2)
        return sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y, strict=True))

    def reml_score(tau2):
        w, mu = weights(tau2), mean(tau2)
        return (
            -sum(w)
            + sum(wi * wi * (yi - mu) ** 2 for wi, yi in zip(w, y, strict=True))
            + sum(wi * wi for wi in w) / sum(w)
        )

    if method == "PM":
        tau2 = _bisect(lambda t: generalized_q(t) - (k - 1), 0.0, 100.0)
    else:
        tau2 = _bisect(reml_score, 0.0, 100.0)
    w = weights(tau2)
    mu = mean(tau2)
    se_hk = math.sqrt(sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y, strict=True)) / ((k - 1) * sum(w)))
    t_ci = stats.t.ppf(0.975, k - 1)
    q = generalized_q(0.0)
    h = math.sqrt(q / (k - 1))
    se_ln_h = 0.5 * (math.log(q) - math.log(k - 1)) / (math.sqrt(2 * q) - math.sqrt(2 * k - 3))
    h_low = math.exp(math.log(h) - 1.959963984540054 * se_ln_h)
    h_high = math.exp(math.log(h) + 1.959963984540054 * se_ln_h)
    return {
        "tau2": tau2,
        "mu": mu,
        "se_hk": se_hk,
        "ci": (mu - t_ci * se_hk, mu + t_ci * se_hk),
        # metafor's predict.rma after test="knha": the adjusted variance, t on k - 1 df.
        "pi": (mu - t_ci * math.sqrt(tau2 + se_hk**2), mu + t_ci * math.sqrt(tau2 + se_hk**2)),
        "q": q,
        "i2": 100 * (q - (k - 1)) / q,
        "i2_ci": (100 * (1 - 1 / h_low**2), 100 * (1 - 1 / h_high**2)),
    }


def _expit(value):
    return math.exp(value) / (1 + math.exp(value))


@pytest.mark.parametrize("method", ["REML", "PM"])
def test_pool_logit_matches_hand_computation(method):
    hand = _hand(method)
    result = pool_logit(EVENTS, TOTALS, method=method)
    fit = result.logit
    assert hand["q"] > len(EVENTS)  # moderate heterogeneity, so the non-trivial branches run
    assert result.k == 5
    assert result.tau2 == pytest.approx(hand["tau2"], abs=1e-6)
    assert fit.estimate == pytest.approx(hand["mu"], abs=1e-6)
    assert fit.se_hk == pytest.approx(hand["se_hk"], abs=1e-6)
    assert fit.ci == pytest.approx(hand["ci"], abs=1e-6)
    assert fit.prediction == pytest.approx(hand["pi"], abs=1e-6)
    assert result.proportion == pytest.approx(_expit(hand["mu"]), abs=1e-6)
    assert result.ci == pytest.approx(tuple(_expit(c) for c in hand["ci"]), abs=1e-6)
    assert result.prediction == pytest.approx(tuple(_expit(c) for c in hand["pi"]), abs=1e-6)
    assert result.q == pytest.approx(hand["q"], abs=1e-6)
    assert result.q_p == pytest.approx(stats.chi2.sf(hand["q"], 4), abs=1e-9)
    assert result.i2 == pytest.approx(hand["i2"], abs=1e-6)
    assert result.i2_ci == pytest.approx(hand["i2_ci"], abs=1e-6)
    assert result.label == "exploratory"


# The Hartung-Knapp standard error exceeds the plain one here (tau^2 = 0 under REML), which put the
# textbook prediction interval (plain se, t on k - 2 df: 0.226-0.764) inside the CI (0.193-0.798).
WIDE_HK = ([13, 7, 0, 7], [28, 10, 15, 13])


@pytest.mark.parametrize("method", ["REML", "PM"])
@pytest.mark.parametrize(
    ("events", "totals"), [WIDE_HK, (EVENTS, TOTALS), ([10, 20, 30, 40], [50, 100, 150, 200])]
)
def test_prediction_interval_contains_the_confidence_interval(method, events, totals):
    result = pool_logit(events, totals, method=method)
    assert result.prediction is not None
    assert result.prediction[0] <= result.ci[0] <= result.proportion <= result.ci[1] <= result.prediction[1]


@st.composite
def _study_sets(draw):
    totals = draw(st.lists(st.integers(1, 400), min_size=3, max_size=8))
    return [draw(st.integers(0, n)) for n in totals], totals


@pytest.mark.parametrize("method", ["REML", "PM"])
@settings(max_examples=150, deadline=None, database=None)
@given(rows=_study_sets(), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
@example(rows=WIDE_HK, level=0.95)
def test_prediction_interval_contains_the_confidence_interval_always(method, rows, level):
    fit = pool_logit(*rows, method=method, level=level).logit
    assert fit.prediction is not None
    assert fit.prediction[0] <= fit.ci[0] + 1e-12 and fit.ci[1] - 1e-12 <= fit.prediction[1]


def test_prediction_interval_uses_the_hartung_knapp_variance_by_hand():
    # Logits with 1/2 added to both cells of the 0/15 study only.
    cells = [(13, 15), (7, 3), (0.5, 15.5), (7, 6)]
    y = [math.log(a / b) for a, b in cells]
    v = [1 / a + 1 / b for a, b in cells]
    fit = random_effects(y, v, method="REML")
    assert fit.tau2 == 0.0
    assert fit.se_hk > fit.se
    w = [1 / vi for vi in v]
    mu = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum(w)
    se_hk = math.sqrt(sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y, strict=True)) / (3 * sum(w)))
    half = stats.t.ppf(0.975, 3) * se_hk  # tau^2 = 0: the prediction interval is the CI
    assert fit.prediction == pytest.approx((mu - half, mu + half), abs=1e-9)
    assert fit.prediction == pytest.approx(fit.ci, abs=1e-12)


def test_paule_mandel_makes_the_hartung_knapp_factor_one():
    fit = pool_logit(EVENTS, TOTALS, method="PM").logit
    assert fit.se_hk == pytest.approx(fit.se, rel=1e-9)


def test_continuity_correction_only_for_boundary_studies():
    assert logit_estimate(0, 20) == pytest.approx((math.log(0.5 / 20.5), 1 / 0.5 + 1 / 20.5))
    assert logit_estimate(20, 20) == pytest.approx((math.log(20.5 / 0.5), 1 / 20.5 + 1 / 0.5))
    assert logit_estimate(5, 20) == pytest.approx((math.log(5 / 15), 1 / 5 + 1 / 15))
    corrected = pool_logit([0, 5, 7], [20, 20, 25])
    assert 0.0 < corrected.proportion < 1.0


@pytest.mark.parametrize("method", ["REML", "PM"])
@pytest.mark.parametrize(
    ("events", "totals"),
    [([10, 20, 30, 40], [50, 100, 150, 200]), ([10, 22, 28, 41], [50, 100, 150, 200])],
)
def test_homogeneous_sets_give_zero_tau2_and_i2(method, events, totals):
    y = [math.log(x / (n - x)) for x, n in zip(events, totals, strict=True)]
    w = [1 / (1 / x + 1 / (n - x)) for x, n in zip(events, totals, strict=True)]
    mu = sum(wi * yi for wi, yi in zip(w, y, strict=True)) / sum(w)
    q = sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y, strict=True))
    untruncated_dl = (q - 3) / (sum(w) - sum(wi * wi for wi in w) / sum(w))
    assert untruncated_dl < 0  # what an unclipped DerSimonian-Laird would report
    result = pool_logit(events, totals, method=method)
    assert result.tau2 == 0.0
    assert result.i2 == 0.0
    assert result.i2_ci is not None
    assert result.i2_ci[0] == 0.0
    assert result.i2_ci[1] >= 0.0
    assert result.logit.estimate == pytest.approx(mu, abs=1e-12)


def test_prediction_interval_needs_three_studies():
    result = pool_logit([10, 30], [40, 60])
    assert result.prediction is None
    assert result.i2_ci is None
    with pytest.raises(ValueError):
        pool_logit([10], [40])
    with pytest.raises(ValueError, match="REML, PM"):
        pool_logit(EVENTS, TOTALS, method="DL")


# -- pooling: published R output ----------------------------------------------------------------------

# metafor's dat.bcg (tpos, tneg, cpos, cneg), log risk ratios as escalc(measure="RR") computes them.
BCG = [
    (4, 119, 11, 128),
    (6, 300, 29, 274),
    (3, 228, 11, 209),
    (62, 13536, 248, 12619),
    (33, 5036, 47, 5761),
    (180, 1361, 372, 1079),
    (8, 2537, 10, 619),
    (505, 87886, 499, 87892),
    (29, 7470, 45, 7232),
    (17, 1699, 65, 1600),
    (186, 50448, 141, 27197),
    (5, 2493, 3, 2338),
    (27, 16886, 29, 17825),
]


def test_reml_hartung_knapp_matches_metafor_readme():
    # metafor README: rma(yi, vi, data=dat, test="knha") on dat.bcg prints tau^2 0.3132,
    # Q(df = 12) = 152.2330, estimate -0.7145, se 0.1808, ci -1.1084 to -0.3206.
    y = [math.log(a / (a + b)) - math.log(c / (c + d)) for a, b, c, d in BCG]
    v = [1 / a - 1 / (a + b) + 1 / c - 1 / (c + d) for a, b, c, d in BCG]
    fit = random_effects(y, v, method="REML")
    assert round(fit.tau2, 4) == 0.3132
    assert round(fit.q, 4) == 152.2330
    assert round(fit.estimate, 4) == -0.7145
    assert round(fit.se_hk, 4) == 0.1808
    assert (round(fit.ci[0], 4), round(fit.ci[1], 4)) == (-1.1084, -0.3206)
    # predict(res, transf=exp, digits=2) prints pred 0.49, ci 0.33-0.73, pi 0.14-1.76.
    assert fit.prediction is not None
    assert round(math.exp(fit.estimate), 2) == 0.49
    assert (round(math.exp(fit.ci[0]), 2), round(math.exp(fit.ci[1]), 2)) == (0.33, 0.73)
    assert (round(math.exp(fit.prediction[0]), 2), round(math.exp(fit.prediction[1]), 2)) == (0.14, 1.76)


def test_i2_interval_matches_meta_output():
    # meta's metabin(method="MH") on the BCG data prints Q = 152.57 (12 df) and
    # H = 3.57 [2.93; 4.34]; I^2 = 92.1% [88.3%; 94.7%].
    low, high = i2_interval(152.57, 13)
    assert (round(low, 1), round(high, 1)) == (88.3, 94.7)
    assert round(math.sqrt(1 / (1 - low / 100)), 2) == 2.93
    assert round(math.sqrt(1 / (1 - high / 100)), 2) == 4.34


# -- the pooling gate ---------------------------------------------------------------------------------


def _row(study_id, **changes):
    row = GateInput(
        study_id=study_id,
        n=40,
        responders=12,
        count_origin="reported",
        design_prospective=True,
        is_rct_arm=False,
        outcome_key="IMWG ORR >=PR / all treated",
        stratum_key="triple-class refractory",
        regimen_key="daratumumab monotherapy",
        overlaps_with=frozenset(),
        cohort_id=f"{study_id}-cohort",
    )
    return replace(row, **changes)


CLEAN = [_row("A"), _row("B", n=10, responders=3, count_origin="derived"), _row("C", n=106)]


def test_clean_set_of_three_prospective_single_arm_studies_is_allowed():
    decision = pooling_gate(CLEAN)
    assert decision.allowed
    assert decision.failed == ()


def _codes(rows, **options):
    decision = pooling_gate(rows, **options)
    assert not decision.allowed
    assert all(sentence for _, sentence in decision.failed)
    return decision.codes


def test_two_studies_are_too_few():
    assert _codes(CLEAN[:2]) == ("FEW_STUDIES",)
    assert pooling_gate(CLEAN[:2]).failed[0][1] == (
        "at least 3 studies of at least 10 patients are needed; 2 qualify"
    )


def test_small_studies_do_not_count():
    assert _codes([*CLEAN[:2], _row("C", n=9)]) == ("FEW_STUDIES",)


def test_trial_and_pooled_analysis_containing_it_overlap():
    pooled = _row("POOLED", n=148, overlaps_with=frozenset({"A"}))
    assert _codes([*CLEAN, pooled]) == ("OVERLAPPING_COHORTS",)
    same_cohort = _row("D", cohort_id="A-cohort")
    assert _codes([*CLEAN, same_cohort]) == ("OVERLAPPING_COHORTS",)


def test_ambiguous_and_unknown_counts_are_refused():
    assert _codes([*CLEAN, _row("D", count_origin="ambiguous")]) == ("AMBIGUOUS_COUNT",)
    assert _codes([*CLEAN, _row("D", responders=None, count_origin="unknown")]) == ("UNKNOWN_COUNT",)
    assert _codes([*CLEAN, _row("D", count_origin="inconsistent")]) == ("UNKNOWN_COUNT",)


def test_rct_arms_are_not_pooled():
    assert _codes([*CLEAN, _row("D", is_rct_arm=True)]) == ("RCT_ARM",)


def test_retrospective_only_when_opted_in():
    rows = [*CLEAN, _row("D", design_prospective=False)]
    assert _codes(rows) == ("RETROSPECTIVE",)
    assert pooling_gate(rows, allow_retrospective=True).allowed


def test_mixed_strata_outcomes_and_regimens_are_refused():
    assert _codes([*CLEAN, _row("D", stratum_key="double refractory")]) == ("MIXED_STRATUM",)
    assert _codes([*CLEAN, _row("D", outcome_key="IMWG ORR >=PR / evaluable")]) == ("MIXED_OUTCOME",)
    assert _codes([*CLEAN, _row("D", regimen_key="daratumumab + pomalidomide")]) == ("MIXED_REGIMEN",)


def test_every_failed_condition_is_listed_in_a_stable_order():
    rows = [
        _row("A", stratum_key="other", design_prospective=False),
        _row("B", is_rct_arm=True, count_origin="ambiguous", overlaps_with=frozenset({"A-cohort"})),
    ]
    assert _codes(rows) == (
        "MIXED_STRATUM",
        "FEW_STUDIES",
        "RETROSPECTIVE",
        "AMBIGUOUS_COUNT",
        "RCT_ARM",
        "OVERLAPPING_COHORTS",
    )
