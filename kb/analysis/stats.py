"""Proportion confidence intervals and random-effects pooling on the logit scale (the conditions for
pooling at all are in kb.analysis.pooling_gate).

scipy is imported by the functions that compute with it, not here: importing it takes most of a
second, which the command line and the service would otherwise pay at start-up.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

CI_METHODS = ("clopper-pearson", "wilson", "jeffreys")
TAU2_METHODS = ("REML", "PM")

# The continuity correction metaprop applies by default, only to studies with x = 0 or x = n.
CONTINUITY_CORRECTION = 0.5
_REML_TOLERANCE = 1e-12
_REML_MAX_ITERATIONS = 10_000


# -- confidence intervals for one proportion ---------------------------------------------------------


def _check_proportion(x: int, n: int, level: float) -> None:
    if isinstance(x, bool) or isinstance(n, bool) or not isinstance(x, int) or not isinstance(n, int):
        raise TypeError(f"x and n must be integers, got x={x!r}, n={n!r}")
    if n <= 0 or not 0 <= x <= n:
        raise ValueError(f"need 0 <= x <= n and n > 0, got x={x}, n={n}")
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")


# The quantiles come from scipy.special, the functions scipy.stats' norm.ppf and beta.ppf evaluate (the
# same values to the last bit), without the argument handling that costs those some 200 microseconds a call.
def _normal_quantile(p: float) -> float:
    from scipy import special

    return float(special.ndtri(p))


def _beta_quantile(p: float, a: float, b: float) -> float:
    from scipy import special

    return float(special.betaincinv(a, b, p))


def clopper_pearson(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Exact (Clopper-Pearson) interval for x/n from beta quantiles; x = 0 gives low 0, x = n high 1."""
    _check_proportion(x, n, level)
    alpha = 1 - level
    low = 0.0 if x == 0 else _beta_quantile(alpha / 2, x, n - x + 1)
    high = 1.0 if x == n else _beta_quantile(1 - alpha / 2, x + 1, n - x)
    return low, high


def wilson(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for x/n, without continuity correction; x = 0 gives low 0, x = n high 1.

    At x = 0 the lower bound is exactly 0 (and at x = n the upper exactly 1) in exact arithmetic; the
    formula in floats can land a rounding error past the estimate, so the boundary is set exactly.
    """
    _check_proportion(x, n, level)
    z = _normal_quantile(1 - (1 - level) / 2)
    p = x / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if x == 0 else max(0.0, centre - half)
    high = 1.0 if x == n else min(1.0, centre + half)
    return low, high


def jeffreys(x: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Jeffreys interval: beta(x + 1/2, n - x + 1/2) quantiles, with low 0 at x = 0 and high 1 at x = n."""
    _check_proportion(x, n, level)
    alpha = 1 - level
    low = 0.0 if x == 0 else _beta_quantile(alpha / 2, x + 0.5, n - x + 0.5)
    high = 1.0 if x == n else _beta_quantile(1 - alpha / 2, x + 0.5, n - x + 0.5)
    return low, high


_CI_FUNCTIONS: dict[str, Callable[[int, int, float], tuple[float, float]]] = {
    "clopper-pearson": clopper_pearson,
    "wilson": wilson,
    "jeffreys": jeffreys,
}


def proportion_ci(
    x: int, n: int, method: str = "clopper-pearson", level: float = 0.95
) -> tuple[float, float]:
    """The interval for x/n by a named method; the Wald interval is deliberately not offered."""
    try:
        function = _CI_FUNCTIONS[method]
    except KeyError:
        raise ValueError(f"unknown CI method {method!r}; valid methods: {', '.join(CI_METHODS)}") from None
    return function(x, n, level)


# -- random-effects meta-analysis ----------------------------------------------------------------------


@dataclass(frozen=True)
class RandomEffects:
    """A random-effects fit on the analysis scale (here: logits)."""

    k: int
    method: str
    level: float
    estimate: float
    se: float  # the usual random-effects standard error, sqrt(1 / sum w)
    se_hk: float  # the Hartung-Knapp standard error used for the confidence interval
    ci: tuple[float, float]
    tau2: float
    q: float
    q_p: float
    i2: float  # percent, from Q
    i2_ci: tuple[float, float] | None
    prediction: tuple[float, float] | None


@dataclass(frozen=True)
class PooledResult:
    """A pooled proportion (exploratory), back-transformed from the logit-scale fit in `logit`."""

    k: int
    method: str
    level: float
    proportion: float
    ci: tuple[float, float]
    prediction: tuple[float, float] | None
    tau2: float
    i2: float
    i2_ci: tuple[float, float] | None
    q: float
    q_p: float
    logit: RandomEffects
    label: str = "exploratory"


def _weighted_mean(y: Sequence[float], w: Sequence[float]) -> float:
    return sum(wi * yi for yi, wi in zip(y, w, strict=True)) / sum(w)


def _generalized_q(y: Sequence[float], v: Sequence[float], tau2: float) -> float:
    w = [1 / (vi + tau2) for vi in v]
    mu = _weighted_mean(y, w)
    return sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y, strict=True))


def _dersimonian_laird(y: Sequence[float], v: Sequence[float]) -> float:
    w = [1 / vi for vi in v]
    q = _generalized_q(y, v, 0.0)
    c = sum(w) - sum(wi * wi for wi in w) / sum(w)
    return max(0.0, (q - (len(y) - 1)) / c) if c > 0 else 0.0


def tau2_reml(y: Sequence[float], v: Sequence[float]) -> float:
    """REML tau^2 by fixed-point (Fisher scoring) iteration from the DerSimonian-Laird value, kept >= 0."""
    tau2 = _dersimonian_laird(y, v)
    for _ in range(_REML_MAX_ITERATIONS):
        w = [1 / (vi + tau2) for vi in v]
        mu = _weighted_mean(y, w)
        sum_w2 = sum(wi * wi for wi in w)
        updated = sum(wi * wi * ((yi - mu) ** 2 - vi) for wi, yi, vi in zip(w, y, v, strict=True))
        updated = max(0.0, updated / sum_w2 + 1 / sum(w))
        if abs(updated - tau2) <= _REML_TOLERANCE * max(1.0, tau2):
            return updated
        tau2 = updated
    raise ArithmeticError("REML tau^2 iteration did not converge")


def tau2_paule_mandel(y: Sequence[float], v: Sequence[float]) -> float:
    """Paule-Mandel tau^2: the root of generalized Q(tau^2) = k - 1, or 0 when Q(0) <= k - 1."""
    from scipy import optimize

    target = len(y) - 1
    if _generalized_q(y, v, 0.0) <= target:
        return 0.0
    upper = max(1.0, _dersimonian_laird(y, v))
    while _generalized_q(y, v, upper) > target:
        upper *= 2
    return float(optimize.brentq(lambda t: _generalized_q(y, v, t) - target, 0.0, upper, xtol=1e-14))


def i2_interval(q: float, k: int, level: float = 0.95) -> tuple[float, float] | None:
    """Test-based (Higgins & Thompson 2002) CI for I^2 in percent, via ln H; None when k < 3."""
    if k < 3:
        return None
    df = k - 1
    if q > k:
        se_ln_h = 0.5 * (math.log(q) - math.log(df)) / (math.sqrt(2 * q) - math.sqrt(2 * k - 3))
    else:
        se_ln_h = math.sqrt(1 / (2 * (k - 2)) * (1 - 1 / (3 * (k - 2) ** 2)))
    z = _normal_quantile(1 - (1 - level) / 2)
    ln_h = math.log(math.sqrt(q / df)) if q > 0 else 0.0
    h_low = max(1.0, math.exp(ln_h - z * se_ln_h))
    h_high = max(1.0, math.exp(ln_h + z * se_ln_h))
    return 100 * (h_low**2 - 1) / h_low**2, 100 * (h_high**2 - 1) / h_high**2


def tau2_estimate(y: Sequence[float], v: Sequence[float], method: str = "REML") -> float:
    """tau^2 by a named method: REML or PM (Paule-Mandel)."""
    if method == "REML":
        return tau2_reml(y, v)
    if method == "PM":
        return tau2_paule_mandel(y, v)
    raise ValueError(f"unknown tau^2 method {method!r}; valid methods: {', '.join(TAU2_METHODS)}")


@dataclass(frozen=True)
class _PooledMean:
    """The inverse-variance weighted mean under tau^2 and what its Hartung-Knapp interval needs."""

    estimate: float
    se: float  # sqrt(1 / sum w)
    se_hk: float
    t: float  # the t quantile on k - 1 df for the interval's level

    def ci(self) -> tuple[float, float]:
        """estimate +- t se_hk."""
        return self._around(self.t * self.se_hk)

    def prediction(self, tau2: float) -> tuple[float, float]:
        """estimate +- t sqrt(tau^2 + se_hk^2)."""
        return self._around(self.t * math.sqrt(tau2 + self.se_hk * self.se_hk))

    def _around(self, half: float) -> tuple[float, float]:
        return self.estimate - half, self.estimate + half


def _hartung_knapp(y: Sequence[float], v: Sequence[float], tau2: float, level: float) -> _PooledMean:
    """The pooled mean with random-effects weights 1 / (v + tau^2) and its Hartung-Knapp(-Sidik-Jonkman)
    standard error, without the ad hoc variance floor."""
    from scipy import stats

    k = len(y)
    w = [1 / (vi + tau2) for vi in v]
    mu = _weighted_mean(y, w)
    spread = sum(wi * (yi - mu) ** 2 for wi, yi in zip(w, y, strict=True)) / (k - 1)
    t = float(stats.t.ppf(1 - (1 - level) / 2, k - 1))
    return _PooledMean(mu, math.sqrt(1 / sum(w)), math.sqrt(spread / sum(w)), t)


def _check_estimates(y: Sequence[float], v: Sequence[float], level: float) -> None:
    if len(y) != len(v):
        raise ValueError("y and v must have the same length")
    if len(y) < 2:
        raise ValueError("random-effects pooling needs at least 2 estimates")
    if any(vi <= 0 for vi in v):
        raise ValueError("within-study variances must be positive")
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")


def random_effects(
    y: Sequence[float], v: Sequence[float], method: str = "REML", level: float = 0.95
) -> RandomEffects:
    """Random-effects fit of estimates y with within-study variances v.

    tau^2 by REML or Paule-Mandel (never negative); Hartung-Knapp(-Sidik-Jonkman) CI with a t
    distribution on k - 1 df, without the ad hoc variance floor; Q with fixed-effect weights; I^2 from Q,
    100 (Q - df) / Q clipped at 0, with the test-based Higgins-Thompson CI; prediction interval
    mu +- t(k - 1) sqrt(tau^2 + se_hk^2), None when k < 3.

    The prediction interval is metafor's (predict.rma after rma(test="knha")): the variance of the
    pooled estimate as the Hartung-Knapp test adjusts it, with the test's t quantile on k - 1 df.
    Being the CI's half-width widened by tau^2, it always contains the CI; the textbook
    t(k - 2) sqrt(tau^2 + se^2) with the unadjusted se does not (13/28, 7/10, 0/15, 7/13).
    """
    from scipy import stats

    _check_estimates(y, v, level)
    k, df = len(y), len(y) - 1
    tau2 = tau2_estimate(y, v, method)
    pooled = _hartung_knapp(y, v, tau2, level)
    q = _generalized_q(y, v, 0.0)
    return RandomEffects(
        k=k,
        method=method,
        level=level,
        estimate=pooled.estimate,
        se=pooled.se,
        se_hk=pooled.se_hk,
        ci=pooled.ci(),
        tau2=tau2,
        q=q,
        q_p=float(stats.chi2.sf(q, df)),
        i2=max(0.0, 100 * (q - df) / q) if q > 0 else 0.0,
        i2_ci=i2_interval(q, k, level),
        prediction=pooled.prediction(tau2) if k >= 3 else None,
    )


def logit_estimate(x: int, n: int) -> tuple[float, float]:
    """Logit of x/n and its variance 1/x + 1/(n - x), adding 1/2 to both cells only when x = 0 or x = n."""
    _check_proportion(x, n, 0.95)
    events, non_events = float(x), float(n - x)
    if x == 0 or x == n:
        events += CONTINUITY_CORRECTION
        non_events += CONTINUITY_CORRECTION
    return math.log(events / non_events), 1 / events + 1 / non_events


def _expit(value: float) -> float:
    return 1 / (1 + math.exp(-value))


def pool_logit(
    events: Sequence[int], totals: Sequence[int], method: str = "REML", level: float = 0.95
) -> PooledResult:
    """Pool proportions events/totals with a random-effects model on the logit scale (see random_effects)."""
    if len(events) != len(totals):
        raise ValueError("events and totals must have the same length")
    estimates = [logit_estimate(x, n) for x, n in zip(events, totals, strict=True)]
    fit = random_effects([y for y, _ in estimates], [v for _, v in estimates], method, level)
    prediction = None
    if fit.prediction is not None:
        prediction = (_expit(fit.prediction[0]), _expit(fit.prediction[1]))
    return PooledResult(
        k=fit.k,
        method=method,
        level=level,
        proportion=_expit(fit.estimate),
        ci=(_expit(fit.ci[0]), _expit(fit.ci[1])),
        prediction=prediction,
        tau2=fit.tau2,
        i2=fit.i2,
        i2_ci=fit.i2_ci,
        q=fit.q,
        q_p=fit.q_p,
        logit=fit,
    )
