"""Numbers as text, one rule for every writer: decimals, percentages, medians, hazard ratios, landmarks."""

from __future__ import annotations

from kb.analysis.endpoint_table import Figure, LandmarkRate
from kb.analysis.values import NOT_ESTIMABLE, NOT_REACHED, HazardRatio, Interval, Median

PERCENT_PLACES = 1
MEDIAN_PLACES = 1
HAZARD_RATIO_PLACES = 2
# What a table prints for a figure the data could not give; any other status is printed in words.
ABBREVIATIONS = {NOT_REACHED: "NR", NOT_ESTIMABLE: "NE"}


def number_text(value: float, places: int | None = None) -> str:
    """`value` with `places` decimals, never as negative zero; in its shortest form when places is None."""
    if places is None:
        return f"{value:g}"
    text = f"{value:.{places}f}"
    return text.lstrip("-") if float(text) == 0 else text


def percent_text(value: float | None) -> str:
    return "" if value is None else number_text(value, PERCENT_PLACES)


def percent_range(low: float | None, high: float | None) -> str:
    """An interval of percentages: "20.8-38.9"."""
    return f"{percent_text(low)}-{percent_text(high)}"


def figure_text(value: float | None, status: str, places: int) -> str:
    """The number, or what stands for it: NR, NE, or the status in words ("not reported")."""
    return ABBREVIATIONS.get(status, status) if value is None else number_text(value, places)


def interval_text(interval: Interval, places: int) -> str:
    """ "2.8-5.6", "13.6-NE"."""
    low = figure_text(interval.low, interval.low_status, places)
    return f"{low}-{figure_text(interval.high, interval.high_status, places)}"


def level_text(interval: Interval | None) -> str:
    """ "95% CI" when the source states the level, "CI" otherwise."""
    if interval is None or interval.level is None:
        return "CI"
    return f"{number_text(100 * interval.level)}% CI"


def _with_interval(value: float | None, status: str, interval: Interval | None, places: int) -> str:
    text = figure_text(value, status, places)
    return text if interval is None else f"{text} ({interval_text(interval, places)})"


def median_text(median: Median | None) -> str:
    """A median as a table cell: "4.0 (2.8-5.6) mo", "NR", "not reported"; "" when there is none."""
    if median is None:
        return ""
    text = _with_interval(median.estimate, median.status, median.interval, MEDIAN_PLACES)
    return f"{text} {median.unit_symbol}" if median.has_number and median.unit_symbol else text


def hazard_ratio_text(hazard_ratio: HazardRatio | None) -> str:
    """A hazard ratio as a table cell: "0.37 (0.27-0.52) vs <comparator arm>"; "" when there is none."""
    if hazard_ratio is None:
        return ""
    hr = hazard_ratio
    return f"{_with_interval(hr.estimate, hr.status, hr.interval, HAZARD_RATIO_PLACES)} vs {hr.comparator}"


def landmark_text(rate: LandmarkRate | None) -> str:
    """A landmark rate as a table cell: "83.2% (78.3-87.2) at 12 months", "not reported at 12 months";
    "" when there is none."""
    if rate is None:
        return ""
    text = figure_text(rate.percent, rate.status, PERCENT_PLACES) + ("%" if rate.percent is not None else "")
    if rate.interval is not None:
        text += f" ({interval_text(rate.interval, PERCENT_PLACES)})"
    return f"{text} at {number_text(rate.landmark)} {rate.unit}"


def p_value_text(hazard_ratio: HazardRatio) -> str:
    """ "p < 0.001", "p = 0.03", or "" when the source prints no p value."""
    if hazard_ratio.p_value is not None:
        return f"p = {number_text(hazard_ratio.p_value)}"
    if hazard_ratio.p_value_below is not None:
        return f"p < {number_text(hazard_ratio.p_value_below)}"
    return ""


def endpoint_figure_text(figure: Figure) -> str:
    """The figure as a table cell: "4.0 (2.8-5.6) mo", "0.37 (0.27-0.52) vs <arm>; p < 0.001", "83.2% ..."."""
    if isinstance(figure, Median):
        return median_text(figure)
    if isinstance(figure, HazardRatio):
        p = p_value_text(figure)
        return hazard_ratio_text(figure) + (f"; {p}" if p else "")
    return landmark_text(figure)
