"""Numbers that agree with each other: best-response counts by category that add up to the cohort,
percentages rounded as printed, intervals that contain their estimates, medians and hazard ratios."""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random

from kb.synth.rdf_text import Dec


def binomial(rng: Random, n: int, p: float) -> int:
    """A binomial draw: exact for small n, the normal approximation (clamped to 0..n) above."""
    if n <= 40:
        return sum(1 for _ in range(n) if rng.random() < p)
    return min(n, max(0, round(rng.gauss(n * p, math.sqrt(n * p * (1 - p))))))


@dataclass(frozen=True)
class Responses:
    """Best-response counts of a cohort's n patients by IMWG category, best first (sCR ... PD)."""

    counts: tuple[int, ...]

    @property
    def n(self) -> int:
        return sum(self.counts)

    def at_least(self, index: int) -> int:
        """Patients whose best response is category `index` (0 = sCR) or better."""
        return sum(self.counts[: index + 1])

    def patients(self) -> list[int]:
        """Each patient's category index, best first."""
        return [i for i, c in enumerate(self.counts) for _ in range(c)]


PR_INDEX, CR_INDEX, VGPR_INDEX = 3, 1, 2


def responses(rng: Random, n: int, rate: float) -> Responses:
    """Counts for n patients whose response rate (PR or better) is about `rate`."""
    responders = binomial(rng, n, min(0.97, max(0.03, rng.gauss(rate, 0.06))))
    deep = binomial(rng, responders, 0.35)
    scr = binomial(rng, deep, 0.4)
    vgpr = binomial(rng, responders - deep, 0.5)
    rest = n - responders
    mr = binomial(rng, rest, 0.2)
    sd = binomial(rng, rest - mr, 0.55)
    return Responses((scr, deep - scr, vgpr, responders - deep - vgpr, mr, sd, rest - mr - sd))


def subset(rng: Random, parent: Responses, size: int) -> Responses:
    """The responses of `size` of the parent's patients, drawn without replacement."""
    remaining, need, out = parent.n, size, []
    for count in parent.counts:
        share = binomial(rng, need, count / remaining) if remaining else 0
        share = min(count, need, max(need - (remaining - count), share))
        out.append(share)
        remaining -= count
        need -= share
    return Responses(tuple(out))


def rounded(numerator: int, denominator: int, decimals: int) -> int:
    """100 * numerator / denominator in units of 10**-decimals, rounded half up (exact integers)."""
    scale = 100 * 10**decimals
    return (2 * scale * numerator + denominator) // (2 * denominator)


def decimal(units: int, decimals: int) -> int | Dec:
    """A number given in units of 10**-decimals, as printed with that many decimals."""
    if decimals == 0:
        return units
    whole, frac = divmod(units, 10**decimals)
    return Dec(f"{whole}.{frac:0{decimals}d}")


def percent(numerator: int, denominator: int, decimals: int = 1) -> int | Dec:
    return decimal(rounded(numerator, denominator, decimals), decimals)


def percent_text(numerator: int, denominator: int, decimals: int = 1) -> str:
    return f"{percent(numerator, denominator, decimals)}%"


def wilson(numerator: int, denominator: int) -> tuple[Dec, Dec]:
    """A 95% Wilson interval in percent at one decimal, widened outwards so that it holds the printed
    percentage."""
    z2 = 1.959964**2
    p = numerator / denominator
    centre = (p + z2 / (2 * denominator)) / (1 + z2 / denominator)
    half = math.sqrt(p * (1 - p) / denominator + z2 / (4 * denominator**2)) / (1 + z2 / denominator)
    printed = rounded(numerator, denominator, 1)
    low = max(0, min(printed, math.floor((centre - half) * 1000)))
    high = min(1000, max(printed, math.ceil((centre + half) * 1000)))
    return Dec(f"{low // 10}.{low % 10}"), Dec(f"{high // 10}.{high % 10}")


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95% interval, in units of 10**-decimals; high None is not estimable."""

    estimate: int
    low: int
    high: int | None
    decimals: int

    def values(self) -> tuple[int | Dec, int | Dec, int | Dec | None]:
        d = self.decimals
        high = None if self.high is None else decimal(self.high, d)
        return decimal(self.estimate, d), decimal(self.low, d), high

    def text(self) -> str:
        estimate, low, high = self.values()
        return f"{estimate} ({low}-{'NE' if high is None else high})"


def median_months(rng: Random, typical: float, *, open_ended: bool = False) -> Interval:
    """A median time in months (one decimal) near `typical`, with its interval; `open_ended` leaves the
    upper bound not estimable."""
    estimate = max(5, round(10 * typical * rng.lognormvariate(0, 0.25)))
    low = max(1, min(estimate, math.floor(estimate * rng.uniform(0.55, 0.85))))
    high = None if open_ended else max(estimate, math.ceil(estimate * rng.uniform(1.15, 1.8)))
    return Interval(estimate, low, high, 1)


def hazard_ratio(rng: Random, control_median: float, experimental_median: float) -> Interval:
    """A hazard ratio (two decimals) of about control / experimental median, with its interval."""
    log_hr = math.log(control_median / experimental_median) + rng.gauss(0, 0.08)
    se = rng.uniform(0.09, 0.2)
    estimate = min(150, max(10, round(100 * math.exp(log_hr))))
    low = max(1, min(estimate, math.floor(100 * math.exp(log_hr - 1.96 * se))))
    high = max(estimate, math.ceil(100 * math.exp(log_hr + 1.96 * se)))
    return Interval(estimate, low, high, 2)


def landmark_rate(rng: Random, median: float, months: int) -> Interval:
    """The percentage event-free at `months` under an exponential curve with that median, one decimal."""
    rate = 100 * math.exp(-math.log(2) * months / median) * rng.uniform(0.92, 1.08)
    estimate = min(995, max(10, round(10 * rate)))
    return Interval(
        estimate, max(0, estimate - rng.randint(40, 90)), min(1000, estimate + rng.randint(40, 90)), 1
    )
